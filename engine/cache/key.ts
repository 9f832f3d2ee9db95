// A stage's cache key: sha256 over one canonical JSON manifest of everything that can change its
// outputs. The manifest is stored beside each result so `status` can say *what* changed.
import { canonicalJson, sha256 } from './canonical.ts';

/** Bump to invalidate every key when the manifest's meaning changes. */
export const KEY_SCHEMA = 'tempa-stage-key/3';

export interface InputManifest {
  hash: string;
  /** Per-file hashes, relative to the artifact root: lets `status` name the file that changed. */
  files: Record<string, string>;
  /** `stage.output` that made it (absent for a dataset): a stage may name what it read by where it came from
   *  (evaluate labels its models so), so reading the same bytes from a renamed stage is another key. */
  from?: string;
}

export interface KeyManifest {
  schema: string;
  plugin: { name: string; version: number; code: string };
  params: unknown;
  inputs: Record<string, InputManifest>;
  seed: number;
}

export function stageKey(manifest: KeyManifest): string {
  return sha256(canonicalJson(manifest));
}
