// The one Ajv instance (strict, all errors, defaults filled in; made on first need) and the translation of its errors
// into located, hinted recipe errors: "unknown key `lrr`, did you mean `lr`?" at file:line:col.
import type { Ajv, ErrorObject, Options, ValidateFunction } from 'ajv';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { canonicalJson, sha256 } from '../cache/canonical.ts';
import { errRecipeInvalid, errUnknownKey, suggest, type PipelineError } from '../errors.ts';
import type { FieldPath, SourceMap } from './source-map.ts';

export const AJV_OPTIONS: Options = { allErrors: true, useDefaults: true, strict: true, verbose: true };

// Ajv loads (tens of modules) and compiles (tens of ms a schema) only when no precompiled validator fits.
const require = createRequire(import.meta.url);
let instance: Ajv | undefined;
const ajv = (): Ajv => (instance ??= new (require('ajv') as typeof import('ajv')).Ajv(AJV_OPTIONS));

let ajvVersion: string | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

/**
 * The file name of `schema`'s standalone validator in a folder of precompiled ones (bin/build.mjs writes
 * dist/validators/): it hashes the schema's content with Ajv's version and options, so a schema edited
 * since, or another Ajv, finds no file and is compiled as usual.
 */
export function precompiledName(schema: object): string | undefined {
  let text: string;
  try {
    text = canonicalJson(schema);
  } catch {
    return undefined; // not plain JSON (a plugin's schema may hold anything): compiled, never precompiled
  }
  ajvVersion ??= (require('ajv/package.json') as { version: string }).version;
  return `${sha256(`${ajvVersion}\n${canonicalJson(AJV_OPTIONS)}\n${text}`)}.cjs`;
}

/** `precompiled`: a folder of standalone validators by precompiledName, used where one fits. */
export function validatorFor(schema: object, precompiled?: string): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    // A precompiled validator is the code Ajv would generate now (its standalone output, same version and options).
    const name = precompiled ? precompiledName(schema) : undefined;
    const file = name ? path.join(precompiled!, name) : undefined;
    validate = file && existsSync(file) ? (require(file) as ValidateFunction) : ajv().compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

export function pointerToPath(pointer: string): string[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

/** Drops the noise of unions: when a value fails `oneOf`, keep only the branch errors that fit its type. */
function pruneUnionNoise(errors: ErrorObject[]): ErrorObject[] {
  const unionPaths = new Set(errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf').map((e) => e.instancePath));
  return errors.filter((e) => {
    if (!unionPaths.has(e.instancePath) && ![...unionPaths].some((p) => e.instancePath.startsWith(`${p}/`))) return true;
    const others = errors.filter(
      (o) => o !== e && o.keyword !== 'oneOf' && o.keyword !== 'anyOf' && o.keyword !== 'type' && (o.instancePath === e.instancePath || o.instancePath.startsWith(`${e.instancePath}/`)),
    );
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf') return others.length === 0;
    if (e.keyword === 'type' && unionPaths.has(e.instancePath)) return false;
    return true;
  });
}

/** Converts Ajv errors for the data at `base` (a path prefix inside the recipe) into recipe errors. */
export function toRecipeErrors(errors: ErrorObject[] | null | undefined, base: FieldPath, sources: SourceMap): PipelineError[] {
  const out: PipelineError[] = [];
  const seen = new Set<string>();
  for (const e of pruneUnionNoise(errors ?? [])) {
    const at = [...base, ...pointerToPath(e.instancePath)];
    const field = at.join('.');
    let error: PipelineError;
    if (e.keyword === 'additionalProperties') {
      const key = String(e.params.additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
      error = errUnknownKey(key, allowed, { location: sources.locate([...at, key], 'key'), field: field ? `${field}.${key}` : key });
    } else if (e.keyword === 'required') {
      const key = String(e.params.missingProperty);
      // A misspelling of this key is reported once, as the unknown key with its "did you mean".
      const misspelt = (errors ?? []).some((o) => o.keyword === 'additionalProperties' && o.instancePath === e.instancePath && suggest(String(o.params.additionalProperty), [key]) === key);
      if (misspelt) continue;
      error = errRecipeInvalid(`missing required key \`${key}\``, { location: sources.locate(at, 'key'), field: field ? `${field}.${key}` : key, hint: `add \`${key}:\` here` });
    } else if (e.keyword === 'type') {
      error = errRecipeInvalid(`expected ${e.params.type}, got ${describe(e.data)}`, { location: sources.locate(at), field });
    } else if (e.keyword === 'enum') {
      const allowed = (e.params.allowedValues as unknown[]).map(String);
      const close = typeof e.data === 'string' ? suggest(e.data, allowed) : undefined;
      error = errRecipeInvalid(`expected one of ${allowed.join(' | ')}, got ${describe(e.data)}`, {
        location: sources.locate(at),
        field,
        hint: close ? `did you mean \`${close}\`?` : undefined,
      });
    } else if (e.keyword === 'pattern' && e.propertyName !== undefined) {
      continue; // reported by the propertyNames error below
    } else if (e.keyword === 'propertyNames') {
      const name = String(e.params.propertyName);
      error = errRecipeInvalid(`invalid name \`${name}\``, {
        location: sources.locate([...at, name], 'key'),
        field: field ? `${field}.${name}` : name,
        hint: 'names start with a letter or _ and use only letters, digits, _ and -',
      });
    } else if (e.keyword === 'pattern') {
      // A regular expression tells few readers what to write; the field's description does.
      const description = (e.parentSchema as { description?: string } | undefined)?.description;
      error = errRecipeInvalid(`${e.message ?? 'is invalid'} (got ${describe(e.data)})`, { location: sources.locate(at), field, hint: description && `expected: ${description}` });
    } else {
      error = errRecipeInvalid(`${e.message ?? 'is invalid'} (got ${describe(e.data)})`, { location: sources.locate(at), field });
    }
    const id = `${error.field}\u0000${error.message}`;
    if (!seen.has(id)) out.push(error);
    seen.add(id);
  }
  return out;
}
