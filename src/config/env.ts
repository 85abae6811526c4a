import { formatPath, problem, type ConfigPath } from './path.js';

/** `${NAME}`, `${NAME:-default}`, or `$${` for a literal `${`. */
const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Keys whose values nsync ignores: a `${VAR}` there must not stop a NunezReplication config loading. */
const IGNORED = new Set(['syncInterval', 'port', 'demoMode', 'databases.stats']);

export interface Substituted {
  value: unknown;
  /** `path: message` for every referenced variable that is not set and has no default. */
  errors: string[];
  /** Paths (as formatted) of the strings that had such an error, so later checks can skip them. */
  failedPaths: Set<string>;
}

/**
 * Replaces `${VAR}` / `${VAR:-default}` in every string value (never in keys) from `env`.
 * As in the shell, the default is used when VAR is unset or empty. A string with a missing
 * variable is left as written and reported.
 */
export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv): Substituted {
  const result: Substituted = { value: undefined, errors: [], failedPaths: new Set() };
  result.value = walk(value, [], env, result);
  return result;
}

function walk(value: unknown, path: (string | number)[], env: NodeJS.ProcessEnv, out: Substituted): unknown {
  if (typeof value === 'string') return substituteString(value, path, env, out);
  if (Array.isArray(value)) return value.map((item, index) => walk(item, [...path, index], env, out));
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const itemPath = [...path, key];
      copy[key] = IGNORED.has(itemPath.join('.')) ? item : walk(item, itemPath, env, out);
    }
    return copy;
  }
  return value;
}

function substituteString(text: string, path: ConfigPath, env: NodeJS.ProcessEnv, out: Substituted): string {
  const missing: string[] = [];
  const replaced = text.replace(
    REFERENCE,
    (match, name: string | undefined, fallback: string | undefined) => {
      if (name === undefined) return '${';
      const set = env[name];
      if (fallback !== undefined) return set === undefined || set === '' ? fallback : set;
      if (set !== undefined) return set;
      missing.push(name);
      return match;
    },
  );
  if (missing.length === 0) return replaced;
  for (const name of missing) out.errors.push(problem(path, `environment variable ${name} is not set`));
  out.failedPaths.add(formatPath(path));
  return text;
}
