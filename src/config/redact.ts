const SECRET_KEYS = new Set(['password', 'apiKey']);

/**
 * A copy of a config (as written, or normalised) without secrets, for `GET /api/config`:
 * every `password` and `apiKey` property and every `api.keys` list are removed, and a
 * password inside any `url` (`postgres://user:secret@host/db`) is cut out.
 */
export function redactConfig(raw: unknown): unknown {
  return redact(raw, []);
}

function redact(value: unknown, path: string[]): unknown {
  if (Array.isArray(value)) return value.map((item) => redact(item, path));
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (SECRET_KEYS.has(key)) continue;
    if (key === 'keys' && path.at(-1) === 'api') continue;
    copy[key] =
      key === 'url' && typeof item === 'string' ? withoutPassword(item) : redact(item, [...path, key]);
  }
  return copy;
}

/** `scheme://user:secret@host/...` → `scheme://user@host/...`; anything else unchanged. */
function withoutPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*):[^/?#]*@/i, '$1@');
}
