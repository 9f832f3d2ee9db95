// Module hook (node:module register) that runs tempa's TypeScript from dist/, compiled at install
// (bin/build.mjs). Modules keep their .ts URLs, so import.meta.url, plugin paths and code hashes are
// unchanged. A source whose size, mtime and sha256 differ from the build's is compiled on the fly instead.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compiledAsIs, DIST, readManifest, ROOT } from './manifest.mjs';
import { FULL_MODULE_QUERY } from './stage-views.mjs';

const files = readManifest(); // empty: every module is compiled on the fly
let compiler;

function readCompiled(rel, suffix) {
  const js = path.join(DIST, rel.replace(/\.ts$/, suffix));
  const code = readFileSync(js, 'utf8');
  // Absolute, since the module's URL is the .ts one; Node reads it only under --enable-source-maps.
  return `${code}\n//# sourceMappingURL=${pathToFileURL(js).href}.map\n`;
}

async function compileNow(file, source) {
  compiler ??= await import('./build.mjs').then(async (build) => ({ compileModule: build.compileModule, esbuild: await build.loadEsbuild() }));
  return (await compiler.compileModule(compiler.esbuild, file, source ?? readFileSync(file, 'utf8'))).code;
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:')) return nextLoad(url, context);
  const file = fileURLToPath(url); // drops the ?code= query the registry adds to local plugins
  if (!file.endsWith('.ts') && !file.endsWith('.mts')) return nextLoad(url, context);
  const rel = path.relative(ROOT, file).split(path.sep).join('/');
  const entry = Object.hasOwn(files, rel) ? files[rel] : undefined;
  // Not ours (a recipe's local plugin) or edited since the build: compiled now, as tsx would.
  const state = entry ? compiledAsIs(file, entry) : undefined;
  let source;
  if (state === true) {
    try {
      // A built-in stage loads as its definition view unless its run() asks for the full module.
      source = readCompiled(rel, entry.view && !url.endsWith(FULL_MODULE_QUERY) ? '.view.js' : '.js');
    } catch {
      // dist/ lost the file since the build: compile it now
    }
  }
  source ??= await compileNow(file, typeof state === 'string' ? state : undefined);
  return { format: 'module', source, shortCircuit: true };
}
