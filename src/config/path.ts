/** A location inside a config: object keys and array indexes, outermost first. */
export type ConfigPath = readonly (string | number)[];

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `replication.tables[1].primaryKey`, `remoteEnvironments["hq-1"].url`; the root is `config`. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? 'config' : out;
}

/** One `path: message` line, the form every config problem is reported in. */
export const problem = (path: ConfigPath, message: string): string => `${formatPath(path)}: ${message}`;

/**
 * A JSON pointer (ajv's `instancePath`) as a path. `data` tells array indexes from
 * object keys that happen to be digits (a remote may be named "1").
 */
export function pointerToPath(pointer: string, data: unknown): (string | number)[] {
  if (pointer === '') return [];
  const path: (string | number)[] = [];
  let node = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const segment = Array.isArray(node) && /^\d+$/.test(key) ? Number(key) : key;
    path.push(segment);
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  }
  return path;
}
