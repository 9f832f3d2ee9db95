// `npm run build` (also run by `npm install` through `prepare`): compiles tempa's TypeScript once, so
// the CLI starts without a compiler. Each .ts under engine/, stages/ and schemas/ becomes dist/<path>.js
// (+ .map, + .view.js for a built-in stage: bin/stage-views.mjs) and its hook-free twin dist/direct/<path>.js
// (bin/direct-modules.mjs), plus Ajv validators for the built-in schemas (bin/precompile-validators.mjs);
// dist/manifest.json records each source's size, mtime and sha256 (bin/manifest.mjs).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { toDirectModule } from './direct-modules.mjs';
import { precompileValidators } from './precompile-validators.mjs';
import { definitionView } from './stage-views.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = path.join(ROOT, 'dist');
const SOURCE_DIRS = ['engine', 'stages', 'schemas'];
const BUILTIN_STAGE = /^stages\/[^/]+\/index\.ts$/;

/** TypeScript parses the stages for their definition views; without it (no dev dependencies) stages load whole. */
async function loadTypeScript() {
  try {
    return (await import('typescript')).default;
  } catch {
    process.stderr.write('tempa: typescript not installed: built-in stages will load whole (status and dag load their training code)\n');
    return undefined;
  }
}

/** The esbuild that tsx ships (tsx is a dependency, so this adds no package); loaded only when compiling. */
export async function loadEsbuild() {
  const fromTsx = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'));
  return import(pathToFileURL(fromTsx.resolve('esbuild')).href);
}

/** The compiler options tsx would apply: tsconfig.json's, so compiled and on-the-fly code mean the same. */
function tsconfigRaw() {
  const { compilerOptions } = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8'));
  return { compilerOptions };
}

/**
 * One module to JavaScript. With `mapFile` (where the map will live) the map comes apart and names the
 * .ts relative to it, so no absolute path is baked into dist/; undefined: inline (compiled on the fly); null: none.
 */
export async function compileModule(esbuild, file, source, mapFile, options = tsconfigRaw()) {
  const result = await esbuild.transform(source, {
    loader: 'ts',
    format: 'esm',
    target: 'node20', // package.json engines
    sourcemap: mapFile ? 'external' : mapFile === null ? false : 'inline',
    sourcefile: mapFile ? path.relative(path.dirname(mapFile), file).split(path.sep).join('/') : file,
    tsconfigRaw: options,
    treeShaking: mapFile === null, // a definition view drops the helpers only run() used
  });
  return { code: result.code, map: result.map };
}

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

function listSources() {
  return SOURCE_DIRS.flatMap((dir) =>
    readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
      .map((e) => path.relative(ROOT, path.join(e.parentPath ?? e.path, e.name)).split(path.sep).join('/')),
  ).sort();
}

/** Compiles every source into a fresh folder, then swaps it in: a failed build leaves no half dist/. */
async function build() {
  const esbuild = await loadEsbuild();
  const staging = `${DIST}.${process.pid}.tmp`;
  await rm(staging, { recursive: true, force: true });
  const options = tsconfigRaw();
  const ts = await loadTypeScript();
  const files = {};
  try {
    await Promise.all(
      listSources().map(async (rel) => {
        const file = path.join(ROOT, rel);
        // stat before reading: an edit during the build then leaves a mismatch, never a false match.
        const { size, mtimeMs } = statSync(file);
        const source = await readFile(file, 'utf8');
        const out = path.join(staging, rel.replace(/\.ts$/, '.js'));
        const { code, map } = await compileModule(esbuild, file, source, path.join(DIST, `${rel.replace(/\.ts$/, '.js')}.map`), options);
        await mkdir(path.dirname(out), { recursive: true });
        const direct = path.join(staging, 'direct', rel.replace(/\.ts$/, '.js'));
        await mkdir(path.dirname(direct), { recursive: true });
        await writeFile(out, code);
        await writeFile(`${out}.map`, map);
        await writeFile(direct, toDirectModule(code, rel));
        const view = ts && BUILTIN_STAGE.test(rel) ? definitionView(ts, source, file) : undefined;
        if (view) {
          // What only run() used drops out: tree shaking removes its helpers, then a second pass with
          // TypeScript's elision of unused imports (on for the view alone) removes the imports they used.
          const viewOptions = { compilerOptions: { ...options.compilerOptions, verbatimModuleSyntax: false } };
          const shaken = (await compileModule(esbuild, file, view, null, viewOptions)).code;
          const viewCode = (await compileModule(esbuild, file, shaken, null, viewOptions)).code;
          await writeFile(out.replace(/\.js$/, '.view.js'), viewCode);
          await writeFile(direct.replace(/\.js$/, '.view.js'), toDirectModule(viewCode, rel, true));
        }
        files[rel] = { size, mtimeMs, sha256: sha256(source), ...(view ? { view: true } : {}) };
      }),
    );
    try {
      await precompileValidators(ROOT, staging);
    } catch (error) {
      // Only a start-up cost: without precompiled validators every schema is compiled at run time, as before.
      process.stderr.write(`tempa: no precompiled validators (${error instanceof Error ? error.message : error})\n`);
    }
    const sorted = Object.fromEntries(Object.entries(files).sort(([a], [b]) => a.localeCompare(b)));
    await writeFile(path.join(staging, 'manifest.json'), `${JSON.stringify({ files: sorted }, null, 1)}\n`);
    await rm(DIST, { recursive: true, force: true });
    await rename(staging, DIST);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return Object.keys(files).length;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  try {
    const count = await build();
    process.stderr.write(`tempa: compiled ${count} modules to dist/ in ${Math.round(performance.now() - started)} ms\n`);
  } catch (error) {
    // Never fails the install: without dist/ the CLI compiles on the fly through tsx, as before.
    process.stderr.write(`tempa: could not compile to dist/ (${error instanceof Error ? error.message : error}); the CLI will compile TypeScript at each start\n`);
  }
}
