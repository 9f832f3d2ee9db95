// Resolves `${a.b.c}` references to other recipe values. A string that is exactly one reference
// takes the referenced value with its type; a reference inside longer text is stringified.
// `\${` writes a literal `${`. References may chain; a cycle is an error naming it.
import { errRecipeInvalid, PipelineError, suggest } from '../errors.ts';
import { isObject, type Json, type JsonObject } from './compose.ts';
import { WHOLE_REF, type FieldPath, type SourceMap } from './source-map.ts';

const REF = /(\\?)\$\{([^}]*)\}/g;

export function interpolate(data: JsonObject, sources: SourceMap): PipelineError[] {
  const errors: PipelineError[] = [];
  const resolving = new Set<string>();
  const done = new Set<string>();
  const refStack: string[] = [];

  function lookup(ref: string, at: FieldPath): Json | undefined {
    const parts = ref.trim().split('.');
    let node: Json | undefined = data;
    const walked: string[] = [];
    for (const part of parts) {
      const children: string[] = isObject(node) ? Object.keys(node) : Array.isArray(node) ? node.map((_, i) => String(i)) : [];
      if (!children.includes(part)) {
        const close = suggest(part, children);
        const where = walked.length ? `\`${walked.join('.')}\` has no \`${part}\`` : `no top-level key \`${part}\``;
        errors.push(
          errRecipeInvalid(`unknown reference \${${ref}}: ${where}`, {
            location: sources.locate(at),
            field: at.join('.'),
            hint: close ? `did you mean \${${[...walked, close].join('.')}}?` : 'references name recipe values, e.g. ${vars.lr} or ${vars.model.nEmbd}',
          }),
        );
        return undefined;
      }
      walked.push(part);
      node = isObject(node) ? node[part] : (node as Json[])[Number(part)];
      // A string on the way may itself be a reference to a mapping (`${vars.m.x}` with `m: ${model}`).
      if (typeof node === 'string' && walked.length < parts.length) {
        resolveAt([...walked]);
        node = getAt(walked);
      }
    }
    resolveAt(walked);
    return getAt(walked);
  }

  function getAt(at: FieldPath): Json | undefined {
    let node: Json | undefined = data;
    for (const key of at) node = isObject(node) ? node[String(key)] : Array.isArray(node) ? node[Number(key)] : undefined;
    return node;
  }

  function setAt(at: FieldPath, value: Json): void {
    const parent = getAt(at.slice(0, -1));
    const key = at[at.length - 1]!;
    if (isObject(parent)) parent[String(key)] = value;
    else if (Array.isArray(parent)) parent[Number(key)] = value;
  }

  /** Resolves every reference inside the value at `at`, in place. */
  function resolveAt(at: FieldPath): void {
    const id = at.join('\u0000');
    if (done.has(id)) return;
    if (resolving.has(id)) {
      const start = refStack.findIndex((p) => p === at.join('.') || p.startsWith(`${at.join('.')}.`));
      const chain = [...refStack.slice(Math.max(0, start)), at.join('.')];
      errors.push(
        errRecipeInvalid(`references form a cycle: ${chain.join(' -> ')}`, {
          location: sources.locate(at),
          field: at.join('.'),
          hint: 'a value may not refer to itself, directly or through other references',
        }),
      );
      setAt(at, null);
      return;
    }
    const value = getAt(at);
    resolving.add(id);
    if (typeof value === 'string') {
      refStack.push(at.join('.'));
      setAt(at, resolveString(value, at));
      refStack.pop();
    }
    else if (isObject(value)) for (const key of Object.keys(value)) resolveAt([...at, key]);
    else if (Array.isArray(value)) value.forEach((_, i) => resolveAt([...at, i]));
    resolving.delete(id);
    done.add(id);
  }

  function resolveString(text: string, at: FieldPath): Json {
    const whole = WHOLE_REF.exec(text);
    if (whole) return structuredClone(lookup(whole[1]!, at) ?? null);
    if (!text.includes('${')) return text;
    return text.replace(REF, (match, escape: string, ref: string) => {
      if (escape) return match.slice(1);
      const value = lookup(ref, at);
      if (value === undefined) return match;
      return typeof value === 'string' ? value : JSON.stringify(value);
    });
  }

  resolveAt([]);
  return errors;
}
