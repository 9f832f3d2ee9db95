// A `tempa label` server in this process over a fresh candidates file, for the page and server tests:
// the same session, labels file and server the command wires up, without a recipe run first.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readCandidates, type Candidate } from '../../stages/commands/label/candidates.ts';
import { LabelsFile, readLedger } from '../../stages/commands/label/labels-file.ts';
import { startLabelServer, type LabelServer } from '../../stages/commands/label/server.ts';
import { LabelSession, type SessionOptions } from '../../stages/commands/label/session.ts';
import { LabelLedger } from '../../stages/shared/preference/labels.ts';
import { tempDir } from './temp-dir.ts';

/** Eight pairs; the first holds markup and script in its prompt and answers. */
export const PAIRS = [
  { prompt: 'Is <b>this</b> <i>bold</i>?', answers: ['<script>window.pwned = 1</script>plain text', '<img src=x onerror="window.pwned = 2">'] },
  ...Array.from({ length: 7 }, (_, i) => ({ prompt: `What is ${i + 1} + ${i + 1}?`, answers: [`${2 * (i + 1)}`, `${2 * (i + 1) + 1}, I think`] })),
];

export interface TestLabelServer {
  server: LabelServer;
  session: LabelSession;
  candidates: Candidate[];
  labelsFile: string;
  close(): Promise<void>;
}

/**
 * Serves `rows` (written as candidates.jsonl in a temp folder) with labels going to `labelsFile` (default: a
 * new file beside it); `fresh` starts without reading that file (a device such as /dev/full never ends).
 */
export async function serveLabels(options: { rows?: readonly object[]; labelsFile?: string; labeller?: string; session?: Partial<SessionOptions>; fresh?: boolean } = {}): Promise<TestLabelServer> {
  const dir = await tempDir('tempa-label-');
  const candidatesFile = path.join(dir, 'candidates.jsonl');
  await writeFile(candidatesFile, (options.rows ?? PAIRS).map((r) => JSON.stringify(r)).join('\n') + '\n');
  const labelsFile = options.labelsFile ?? path.join(dir, 'labels.jsonl');
  const file = await LabelsFile.open(labelsFile);
  const candidates = await readCandidates(candidatesFile, 'candidates.jsonl');
  const session = new LabelSession({ candidates, ledger: options.fresh ? new LabelLedger() : await readLedger(labelsFile, 'labels.jsonl'), file, labeller: options.labeller ?? 'alice', ...options.session });
  const server = await startLabelServer({ session, title: 'test · preferences', next: 'tempa run recipe.yaml' });
  return {
    server,
    session,
    candidates,
    labelsFile,
    close: async () => {
      await server.close();
      await file.close();
    },
  };
}

/** Every row of a labels file, parsed; fails on a line that is not whole JSON. */
export async function readRows(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8');
  if (text !== '' && !text.endsWith('\n')) throw new Error(`${file} does not end with a newline: ${JSON.stringify(text.slice(-80))}`);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
