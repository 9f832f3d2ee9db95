// dist/manifest.json, written by bin/build.mjs: each compiled source's size, mtime and sha256. Both ways
// of running compiled code ask it whether a source is still as it was built (bin/tempa.js for all of
// them at start-up, bin/compiled-loader.mjs per module), so neither ever runs stale JavaScript.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DIST = path.join(ROOT, 'dist');
/** Modules that need no module hook: relative imports name .js files, import.meta.url is the source's (bin/direct-modules.mjs). */
export const DIRECT = path.join(DIST, 'direct');

/** The manifest's files (repository-relative .ts path -> entry); empty when there is none or it is unreadable. */
export function readManifest() {
  try {
    return JSON.parse(readFileSync(path.join(DIST, 'manifest.json'), 'utf8')).files;
  } catch {
    return {}; // no or unreadable manifest: nothing counts as compiled
  }
}

/** true when `file` is as built (same size and mtime, or, after a checkout touched it, same text); else its text (false: gone). */
export function compiledAsIs(file, entry) {
  const now = statSync(file, { throwIfNoEntry: false });
  if (now && now.size === entry.size && now.mtimeMs === entry.mtimeMs) return true;
  if (!now) return false;
  const source = readFileSync(file, 'utf8');
  return createHash('sha256').update(source).digest('hex') === entry.sha256 ? true : source;
}

/** Whether every compiled source is as built, so dist/direct/ can run without a module hook. */
export function everySourceAsBuilt(files) {
  const entries = Object.entries(files);
  return entries.length > 0 && entries.every(([rel, entry]) => compiledAsIs(path.join(ROOT, rel), entry) === true);
}

/**
 * Names this exact build for the no-op journal (engine/cli/noop-journal.ts): every source as the manifest
 * records it (so only valid while everySourceAsBuilt), the files of bin/, and the installed dependencies
 * as npm last wrote them.
 */
export function buildId(files) {
  const stamp = (file) => {
    const info = statSync(file, { throwIfNoEntry: false });
    return info ? [file, info.ino, info.size, info.mtimeMs, info.ctimeMs] : [file];
  };
  const bin = path.join(ROOT, 'bin');
  const stamps = [path.join(ROOT, 'package.json'), path.join(ROOT, 'node_modules', '.package-lock.json'), ...readdirSync(bin).sort().map((name) => path.join(bin, name))].map(stamp);
  return createHash('sha256').update(JSON.stringify([files, stamps])).digest('hex');
}
