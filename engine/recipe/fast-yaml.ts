// The fast way to read a recipe: js-yaml is about ten times faster than `yaml` but keeps no source
// positions, so a recipe is read with it first and handed to `yaml` (positions, exact errors) only when
// a location is needed or js-yaml refuses it. Its scalars are resolved exactly as `yaml`'s YAML 1.2 core
// schema does (js-yaml's own core schema also reads `1_000` as a number, and its default one dates).
import jsyaml from 'js-yaml';

const scalar = (tag: string, test: RegExp, construct: (text: string) => unknown) =>
  new jsyaml.Type(`tag:yaml.org,2002:${tag}`, {
    kind: 'scalar',
    resolve: (text: unknown) => typeof text === 'string' && test.test(text),
    construct: (text: string) => construct(text),
  });

// The regular expressions of yaml/dist/schema/core (and common/null.js), in the same order.
const CORE_1_2 = jsyaml.FAILSAFE_SCHEMA.extend({
  implicit: [
    scalar('null', /^(?:~|[Nn]ull|NULL)?$/, () => null),
    scalar('bool', /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/, (t) => t[0] === 't' || t[0] === 'T'),
    scalar('int', /^(?:0o[0-7]+|[-+]?[0-9]+|0x[0-9a-fA-F]+)$/, (t) => (t.startsWith('0o') ? parseInt(t.slice(2), 8) : t.startsWith('0x') ? parseInt(t.slice(2), 16) : parseInt(t, 10))),
    scalar('float', /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*))$/, (t) => {
      const lower = t.toLowerCase();
      if (lower.endsWith('nan')) return NaN;
      if (lower.endsWith('inf')) return t[0] === '-' ? -Infinity : Infinity;
      return parseFloat(t);
    }),
  ],
});

/**
 * What the two readers read differently: a collection as a key (`[a]: 1`, `? {x: 1}`), a null key
 * (`~: 1` is "" to yaml, "null" to js-yaml), and a directive (`%YAML 1.1` switches yaml's schema).
 * Found by their text, quoted or not: a false alarm only costs the slow reader.
 */
const READ_DIFFERENTLY = /^%|[\]}][ \t]*:(?:[ \t]|$)|^[ \t-]*\?(?:[ \t]|$)|(?:^|[\s{,\-])(?:~|null|Null|NULL)[ \t]*:(?:[ \t]|$)/m;

/**
 * The recipe's data when js-yaml reads it as one plain mapping; undefined for anything else (syntax
 * errors, duplicate keys, unknown tags, keys read differently), which `yaml` then reads and reports.
 */
export function loadFast(text: string): Record<string, unknown> | undefined {
  if (READ_DIFFERENTLY.test(text)) return undefined;
  let data: unknown;
  try {
    data = jsyaml.load(text, { schema: CORE_1_2 });
  } catch {
    return undefined;
  }
  return typeof data === 'object' && data !== null && !Array.isArray(data) && Object.getPrototypeOf(data) === Object.prototype ? (data as Record<string, unknown>) : undefined;
}
