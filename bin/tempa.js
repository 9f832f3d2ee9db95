#!/usr/bin/env node
// Entry point and composition root: registers the TypeScript loader, then hands the generic engine
// CLI tempa's built-in stages, commands and runtime options. engine/ never imports stages/.
import { register } from 'tsx/esm/api';

register();
const { createCli } = await import('../engine/cli/main.ts');
const { BUILTIN_COMMANDS, TEMPA } = await import('../stages/builtin.ts');

const cli = createCli({
  ...TEMPA,
  description: 'Declarative pipelines that train a language model from scratch',
  commands: BUILTIN_COMMANDS,
  defaultRecipes: ['tempa.yaml', 'recipes/quickstart.yaml'],
});
process.exitCode = await cli.run(process.argv.slice(2));
