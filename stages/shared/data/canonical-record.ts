// The canonical record form every downstream stage relies on: strings and keys NFC-normalised with
// CRLF/CR turned into LF, then RFC 8785 canonical JSON (sorted keys, one line) from `canonicalize`.
import canonicalizeImpl from 'canonicalize';

const canonicalize = canonicalizeImpl as unknown as (value: unknown) => string | undefined;

export function normaliseText(text: string): string {
  return (text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text).normalize('NFC');
}

function normaliseDeep(value: unknown): unknown {
  if (typeof value === 'string') return normaliseText(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(normaliseDeep);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) if (inner !== undefined) out[normaliseText(key)] = normaliseDeep(inner);
    return out;
  }
  return value;
}

/** One line of canonical JSON for a JSON-like value. */
export function canonicalJson(value: unknown): string {
  return canonicalize(normaliseDeep(value ?? null)) ?? 'null';
}

/** A record carries nothing when every value is null or a string that is blank after trimming. */
export function isEmptyRecord(record: Record<string, unknown>): boolean {
  return Object.values(record).every((v) => v === null || (typeof v === 'string' && v.trim() === ''));
}
