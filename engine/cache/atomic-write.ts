// Writes a whole file or nothing: readers (and a run after a crash or a full disk) see the old
// contents or the new, never half of them, and a failed write leaves no temp file behind.
import { rename, rm, writeFile } from 'node:fs/promises';
import { asIoError } from '../errors.ts';

export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => undefined); // the write's own error is the one to report
    throw asIoError(error, 'write', file);
  }
}
