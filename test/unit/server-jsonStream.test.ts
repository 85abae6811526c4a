import { describe, it, expect } from '@jest/globals';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { jsonObjectStream } from '../../src/server/jsonStream.js';

async function text(stream: Readable): Promise<string> {
  let body = '';
  for await (const chunk of stream) body += Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
  return body;
}

async function* asyncPages<T>(pages: T[][]): AsyncGenerator<T[]> {
  for (const page of pages) {
    await new Promise((resolve) => setImmediate(resolve));
    yield page;
  }
}

/** What the body must parse to: the head's fields, `field` with every item in order, then the tail's. */
const expected = (
  head: Record<string, unknown>,
  field: string,
  pages: unknown[][],
  tail: Record<string, unknown> = {},
) => ({ ...head, [field]: pages.flat(), ...tail });

describe('jsonObjectStream produces the JSON object', () => {
  const rows = [
    { id: 1, name: 'café "q" /slash', price: '9.90', note: null },
    { id: 2, name: ']}],{', price: '0.00', note: 'line\nbreak' },
    { id: 3, name: '☃\u2028', price: '1.00', note: { nested: [1, 2] } },
  ];

  it.each<[string, Record<string, unknown>, string, unknown[][], Record<string, unknown> | undefined]>([
    ['with an empty head and no pages', {}, 'data', [], undefined],
    ['with an empty head and only empty pages', {}, 'data', [[], [], []], undefined],
    ['with a head and no pages', { success: true, table: 'items' }, 'data', [], undefined],
    ['with one page', { success: true }, 'data', [rows], undefined],
    [
      'with several pages',
      { success: true, table: 'items' },
      'data',
      [[rows[0]], [rows[1], rows[2]]],
      undefined,
    ],
    [
      'with empty pages between and around',
      { a: 1 },
      'changes',
      [[], [rows[0]], [], [], [rows[1]], []],
      undefined,
    ],
    [
      'with a tail',
      { success: true, table: 'items' },
      'data',
      [[rows[0]], [rows[1]]],
      { timestamp: '2026-01-01 00:00:00' },
    ],
    ['with an empty head and a tail', {}, 'data', [[1], [2, 3]], { done: true, n: 3 }],
    ['with a tail and no pages', { x: 'y' }, 'data', [], { timestamp: 't' }],
    ['with an empty tail', { x: 'y' }, 'data', [[1]], {}],
    ['with a field name that needs escaping', { x: 1 }, 'da"ta\\', [[1, 2]], undefined],
    ['with items of every JSON type', {}, 'data', [[null, true, 0, -1.5, 'a', [], {}, [[]]]], undefined],
  ])('%s', async (_name, head, field, pages, tail) => {
    const body = await text(
      jsonObjectStream(head, field, pages, tail === undefined ? undefined : () => tail),
    );
    expect(JSON.parse(body)).toEqual(expected(head, field, pages, tail));
  });

  it('reads pages from an async iterable', async () => {
    const pages = [[rows[0]], [], [rows[1], rows[2]]];
    const body = await text(
      jsonObjectStream({ success: true }, 'data', asyncPages(pages), () => ({ end: 1 })),
    );
    expect(JSON.parse(body)).toEqual(expected({ success: true }, 'data', pages, { end: 1 }));
  });

  it('keeps the order of head fields, then the array, then tail fields', async () => {
    const body = await text(jsonObjectStream({ b: 1, a: 2 }, 'data', [[1]], () => ({ d: 3, c: 4 })));
    expect(Object.keys(JSON.parse(body) as object)).toEqual(['b', 'a', 'data', 'd', 'c']);
  });

  it('asks for the tail only after the last page, so it can report on them', async () => {
    let sent = 0;
    async function* pages() {
      for (const page of [[1, 2], [3]]) {
        yield page;
        sent += page.length;
      }
    }
    const body = await text(jsonObjectStream({}, 'data', pages(), () => ({ sent })));
    expect(JSON.parse(body)).toEqual({ data: [1, 2, 3], sent: 3 });
  });

  it('sends many pages as one valid body', async () => {
    const pages = Array.from({ length: 500 }, (_, p) => Array.from({ length: 20 }, (_, i) => ({ p, i })));
    const body = await text(jsonObjectStream({ success: true }, 'data', asyncPages(pages)));
    const parsed = JSON.parse(body) as { data: unknown[] };
    expect(parsed.data).toHaveLength(10_000);
    expect(parsed).toEqual(expected({ success: true }, 'data', pages));
  });
});

describe('jsonObjectStream when producing fails', () => {
  it('errors the stream with the error of the pages, after a partial body', async () => {
    const failure = new Error('database went away');
    async function* pages() {
      yield [{ id: 1 }];
      yield [{ id: 2 }];
      throw failure;
    }
    const stream = jsonObjectStream({ success: true }, 'data', pages(), () => ({ timestamp: 't' }));
    let body = '';
    const consumed = (async () => {
      for await (const chunk of stream) body += String(chunk);
    })();
    await expect(consumed).rejects.toBe(failure);
    expect(body).toContain('{"id":1}');
    expect(() => JSON.parse(body)).toThrow();
    expect(body).not.toContain('timestamp');
    expect(stream.destroyed).toBe(true);
  });

  it('fails a pipeline to the response, which therefore never ends as complete', async () => {
    const failure = new Error('read failed');
    async function* pages() {
      yield [1];
      throw failure;
    }
    const chunks: string[] = [];
    let finished = false;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString());
        done();
      },
      final(done) {
        finished = true;
        done();
      },
    });
    await expect(pipeline(jsonObjectStream({}, 'data', pages()), sink)).rejects.toBe(failure);
    expect(finished).toBe(false);
    expect(() => JSON.parse(chunks.join(''))).toThrow();
  });

  it('errors the stream when the first page already fails', async () => {
    const failure = new Error('no connection');
    const pages: AsyncIterable<unknown[]> = {
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(failure) }),
    };
    await expect(text(jsonObjectStream({ a: 1 }, 'data', pages))).rejects.toBe(failure);
  });

  it('errors the stream when a synchronous iterable throws', async () => {
    const failure = new Error('sync failure');
    function* pages() {
      yield [1];
      throw failure;
    }
    await expect(text(jsonObjectStream({}, 'data', pages()))).rejects.toBe(failure);
  });

  it('errors the stream when the tail fails', async () => {
    const failure = new Error('tail failed');
    const stream = jsonObjectStream({}, 'data', [[1]], () => {
      throw failure;
    });
    await expect(text(stream)).rejects.toBe(failure);
  });
});
