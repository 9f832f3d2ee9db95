// Takes docs/label-page.png, the README's picture of `tempa label`: the page over a stage's candidate
// pairs with a few already labelled, in the system Chromium.
// node --import tsx docs/label-screenshot.ts <candidates.jsonl> [labelled pairs] [out.png] [rationale typed]
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readCandidates } from '../stages/commands/label/candidates.ts';
import { LabelsFile, readLedger } from '../stages/commands/label/labels-file.ts';
import { startLabelServer } from '../stages/commands/label/server.ts';
import { LabelSession } from '../stages/commands/label/session.ts';
import { launchBrowser } from '../tests/helpers/browser.ts';

// The page's globals as the functions passed to the page see them (no DOM lib in tsconfig).
declare const document: { body: { dataset: Record<string, string | undefined> } };

const [candidatesFile, labelled = '3', out = 'docs/label-page.png', rationale = ''] = process.argv.slice(2);
if (!candidatesFile) throw new Error('usage: docs/label-screenshot.ts <candidates.jsonl> [labelled pairs] [out.png]');
const labelsFile = path.join(await mkdtemp(path.join(tmpdir(), 'tempa-shot-')), 'labels.jsonl');
const file = await LabelsFile.open(labelsFile);
const session = new LabelSession({ candidates: await readCandidates(candidatesFile, candidatesFile), ledger: await readLedger(labelsFile, 'labels.jsonl'), file, labeller: 'alice' });
const server = await startLabelServer({ session, title: 'labels · preferences', next: 'tempa run recipes/labels.yaml' });
const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 560 } });
  await page.goto(server.url);
  for (let i = 0; i < Number(labelled); i++) {
    const id = await page.evaluate(() => document.body.dataset.pairId);
    await page.keyboard.press(i % 3 === 2 ? '3' : '1');
    await page.waitForFunction((before) => document.body.dataset.busy === 'false' && document.body.dataset.pairId !== before, id);
  }
  if (rationale) await page.fill('#rationale', rationale);
  await page.screenshot({ path: out });
  process.stdout.write(`${out}\n`);
} finally {
  await browser.close();
  await server.close();
  await file.close();
}
