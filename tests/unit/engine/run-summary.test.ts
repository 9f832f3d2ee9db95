// The page `tempa run` ends with: a line per stage with its time or status and its plugin's headline
// metrics (or its first two), then the path of every output its plugin calls a document.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runSummary } from '../../../engine/cli/run-summary.ts';
import type { StageOutcome } from '../../../engine/events.ts';
import type { ResolvedRecipe } from '../../../engine/recipe/resolve.ts';

const stage = (name: string, headline: string[] | undefined, outputs: Record<string, { kind: 'file'; document?: boolean }>) => ({ name, plugin: { stage: { headline } }, outputs });
const recipe = {
  name: 'demo',
  stages: [stage('train', ['valLoss'], { model: { kind: 'file' } }), stage('count', undefined, {}), stage('page', undefined, { html: { kind: 'file', document: true } }), stage('later', undefined, {})],
} as unknown as ResolvedRecipe;

describe('runSummary', () => {
  it('shows headline metrics, the first two otherwise, statuses, and document paths relative to the cwd', () => {
    const outcomes: StageOutcome[] = [
      { name: 'train', status: 'ran', reasons: [], durationMs: 1500, metrics: { trainLoss: 2, valLoss: 2.25 } },
      { name: 'count', status: 'cached', reasons: [], metrics: { a: 1, b: 0.5, c: 3 } },
      { name: 'page', status: 'ran', reasons: [], durationMs: 20, metrics: {}, outputs: { html: '/work/p/.tempa/runs/ab/out/report.html' } },
      { name: 'later', status: 'skipped', reasons: ['upstream failed'] },
    ];
    assert.deepEqual(runSummary(recipe, outcomes, '/work/p'), [
      'summary of demo:',
      '  train  1.5s      valLoss 2.250',
      '  count  cached    a 1 | b 0.500',
      '  page   20ms',
      '  later  skipped',
      `  page.html: ${path.join('.tempa', 'runs', 'ab', 'out', 'report.html')}`,
    ]);
  });

  it('prints nothing when no stage was selected', () => {
    assert.deepEqual(runSummary(recipe, [{ name: 'train', status: 'not-selected', reasons: [] }]), []);
  });
});
