#!/usr/bin/env node
// Entry point and composition root: sets up TypeScript loading, then hands the generic engine CLI
// tempa's built-in stages, commands and runtime options. engine/ never imports stages/.
import { existsSync } from 'node:fs';
import { register } from 'node:module';

// dist/ (compiled at install by bin/build.mjs) spares the compiler at each start; without it, or with
// TEMPA_COMPILED=0, tsx compiles every module as it loads.
if (process.env.TEMPA_COMPILED !== '0' && existsSync(new URL('../dist/manifest.json', import.meta.url))) {
  register('./compiled-loader.mjs', import.meta.url);
} else {
  (await import('tsx/esm/api')).register();
}
const { createCli } = await import('../engine/cli/main.ts');
const { BUILTIN_COMMANDS, TEMPA } = await import('../stages/builtin.ts');

const cli = createCli({
  ...TEMPA,
  description: 'Declarative pipelines that train a language model from scratch',
  commands: BUILTIN_COMMANDS,
  defaultRecipes: ['tempa.yaml', 'recipes/quickstart.yaml'],
});
process.exitCode = await cli.run(process.argv.slice(2));
