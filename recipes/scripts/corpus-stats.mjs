// An `exec` stage script: counts records, words and characters of the train and valid splits
// (paths arrive as TEMPA_INPUT_<NAME>) and writes summary.json into $TEMPA_OUT.
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';

async function count(file) {
  const totals = { records: 0, words: 0, chars: 0 };
  for await (const line of createInterface({ input: createReadStream(file) })) {
    if (!line) continue;
    const { text } = JSON.parse(line);
    totals.records += 1;
    totals.words += text.split(/\s+/).filter(Boolean).length;
    totals.chars += text.length;
  }
  return totals;
}

const summary = {
  train: await count(process.env.TEMPA_INPUT_TRAIN),
  valid: await count(process.env.TEMPA_INPUT_VALID),
};
await writeFile(path.join(process.env.TEMPA_OUT, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
console.log(`train ${summary.train.records} records, ${summary.train.words} words; valid ${summary.valid.records} records`);
