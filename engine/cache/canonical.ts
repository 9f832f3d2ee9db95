// One canonical JSON text per value (RFC 8785: sorted keys, fixed number format), so a cache key
// never depends on key order, YAML formatting or comments. Refuses values JSON cannot represent.
import canonicalizeImpl from 'canonicalize';
import { createHash } from 'node:crypto';

const canonicalize = canonicalizeImpl as unknown as (value: unknown) => string | undefined;

export function canonicalJson(value: unknown): string {
  assertPlain(value, '');
  const text = canonicalize(value);
  if (text === undefined) throw new Error('value has no JSON form');
  return text;
}

export const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

export const hashValue = (value: unknown): string => sha256(canonicalJson(value));

/** A partial key silently weakens the cache, so anything not plain JSON is an error, not skipped. */
function assertPlain(value: unknown, at: string): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot key ${at || 'value'}: ${value} is not finite`);
    return;
  }
  if (Array.isArray(value)) return value.forEach((v, i) => assertPlain(v, `${at}[${i}]`));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) throw new Error(`cannot key ${at ? `${at}.` : ''}${k}: undefined`);
      assertPlain(v, at ? `${at}.${k}` : k);
    }
    return;
  }
  throw new Error(`cannot key ${at || 'value'}: ${typeof value} is not plain JSON`);
}
