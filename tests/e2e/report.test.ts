// The report stage on a tiny init -> pretrain -> sft -> evaluate pipeline: its charts draw exactly the
// numbers of each stage's curve.jsonl, the samples table has a row per stage with a model, the graph
// names every upstream stage by its key, a changed stage changes only its own section's inputs, `tempa
// report` prints the page's path, and the page opened in Chromium fetches nothing and draws every chart.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { makeProject, runPipeline, tempa, type PipelineRun } from '../helpers/project.ts';
import { tinyModelRecipe } from '../helpers/tiny-model-recipe.ts';

const RECIPE = `${tinyModelRecipe({ seed: 5, backend: 'wasm' })}  pretrain:
    uses: pretrain
    inputs: { model: init.model, train: corpus.records }
    with: { steps: 12, batchSize: 8, lr: 0.01, evalEvery: 4, evalBatches: 1, sample: { maxTokens: 4 } }
  instructions: { uses: make-instructions, with: { tasks: [lists/max, strings/count-char], difficulty: easy, trainPerTask: 40, heldOutPerTask: 4 } }
  sft:
    uses: sft
    inputs: { model: pretrain.model, train: instructions.train, heldOut: instructions.heldOut }
    with: { steps: 10, batchSize: 8, lr: 0.01, evalEvery: 5, evalBatches: 1, evalExamples: 4, evalSampling: { maxTokens: 4 } }
  evaluate:
    uses: evaluate
    inputs: { model: sft.model, baseline: pretrain.model, heldOut: instructions.heldOut }
    with: { examples: 8, samples: 2, sampling: { maxTokens: 4 } }
  report:
    uses: report
    inputs: { init: init.model, pretrain: pretrain.model, pretrain-curve: pretrain.curve, sft: sft.model, sft-curve: sft.curve, sft-eval: sft.eval, evaluate: evaluate.eval }
    with: { prompts: [Hello there, 'What is the largest number in the list [3, 9, 4]?'], sampling: { maxTokens: 6 } }
`;

type Point = { step: number; metric: string; value: number };

let dir: string;
let first: PipelineRun;
const outputOf = (run: PipelineRun, stage: string, output: string) => run.outcomes.find((o) => o.name === stage)!.outputs![output]!;

