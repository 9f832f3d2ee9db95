// The labels file as `tempa label` writes it: opened O_APPEND, each label one whole line in one write(),
// fsynced before the caller answers the page, so a crash or kill loses no acknowledged label and never
// leaves half a line. Callers serialise appends (the label session's queue).
import { constants } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { errDataInvalid, errIo, ioStep } from '../../../engine/errors.ts';
import { readJsonl } from '../../shared/data/jsonl.ts';
import { LabelLedger, parseLabelRow, type LabelRow } from '../../shared/preference/labels.ts';

export class LabelsFile {
  readonly file: string;
  private readonly handle: FileHandle;
  /** The file ended without a newline (a hand edit): the next row starts with one, so it never joins that line. */
  private needsNewline: boolean;

  private constructor(file: string, handle: FileHandle, needsNewline: boolean) {
    this.file = file;
    this.handle = handle;
    this.needsNewline = needsNewline;
  }

  /** Opens (creating it and its folder if missing) for appending; the parent folder is fsynced when the file is new. */
  static async open(file: string): Promise<LabelsFile> {
    return ioStep('open the labels file', file, async () => {
      await mkdir(path.dirname(file), { recursive: true });
      const handle = await open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o644);
      const { size } = await handle.stat();
      if (size === 0) await syncFolder(path.dirname(file));
      return new LabelsFile(file, handle, size > 0 && !(await endsWithNewline(file, size)));
    });
  }

  /** Appends one row as one line and waits until it is on disk. */
  async append(row: LabelRow): Promise<void> {
    const bytes = Buffer.from(`${this.needsNewline ? '\n' : ''}${JSON.stringify(row)}\n`);
    const { size } = await this.handle.stat();
    try {
      const { bytesWritten } = await this.handle.write(bytes);
      if (bytesWritten !== bytes.length) throw Object.assign(new Error(`short write: ${bytesWritten} of ${bytes.length} bytes`), { code: 'EIO' });
      await this.handle.sync();
    } catch (error) {
      // A short or failed write (disk full) must not leave a partial line for the next one to join.
      await this.handle.truncate(size).catch(() => undefined);
      throw errIo('append to', this.file, error as NodeJS.ErrnoException);
    }
    this.needsNewline = false;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** Every row already in `file` folded into a ledger; a bad row stops with file:line. */
export async function readLedger(file: string, displayName: string): Promise<LabelLedger> {
  const ledger = new LabelLedger();
  const hint = 'fix or delete that line of the labels file';
  for await (const { line, record } of readJsonl(file, { displayName, hint })) {
    const row = parseLabelRow(record);
    if ('problem' in row) throw errDataInvalid(displayName, line, row.problem, hint);
    ledger.add(row);
  }
  return ledger;
}

async function endsWithNewline(file: string, size: number): Promise<boolean> {
  const reader = await open(file, 'r');
  try {
    const { buffer } = await reader.read(Buffer.alloc(1), 0, 1, size - 1);
    return buffer[0] === 0x0a;
  } finally {
    await reader.close();
  }
}

async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
