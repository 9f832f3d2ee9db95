// The trust file: which code items each recipe may run on this machine, by the recipe's absolute path
// and the item's content hash. Lives in the user's config folder (TEMPA_TRUST_FILE overrides it).
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../cache/atomic-write.ts';
import { PipelineError } from '../errors.ts';
import type { CodeItem } from './code-items.ts';

interface TrustedItem {
  kind: CodeItem['kind'];
  what: string;
  trustedAt: string;
}

interface TrustData {
  version: 1;
  /** Recipe file (absolute) -> item hash -> what was trusted. */
  recipes: Record<string, Record<string, TrustedItem>>;
}

export function trustFilePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TEMPA_TRUST_FILE) return path.resolve(env.TEMPA_TRUST_FILE);
  const config = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(config, 'tempa', 'trusted.json');
}

export function readTrust(file: string): TrustData {
  if (!existsSync(file)) return { version: 1, recipes: {} };
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as TrustData;
    if (data?.version === 1 && typeof data.recipes === 'object' && data.recipes !== null) return data;
    throw new Error('not a tempa trust file (version 1)');
  } catch (error) {
    throw new PipelineError('USAGE', `cannot read the trust file ${file}: ${error instanceof Error ? error.message : String(error)}`, {
      hint: 'fix or delete it (deleting it means every recipe asks again), or point TEMPA_TRUST_FILE elsewhere',
    });
  }
}

/** Whether `item` of the recipe `recipeFile` is in the trust file with this exact content hash. */
export const isTrusted = (data: TrustData, recipeFile: string, item: CodeItem): boolean => data.recipes[recipeFile]?.[item.hash] !== undefined;

export async function addTrust(file: string, recipeFile: string, items: readonly CodeItem[]): Promise<void> {
  const data = readTrust(file);
  const entries = (data.recipes[recipeFile] ??= {});
  const now = new Date().toISOString();
  for (const item of items) entries[item.hash] = { kind: item.kind, what: item.what, trustedAt: now };
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify(data, null, 2)}\n`);
}