/** Each figure of the page: its title, its section, and the data it drew (the JSON beside its SVG). */
function figures(html: string): { section: string; title: string; data: Point[] }[] {
  const found: { section: string; title: string; data: Point[] }[] = [];
  let section = '';
  const pattern = /<section class="stage-section" id="stage-([^"]+)">|<figure class="chart" data-title="([^"]*)">[\s\S]*?<script type="application\/json" class="chart-data">([\s\S]*?)<\/script><\/figure>/g;
  for (const m of html.matchAll(pattern)) {
    if (m[1] !== undefined) section = m[1];
    else found.push({ section, title: m[2]!, data: JSON.parse(m[3]!) as Point[] });
  }
  return found;
}

const byKey = (a: Point, b: Point) => a.metric.localeCompare(b.metric) || a.step - b.step;

before(async () => {
  dir = await makeProject({ 'recipe.yaml': RECIPE });
  first = await runPipeline(path.join(dir, 'recipe.yaml'));
  assert.ok(first.ok, JSON.stringify(first.outcomes.map((o) => o.error?.message)));
});

describe('report stage', () => {
  it("draws exactly each stage's curve.jsonl: every number of every column but step, once", async () => {
    const html = await readFile(outputOf(first, 'report', 'html'), 'utf8');
    for (const stage of ['pretrain', 'sft']) {
      const lines = (await readFile(outputOf(first, stage, 'curve'), 'utf8')).trim().split('\n');
      const expected = lines.flatMap((line) => {
        const { step, ...columns } = JSON.parse(line) as Record<string, number>;
        return Object.entries(columns).map(([metric, value]) => ({ step: step!, metric, value }));
      });
      const drawn = figures(html).filter((f) => f.section === stage).flatMap((f) => f.data);
      assert.ok(expected.length > 12, `${stage}: ${expected.length} numbers`);
      assert.deepEqual([...drawn].sort(byKey), [...expected].sort(byKey), stage);
      assert.ok(figures(html).some((f) => f.section === stage && f.title === 'Loss' && f.data.some((p) => p.metric === 'valLoss')), 'validation loss shares the loss chart');
    }
  });

  it('shows a sample row per stage with a model, the held-out table with chance, and every upstream stage by its key', async () => {
    const html = await readFile(outputOf(first, 'report', 'html'), 'utf8');
    const samples = /<table class="samples">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html)![1]!;
    assert.deepEqual([...samples.matchAll(/<tr><td>([^<]+)<\/td>/g)].map((m) => m[1]), ['init', 'pretrain', 'sft']);
    assert.match(html, /<th>always-most-common<\/th><th>random-answer<\/th><th>pretrain<\/th><th>sft<\/th>/);
    assert.match(html, /<th>pass@2<\/th>/);
    const lock = parse(await readFile(first.lockFile, 'utf8')) as { stages: Record<string, { key: string }> };
    const graph = /<table class="graph">([\s\S]*?)<\/table>/.exec(html)![1]!;
    for (const stage of ['corpus', 'tokenizer', 'init', 'pretrain', 'instructions', 'sft', 'evaluate']) {
      assert.match(graph, new RegExp(`<tr><td>${stage}</td>[\\s\\S]*?<td title="${lock.stages[stage]!.key}">`), stage);
    }
    assert.doesNotMatch(html, /<script(?! type="application\/json")/, 'no script runs in the page');
    assert.doesNotMatch(await readFile(first.outcomes.find((o) => o.name === 'report')!.logFile!, 'utf8'), /warning/, 'Vega-Lite corrected no chart');
  });

  it('opens in Chromium with no request, no console error, marks in every chart, a sample row per stage', { skip: chromiumMissing() }, async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const url = `file://${outputOf(first, 'report', 'html')}`;
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => void requests.push(r.url()));
      page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
      page.on('pageerror', (e) => void errors.push(e.message));
      await page.goto(url, { waitUntil: 'load' });
      assert.deepEqual(requests, [url], 'the page itself is the only request');
      assert.deepEqual(errors, []);
      const charts = await page.$$eval('figure.chart', (figs) =>
        figs.map((f) => {
          const marks = [...f.querySelectorAll('svg g.role-mark *')].filter((m) => {
            const box = (m as unknown as { getBBox?: () => { width: number; height: number } }).getBBox?.();
            return box !== undefined && (box.width > 0 || box.height > 0);
          });
          return { title: f.getAttribute('data-title'), marks: marks.length, width: f.querySelector('svg')!.getBoundingClientRect().width };
        }),
      );
      assert.ok(charts.length >= 7, JSON.stringify(charts));
      for (const c of charts) assert.ok(c.marks > 0 && c.width > 50, `chart ${c.title} drew nothing: ${JSON.stringify(c)}`);
      assert.equal(await page.locator('table.samples tbody tr').count(), 3);
    } finally {
      await browser.close();
    }
  });

  it('`tempa report` prints the page path; a changed stage changes only its own section inputs', async () => {
    const printed = await tempa(['report', 'recipe.yaml'], dir);
    assert.equal(printed.code, 0, printed.stderr);
    assert.equal(printed.stdout.trim(), outputOf(first, 'report', 'html'));

    const inputs = async () => (parse(await readFile(first.lockFile, 'utf8')) as { stages: { report: { manifest: { inputs: Record<string, { hash: string }> } } } }).stages.report.manifest.inputs;
    const before = await inputs();
    const rerun = await runPipeline(path.join(dir, 'recipe.yaml'), { sets: ['stages.sft.with.steps=11'] });
    assert.deepEqual(rerun.ran, ['sft', 'evaluate', 'report']);
    const after = await inputs();
    const changed = Object.keys(after).filter((name) => after[name]!.hash !== before[name]!.hash);
    // sft's held-out answers may come out the same after one more step; its model and curve cannot.
    assert.ok(changed.includes('sft') && changed.includes('sft-curve'), changed.join());
    assert.deepEqual(changed.filter((name) => !/^(sft|evaluate)(-|$)/.test(name)), [], 'init and pretrain sections read the very same artifacts');
    const html = await readFile(outputOf(rerun, 'report', 'html'), 'utf8');
    assert.match(/<table class="graph">([\s\S]*?)<\/table>/.exec(html)![1]!, /<tr><td>pretrain<\/td>(<td>[^<]*<\/td>){2}<td>cached<\/td>/, 'pretrain was reused by this run');
  });
});

function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

function chromiumMissing(): string | false {
  return existsSync(chromiumPath()) ? false : `no Chromium at ${chromiumPath()} (apt-get install chromium, or set CHROMIUM_PATH)`;
}
