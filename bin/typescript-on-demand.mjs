// The module hook of bin/compiled-loader.mjs, registered the first time code run from dist/direct/ (no
// hook) is about to import TypeScript it did not compile: a recipe's local plugin, or a stage about to
// run, which may import a user's reward module. The hook compiles such a module as the hook mode of
// bin/tempa.js would (always as an ES module). Inspecting a recipe and a no-op rerun never pay for it.
import { register } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let registered = false;

/** Registers the hook once; code run from dist/direct/ calls it before importing TypeScript it did not compile. */
export async function ready() {
  if (!registered) register('./compiled-loader.mjs', import.meta.url);
  registered = true;
}

/** The composition root's importer for the engine (App.importModule): `files` is dist/manifest.json's. */
export function directImporter(root, files) {
  return async (url) => {
    const plain = new URL(url);
    if (plain.protocol !== 'file:') return import(url);
    plain.search = ''; // the ?code= the registry adds to a local plugin
    const rel = path.relative(root, fileURLToPath(plain)).split(path.sep).join('/');
    const entry = Object.hasOwn(files, rel) ? files[rel] : undefined;
    if (entry) return import(new URL(`../dist/direct/${rel.replace(/\.ts$/, entry.view ? '.view.js' : '.js')}`, import.meta.url).href);
    if (/\.[mc]?ts$/.test(plain.pathname)) await ready();
    return import(url);
  };
}
