// Resolving a recipe to run it: nothing the recipe names runs before every command and code plugin in it
// is trusted on this machine (asked on a terminal), apart from main.ts so `--help` never loads it.
import type { App } from '../app.ts';
import { resolveRecipe, type ResolvedRecipe } from '../recipe/resolve.ts';
import { deferredStages } from '../trust/code-items.ts';
import { ensureTrusted } from '../trust/ensure-trusted.ts';
import { trustFilePath } from '../trust/trust-file.ts';

/** Resolves `file` first without importing code plugins, checks trust, then (if it has any) resolves it with them. */
export async function loadToRun(app: App, file: string, sets: readonly string[], trustAll = false): Promise<ResolvedRecipe> {
  const inspected = await resolveRecipe(file, app, { sets, importCode: false });
  await ensureTrusted(inspected, {
    trustAll,
    trustFile: trustFilePath(),
    declared: app.declaredCode,
    shippedRecipes: app.shippedRecipes,
    ask: process.stdin.isTTY ? askYesNo : undefined,
    write: (text) => process.stderr.write(text),
  });
  // Only code plugins resolve differently once imported: without any, the inspected recipe is the one to run.
  return deferredStages(inspected).length === 0 ? inspected : resolveRecipe(file, app, { sets });
}

async function askYesNo(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^\s*y(es)?\s*$/i.test(await rl.question(question));
  } finally {
    rl.close();
  }
}
