import { Readable } from 'node:stream';

/**
 * A JSON object sent as it is produced: `head`'s fields, then `field` as an array filled page
 * by page from `pages`, then `tail()`'s fields. Memory holds one page, never the whole body.
 * If `pages` fails part way the stream is destroyed: the client sees a truncated body, never
 * a complete-looking one.
 */
export function jsonObjectStream(
  head: Record<string, unknown>,
  field: string,
  pages: AsyncIterable<readonly unknown[]> | Iterable<readonly unknown[]>,
  tail: () => Record<string, unknown> = () => ({}),
): Readable {
  async function* produce(): AsyncGenerator<string> {
    const opening = JSON.stringify(head).slice(0, -1);
    yield `${opening}${opening === '{' ? '' : ','}${JSON.stringify(field)}:[`;
    let first = true;
    for await (const page of pages) {
      if (page.length === 0) continue;
      // One stringify per page: a call per item costs more than the brackets it saves.
      const body = JSON.stringify(page).slice(1, -1);
      yield first ? body : `,${body}`;
      first = false;
    }
    const closing = JSON.stringify(tail()).slice(1);
    yield closing === '}' ? ']}' : `],${closing}`;
  }
  return Readable.from(produce(), { objectMode: false });
}
