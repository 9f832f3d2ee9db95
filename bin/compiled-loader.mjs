// Module hook (node:module register) that runs tempa's TypeScript from dist/, compiled at install
// (bin/build.mjs). Modules keep their .ts URLs, so import.meta.url, plugin paths and code hashes are
// unchanged. A source whose size, mtime and sha256 differ from the build's is compiled on the fly instead.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FULL_MODULE_QUERY } from './stage-views.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = path.join(ROOT, 'dist');
let files = {};
try {
  files = JSON.parse(readFileSync(path.join(DIST, 'manifest.json'), 'utf8')).files;
} catch {
  // no or unreadable manifest: every module is compiled on the fly
}
let compiler;

/** true when dist/ holds `file` as it is now (same size and mtime, or, after a checkout touched it, same text); else its text. */
function compiledAsIs(file, entry) {
  const now = statSync(file, { throwIfNoEntry: false });
  if (now && now.size === entry.size && now.mtimeMs === entry.mtimeMs) return true;
  const source = readFileSync(file, 'utf8');
  return createHash('sha256').update(source).digest('hex') === entry.sha256 ? true : source;
}

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
