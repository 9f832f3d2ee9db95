// The gate before a recipe runs anything: every command and code plugin it names must be trusted on this
// machine (shipped with the application, typed with --set, in the trust file, or accepted with --trust).
// On a terminal the person is asked; without one the run fails, naming each item at its recipe line.
import { PipelineError } from '../errors.ts';
import { displayPath } from '../recipe/parse.ts';
import type { ResolvedRecipe } from '../recipe/resolve.ts';
import { listCodeItems, type CodeItem, type CodeItemOptions } from './code-items.ts';
import { addTrust, isTrusted, readTrust } from './trust-file.ts';

export interface TrustOptions extends CodeItemOptions {
  /** `--trust`: accept every item for this run, without asking and without recording it. */
  trustAll?: boolean;
  trustFile: string;
  /** Asks the person at the terminal (absent without one); true trusts the items and records them. */
  ask?: (question: string) => Promise<boolean>;
  /** Where the list of items is written before the question. */
  write: (text: string) => void;
}

/** The items of `recipe` that are not trusted yet. */
export async function untrustedItems(recipe: ResolvedRecipe, options: CodeItemOptions & { trustFile: string }): Promise<CodeItem[]> {
  const trust = readTrust(options.trustFile);
  return (await listCodeItems(recipe, options)).filter((item) => !item.implicit && !isTrusted(trust, recipe.file, item));
}

export async function ensureTrusted(recipe: ResolvedRecipe, options: TrustOptions): Promise<void> {
  if (options.trustAll) return;
  const untrusted = await untrustedItems(recipe, options);
  if (untrusted.length === 0) return;
  const shown = displayPath(recipe.file);
  if (!options.ask) throw errUntrusted(shown, untrusted);
  options.write(`${shown} runs code that is not trusted on this machine (new, or changed since you trusted it):\n${listItems(untrusted)}\n`);
  if (!(await options.ask('Run it, and trust it for this recipe from now on? [y/N] '))) {
    throw new PipelineError('USAGE', 'not trusted: nothing was run', { hint: `read the code first; \`tempa trust ${shown}\` trusts it without running` });
  }
  await addTrust(options.trustFile, recipe.file, untrusted);
}

export function listItems(items: readonly CodeItem[]): string {
  const where = items.map((i) => (i.location ? `${i.location.file}:${i.location.line}:${i.location.col}` : i.field));
  const width = Math.max(...where.map((w) => w.length));
  return items.map((item, n) => `  ${where[n]!.padEnd(width)}  stage \`${item.stage}\`: ${item.kind} ${item.kind === 'command' ? `\`${item.what}\`` : item.what} (sha256 ${item.hash.slice(0, 12)})`).join('\n');
}

export const errUntrusted = (recipe: string, items: readonly CodeItem[]) =>
  new PipelineError('USAGE', `${recipe} runs code that is not trusted on this machine:\n${listItems(items)}`, {
    hint: `read it, then run again with --trust (this run only), or run \`tempa trust ${recipe}\` to trust it on this machine`,
  });
