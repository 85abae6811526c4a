import { NsyncError, messageOf } from '../core/errors.js';

/**
 * JSON.parse, but a syntax error names the file, line and column. V8's own messages
 * give no position for some errors ("Unexpected token '}', ... is not valid JSON"),
 * so on failure a small scanner finds where the text stops being JSON.
 */
export function parseJson(text: string, file: string): unknown {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(source) as unknown;
  } catch (error) {
    const found = locateJsonError(source);
    const where = found === undefined ? '' : `${lineColumn(source, found.offset)}: `;
    const reason = found?.reason ?? messageOf(error);
    throw new NsyncError('CONFIG_INVALID', `invalid JSON in ${file}: ${where}${reason}`, { cause: error });
  }
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

class JsonSyntaxError extends Error {
  constructor(
    readonly offset: number,
    reason: string,
  ) {
    super(reason);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Offset and reason of the first JSON syntax error in `text`, or undefined when it is valid. */
export function locateJsonError(text: string): { offset: number; reason: string } | undefined {
  let i = 0;
  const fail = (reason: string, at = i): never => {
    throw new JsonSyntaxError(at, reason);
  };
  const found = (): string => (i >= text.length ? 'end of file' : JSON.stringify(text[i]));
  const expected = (what: string): never => fail(`expected ${what}, found ${found()}`);

  const space = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
    if (text.startsWith('//', i) || text.startsWith('/*', i)) fail('comments are not allowed in JSON');
  };

  const string = (): void => {
    const start = i++;
    for (;;) {
      const c = text[i];
      if (c === undefined) fail('string is not closed', start);
      else if (c === '"') return void i++;
      else if (c === '\\') {
        const next = text[i + 1] ?? '';
        if ('"\\/bfnrt'.includes(next) && next !== '') i += 2;
        else if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else fail('invalid escape sequence in string');
      } else if (c < ' ') fail('line break or control character inside a string');
      else i++;
    }
  };

  const container = (close: '}' | ']', member: () => void): void => {
    i++;
    space();
    if (text[i] === close) return void i++;
    for (;;) {
      space();
      member();
      space();
      if (text[i] === close) return void i++;
      if (text[i] !== ',') expected(`"," or "${close}"`);
      const comma = i++;
      space();
      if (text[i] === close) fail(`trailing comma before "${close}"`, comma);
    }
  };

  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{') {
      return container('}', () => {
        if (text[i] !== '"') expected('a property name in double quotes');
        string();
        space();
        if (text[i] !== ':') expected('":"');
        i++;
        value();
      });
    }
    if (c === '[') return container(']', value);
    if (c === '"') return string();
    if (c === "'") fail('strings must use double quotes');
    NUMBER.lastIndex = i;
    const number = NUMBER.exec(text);
    if (number !== null) return void (i += number[0].length);
    for (const word of ['true', 'false', 'null'])
      if (text.startsWith(word, i)) return void (i += word.length);
    expected('a value');
  };

  try {
    value();
    space();
    if (i < text.length) fail(`unexpected ${found()} after the end of the JSON value`);
    return undefined;
  } catch (error) {
    if (error instanceof JsonSyntaxError) return { offset: error.offset, reason: error.message };
    throw error;
  }
}
