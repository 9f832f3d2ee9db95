// `tempa push` and `tempa pull`: move a recipe's current results between the local store and the
// shared cache by key, explicitly. Unlike a run, a remote that cannot be used is an error here.
import path from 'node:path';
import { FileHasher } from '../cache/hash-files.ts';
import { Store } from '../cache/store.ts';
import { errUsage } from '../errors.ts';
import type { ResolvedRecipe } from '../recipe/resolve.ts';
import { publishResult } from '../remote/remote-results.ts';
import { remoteSpecOf, type RemoteSpec } from '../remote/remote-spec.ts';
import { S3Objects } from '../remote/s3-objects.ts';
import { runRecipe } from '../run.ts';
import { createLineReporter } from '../ui-lines.ts';
import { EXIT, storeDirOf } from './shared.ts';

export interface RemoteFlags {
  remote?: string;
  remoteEndpoint?: string;
  store?: string;
}

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

function remoteOf(recipe: ResolvedRecipe, flags: RemoteFlags): RemoteSpec {
  const spec = remoteSpecOf(recipe.remote, flags);
  if (!spec) throw errUsage('no remote to use', 'pass --remote s3://bucket/prefix (and --remote-endpoint for MinIO or R2), or add `remote:` to the recipe');
  return spec;
}

/** Opens the remote and checks the bucket, so a missing bucket or refused credentials stop here, clearly. */
async function openChecked(spec: RemoteSpec): Promise<S3Objects> {
  const objects = await S3Objects.open(spec);
  try {
    await objects.check();
    return objects;
  } catch (error) {
    objects.close();
    throw error;
  }
}

/** Publishes every stage whose current key has a result in the local store. */
export async function pushCommand(recipe: ResolvedRecipe, flags: RemoteFlags): Promise<number> {
  const spec = remoteOf(recipe, flags);
  const storeDir = storeDirOf(flags.store, recipe.file);
  const objects = await openChecked(spec);
  try {
    const store = new Store(storeDir);
    const hasher = new FileHasher(path.join(storeDir, 'hash-memo.json'));
    await hasher.load();
    const summary = await runRecipe(recipe, { dryRun: true, storeDir });
    let pushed = 0;
    for (const o of summary.outcomes) {
      const { record } = o.status === 'cached' && o.key ? await store.lookup(o.key, err, hasher) : {};
      if (!record) {
        out(`${o.name}: not in the local store, not pushed (run it first)`);
        continue;
      }
      const done = await publishResult(objects, store, record, hasher, new Set());
      out(`${o.name}: ${done.wroteResult ? 'pushed' : 'already in the remote'} ${record.key.slice(0, 12)} (${done.uploaded} file(s) uploaded, ${done.present} there already)`);
      pushed++;
    }
    await hasher.save().catch(() => undefined);
    out(`${pushed} of ${summary.outcomes.length} stage results are in ${spec.url}`);
    return EXIT.ok;
  } finally {
    objects.close();
  }
}

/** Downloads every result of the recipe the local store lacks and the remote has; runs nothing. */
export async function pullCommand(recipe: ResolvedRecipe, flags: RemoteFlags): Promise<number> {
  const spec = remoteOf(recipe, flags);
  (await openChecked(spec)).close();
  const summary = await runRecipe(recipe, { fetchOnly: true, storeDir: storeDirOf(flags.store, recipe.file), remote: spec.url, remoteEndpoint: spec.endpoint, reporter: { ...createLineReporter(() => undefined), stageLog: (name, _level, m) => err(`${name}: ${m}`) } });
  let have = 0;
  for (const o of summary.outcomes) {
    if (o.status === 'cached') have++;
    const what = o.downloaded ? 'pulled' : o.status === 'cached' ? 'already in the local store' : `not pulled: ${o.reasons.join('; ') || o.error?.message}`;
    out(`${o.name}: ${what}${o.key ? ` ${o.key.slice(0, 12)}` : ''}`);
  }
  out(`${have} of ${summary.outcomes.length} stage results are in the local store`);
  return EXIT.ok;
}
