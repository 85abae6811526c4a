import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks a presented API key against every configured one in constant time: both sides are
 * hashed first, so neither the length nor the content of a key leaks through timing, and
 * every key is compared even after a match (several keys, for rotation).
 */
export function keyChecker(keys: readonly string[]): (presented: string | undefined) => boolean {
  const digests = keys.map(digest);
  return (presented) => {
    if (presented === undefined || presented === '') return false;
    const given = digest(presented);
    let match = false;
    for (const key of digests) match = timingSafeEqual(key, given) || match;
    return match;
  };
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** The key of a request: `X-API-Key` (as PHP clients send it), or `Authorization: Bearer` (e.g. Prometheus). */
export function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const header = headers['x-api-key'];
  if (typeof header === 'string') return header;
  const auth = headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice('Bearer '.length);
  return undefined;
}

/** A short, non-reversible name for a key: rate-limit buckets and logs never hold the key itself. */
export function keyTag(key: string): string {
  return `key:${digest(key).toString('hex').slice(0, 12)}`;
}
