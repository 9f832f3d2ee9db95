// Which code a recipe runs (code plugins, exec commands, module and exec rewards), what is trusted
// implicitly (recipes shipped with tempa, --set), and the terminal question that records trust.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { resolveRecipe } from '../../../engine/recipe/resolve.ts';
import { listCodeItems } from '../../../engine/trust/code-items.ts';
import { ensureTrusted, untrustedItems } from '../../../engine/trust/ensure-trusted.ts';
import { TEMPA, TEMPA_ROOT } from '../../../stages/builtin.ts';
import { makeProject } from '../../helpers/project.ts';

const GRPO = `datasets: { model: model, prompts: prompts.jsonl }
stages:
  rl:
    uses: grpo
    inputs: { model: model, prompts: prompts }
    with:
      rewards:
        - { type: correct }
        - { type: module, path: rewards/length.mjs }
        - { type: exec, command: [python3, score.py], env: { MODE: strict } }
        - { type: module, path: rewards/missing.mjs }
`;

const options = { declared: TEMPA.declaredCode, shippedRecipes: TEMPA.shippedRecipes };

describe('code items', () => {
  it("lists grpo's module and exec rewards at their recipe lines, and skips a module that does not exist", async () => {
    const dir = await makeProject({ 'recipe.yaml': GRPO, 'rewards/length.mjs': 'export default (b) => b.map(() => 0);\n' });
    const recipe = await resolveRecipe(path.join(dir, 'recipe.yaml'), TEMPA, { importCode: false });
    const items = await listCodeItems(recipe, options);
    assert.deepEqual(
      items.map((i) => [i.kind, i.what, i.field, i.location?.line, i.implicit]),
      [
        ['module', path.relative(process.cwd(), path.join(dir, 'rewards/length.mjs')).startsWith('..') ? path.join(dir, 'rewards/length.mjs') : path.relative(process.cwd(), path.join(dir, 'rewards/length.mjs')), 'stages.rl.with.rewards.1.path', 9, false],
        ['command', 'python3 score.py (MODE="strict")', 'stages.rl.with.rewards.2.command', 10, false],
      ],
    );
  });

  it("lists ppo's exec rewards too: a declared reward runs code whichever RL stage declares it", async () => {
    const dir = await makeProject({ 'recipe.yaml': GRPO.replace('uses: grpo', 'uses: ppo').replace('rl:', 'rlhf:') });
    const recipe = await resolveRecipe(path.join(dir, 'recipe.yaml'), TEMPA, { importCode: false });
    const items = await listCodeItems(recipe, options);
    assert.deepEqual(items.map((i) => [i.kind, i.what, i.field, i.location?.line]), [['command', 'python3 score.py (MODE="strict")', 'stages.rlhf.with.rewards.2.command', 10]]);
  });

  it('trusts code in the recipes shipped with tempa, and code typed with --set', async () => {
    const quickstart = await resolveRecipe(path.join(TEMPA_ROOT, 'recipes/quickstart.yaml'), TEMPA, { importCode: false });
    const items = await listCodeItems(quickstart, options);
    assert.ok(items.some((i) => i.kind === 'command' && i.stage === 'stats'), 'the quickstart has an exec stage');
    assert.deepEqual(await untrustedItems(quickstart, { ...options, trustFile: '/nonexistent/trusted.json' }), []);

    const dir = await makeProject({ 'recipe.yaml': 'stages:\n  s:\n    uses: exec\n    with: { command: "true" }\n' });
    const set = await resolveRecipe(path.join(dir, 'recipe.yaml'), TEMPA, { sets: ['stages.s.with.command=echo typed'], importCode: false });
    assert.deepEqual((await listCodeItems(set, options)).map((i) => i.implicit), [true]);
  });
});

describe('ensureTrusted', () => {
  it('asks on a terminal: yes records the items, so the next run does not ask; no runs nothing', async () => {
    const dir = await makeProject({ 'recipe.yaml': 'stages:\n  s:\n    uses: exec\n    with: { command: "echo 1" }\n' });
    const recipe = await resolveRecipe(path.join(dir, 'recipe.yaml'), TEMPA, { importCode: false });
    const trustFile = path.join(dir, 'config', 'trusted.json');
    let written = '';
    const asked: string[] = [];
    const base = { ...options, trustFile, write: (t: string) => void (written += t) };
    await assert.rejects(
      ensureTrusted(recipe, { ...base, ask: async (q) => (asked.push(q), false) }),
      (e: Error) => e.message === 'not trusted: nothing was run',
    );
    assert.equal(existsSync(trustFile), false);
    await ensureTrusted(recipe, { ...base, ask: async (q) => (asked.push(q), true) });
    assert.equal(asked.length, 2);
    assert.match(written, /recipe\.yaml:4:22 {2}stage `s`: command `echo 1`/);
    const data = JSON.parse(await readFile(trustFile, 'utf8')) as { recipes: Record<string, Record<string, { kind: string; what: string }>> };
    assert.deepEqual(Object.values(data.recipes[recipe.file]!).map((e) => [e.kind, e.what]), [['command', 'echo 1']]);
    await ensureTrusted(recipe, { ...base, ask: async () => assert.fail('asked again') });
  });
});
