// `--set` values are read as YAML, so `--set name=007` would become the number 7. Where the schema
// says a field is a string, the text as typed is used instead: overrides are typed by the schema.
import { isObject, type Json, type JsonObject } from './compose.ts';

type Schema = Record<string, unknown>;

/** The JSON types the schema allows at `path`, or undefined when it does not say. */
export function schemaTypesAt(schema: Schema, path: readonly string[]): Set<string> | undefined {
  if (path.length === 0) {
    const types = new Set<string>();
    const collect = (s: Schema) => {
      if (typeof s.type === 'string') types.add(s.type);
      if (Array.isArray(s.type)) for (const t of s.type) types.add(String(t));
      if (Array.isArray(s.enum)) for (const v of s.enum) types.add(typeof v);
      for (const branch of [...((s.oneOf as Schema[]) ?? []), ...((s.anyOf as Schema[]) ?? [])]) collect(branch);
    };
    collect(schema);
    return types.size ? types : undefined;
  }
  const [head, ...rest] = path;
  const candidates: Schema[] = [];
  const properties = schema.properties as Record<string, Schema> | undefined;
  if (properties?.[head!]) candidates.push(properties[head!]!);
  else if (isObject(schema.additionalProperties as Json)) candidates.push(schema.additionalProperties as Schema);
  if (/^\d+$/.test(head!) && isObject(schema.items as Json)) candidates.push(schema.items as Schema);
  for (const branch of [...((schema.oneOf as Schema[]) ?? []), ...((schema.anyOf as Schema[]) ?? [])]) {
    const found = schemaTypesAt(branch, path);
    if (found) return found;
  }
  for (const candidate of candidates) {
    const found = schemaTypesAt(candidate, rest);
    if (found) return found;
  }
  return undefined;
}

/**
 * For each override under `base` (a path prefix such as stages.train.with), puts back the typed
 * text when the schema wants a string there and YAML read something else.
 */
export function coerceOverrides(data: JsonObject, schema: Schema, base: readonly string[], overrides: ReadonlyMap<string, string>): void {
  for (const [dotted, raw] of overrides) {
    const path = dotted.split('.');
    if (!base.every((segment, i) => path[i] === segment) || path.length <= base.length) continue;
    const rel = path.slice(base.length);
    const types = schemaTypesAt(schema, rel);
    if (!types?.has('string') || types.size !== 1) continue;
    let node: Json | undefined = data;
    for (const key of rel.slice(0, -1)) node = isObject(node) ? node[key] : undefined;
    const last = rel[rel.length - 1]!;
    if (isObject(node) && node[last] !== undefined && typeof node[last] !== 'string') node[last] = raw;
  }
}
