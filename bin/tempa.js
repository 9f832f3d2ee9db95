#!/usr/bin/env node
// Entry point and composition root: chooses how tempa's TypeScript runs, then hands the generic engine
// CLI tempa's built-in stages, commands and runtime options. engine/ never imports stages/.
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import path from 'node:path';
import { buildId, DIRECT, DIST, everySourceAsBuilt, readManifest, ROOT } from './manifest.mjs';

// Three ways, fastest first. Every source as built (bin/build.mjs, at install): dist/direct/, plain
// JavaScript with no module hook (a hook costs a loader thread at every start); the hook loads only when
// a user's TypeScript is about to be imported. Some source edited since: the hook of
// bin/compiled-loader.mjs runs dist/ and compiles what changed. No dist/, or TEMPA_COMPILED=0: tsx.
const ENGINE_COMMANDS = new Set(['run', 'sweep', 'status', 'verify', 'dag', 'validate', 'trust', 'show', 'gc', 'help']);
const files = process.env.TEMPA_COMPILED === '0' ? {} : readManifest();
let main;
let builtin;
let importModule;
let build;
// A dist/ from a build before dist/direct/ existed runs through the hook until `npm run build`.
if (everySourceAsBuilt(files) && existsSync(path.join(DIRECT, 'engine', 'cli', 'main.js'))) {
  let onDemand;
  [main, builtin, onDemand] = await Promise.all([
    import('../dist/direct/engine/cli/main.js'),
    import('../dist/direct/stages/builtin.js'),
    import('./typescript-on-demand.mjs'),
  ]);
  importModule = onDemand.directImporter(ROOT, files);
  build = buildId(files); // only here is the running code known to be the build's
  // The application's own commands (chat, generate, label...) run model code that may import a user's
  // TypeScript outside any stage: they get the hook from the start.
  const command = process.argv.slice(2).find((arg) => !arg.startsWith('-'));
  if (command && !ENGINE_COMMANDS.has(command)) await onDemand.ready();
} else {
  if (Object.keys(files).length) register('./compiled-loader.mjs', import.meta.url);
  else (await import('tsx/esm/api')).register();
  [main, builtin] = await Promise.all([import('../engine/cli/main.ts'), import('../stages/builtin.ts')]);
}
const { BUILTIN_COMMANDS, TEMPA } = builtin;

const cli = main.createCli({
  ...TEMPA,
  description: 'Declarative pipelines that train a language model from scratch',
  commands: BUILTIN_COMMANDS,
  defaultRecipes: ['tempa.yaml', 'recipes/quickstart.yaml'],
  ...(importModule ? { importModule, buildId: build } : {}),
  // Named by their schemas' content, so they are right in every mode, however stale dist/ is.
  ...(Object.keys(files).length ? { validators: path.join(DIST, 'validators') } : {}),
});
process.exitCode = await cli.run(process.argv.slice(2));
