// The shared cache as a run sees it: a miss asks the remote before running, a success is published
// after. The remote is a speed-up, never a reason to fail: an unreachable one is warned about once
// and the run goes on locally; a damaged result is warned about and recomputed.
import type { FileHasher } from '../cache/hash-files.ts';
import type { RunRecord, Store } from '../cache/store.ts';
import { errorText } from '../errors.ts';
import type { RemoteSpec } from './remote-spec.ts';
import type { S3Objects } from './s3-objects.ts';

type Warn = (message: string) => void;

export class RemoteCache {
  readonly spec: RemoteSpec;
  /** Blob hashes and keys a download found damaged: the next publish rewrites them. */
  private readonly damaged = new Set<string>();
  private opened?: Promise<S3Objects | undefined>;
  private unavailable = false;
  private readonly publishing: Promise<void>[] = [];

  constructor(spec: RemoteSpec) {
    this.spec = spec;
  }

  /** Loads the SDK and checks the bucket on first use, so a run whose stages are all cached never does. */
  private objects(warn: Warn): Promise<S3Objects | undefined> {
    this.opened ??= (async () => {
      let objects: S3Objects | undefined;
      try {
        objects = await (await import('./s3-objects.ts')).S3Objects.open(this.spec);
        await objects.check();
        return objects;
      } catch (error) {
        this.disable(error, warn);
        objects?.close();
        return undefined;
      }
    })();
    return this.opened;
  }

  private disable(error: unknown, warn: Warn): void {
    if (this.unavailable) return;
    this.unavailable = true;
    const hint = (error as { hint?: string }).hint;
    warn(`${errorText(error)}${hint ? ` (${hint})` : ''}; running locally without the shared cache`);
  }

  /** The remote's result for `key`, committed into `store`; undefined on a miss or any trouble (warned). */
  async fetch(key: string, store: Store, warn: Warn): Promise<RunRecord | undefined> {
    const objects = await this.objects(warn);
    if (!objects || this.unavailable) return undefined;
    const [{ downloadResult }, { isUnavailable }] = await Promise.all([import('./remote-results.ts'), import('./s3-objects.ts')]);
    try {
      return await downloadResult(objects, store, key, this.damaged);
    } catch (error) {
      if (isUnavailable(error)) this.disable(error, warn);
      else warn(`remote ${this.spec.url}: result ${key.slice(0, 12)} is damaged (${errorText(error)}); not used, computing it here`);
      return undefined;
    }
  }

  /**
   * Publishes a result this run computed, in the background so downstream stages start at once;
   * `close` waits for it. Trouble is warned about, never fails the stage.
   */
  publish(record: RunRecord, store: Store, hasher: FileHasher, warn: Warn): void {
    this.publishing.push(this.publishNow(record, store, hasher, warn));
  }

  private async publishNow(record: RunRecord, store: Store, hasher: FileHasher, warn: Warn): Promise<void> {
    const objects = await this.objects(warn);
    if (!objects || this.unavailable) return;
    const [{ publishResult }, { isUnavailable }] = await Promise.all([import('./remote-results.ts'), import('./s3-objects.ts')]);
    try {
      await publishResult(objects, store, record, hasher, this.damaged);
    } catch (error) {
      if (isUnavailable(error)) this.disable(error, warn);
      else warn(`remote ${this.spec.url}: could not publish ${key12(record)}: ${errorText(error)}`);
    }
  }

  /** Waits for every publish, then lets the client go. Call it before the run's pins are dropped. */
  async close(): Promise<void> {
    await Promise.all(this.publishing);
    (await this.opened?.catch(() => undefined))?.close();
  }
}

const key12 = (record: RunRecord) => `${record.stage} (${record.key.slice(0, 12)})`;
