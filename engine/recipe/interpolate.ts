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
      const found = isObject(node) ? Object.hasOwn(node, part) : Array.isArray(node) && /^(0|[1-9]\d*)$/.test(part) && Number(part) < node.length;
      if (!found) {
        const children: string[] = isObject(node) ? Object.keys(node) : Array.isArray(node) ? node.map((_, i) => String(i)) : [];
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

  /**
   * Resolves every reference inside the value at `at`, in place. Only strings holding `${` are tracked
   * (a path string per node of a big recipe made this the slowest part of loading it); a container is
   * walked again when a reference names it, which finds its strings done.
   */
  function resolveAt(at: FieldPath, value: Json | undefined = getAt(at)): void {
    if (typeof value === 'string') {
      if (!value.includes('${')) return;
      const dotted = at.join('.');
      if (done.has(dotted)) return;
      if (resolving.has(dotted)) {
        const start = refStack.findIndex((p) => p === dotted || p.startsWith(`${dotted}.`));
        const chain = [...refStack.slice(Math.max(0, start)), dotted];
        errors.push(
          errRecipeInvalid(`references form a cycle: ${chain.join(' -> ')}`, {
            location: sources.locate(at),
            field: dotted,
            hint: 'a value may not refer to itself, directly or through other references',
          }),
        );
        setAt(at, null);
        return;
      }
      resolving.add(dotted);
      refStack.push(dotted);
      setAt(at, resolveString(value, at));
      refStack.pop();
      resolving.delete(dotted);
      done.add(dotted);
    } else if (isObject(value)) {
      for (const key of Object.keys(value)) resolveAt([...at, key], value[key]);
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => resolveAt([...at, i], item));
    }
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
