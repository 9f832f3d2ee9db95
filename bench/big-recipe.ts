// `node --import tsx bench/big-recipe.ts [MiB]`: how long a big recipe takes to load (parse, check
// duplicate keys, interpolate, validate, resolve). Three shapes of about 5 MiB each, written to a temp
// folder that is removed at the end: ~70k `vars` entries, ~47k stages in a chain, and ~60k independent stages reading a dataset.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveRecipe } from '../engine/recipe/resolve.ts';
import { TEMPA } from '../stages/builtin.ts';

const target = Number(process.argv[2] ?? 5) * 1024 * 1024;

function varsRecipe(): string {
  const lines = ['vars:'];
  let size = 0;
  for (let i = 0; size < target; i++) {
    const line = `  key_${i}: { a: value_${i}_aaaaaaaaaaaa, b: ${i}, c: [x, y, z] }`;
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join('\n')}\nstages:\n  s:\n    uses: exec\n    with: { command: "echo \${vars.key_1.a}" }\n`;
}

function stagesRecipe(): string {
  const lines = ['stages:'];
  let size = 0;
  for (let i = 0; size < target; i++) {
    const stage = [`  stage_${i}:`, '    uses: exec', ...(i ? [`    needs: [stage_${i - 1}]`] : []), `    with: { command: "echo ${i}", env: { N: "${i}" } }`];
    lines.push(...stage);
    size += stage.join('\n').length + 1;
  }
  return `${lines.join('\n')}\n`;
}

/** Stages that need no other stage, each reading a dataset: every one is ready at once, which a quadratic ready-queue would show. */
function flatRecipe(): string {
  const lines = ['datasets: { d: d.txt }', 'stages:'];
  let size = 0;
  for (let i = 0; size < target; i++) {
    const stage = [`  stage_${i}:`, '    uses: exec', '    inputs: { x: d }', `    with: { command: "echo ${i}" }`];
    lines.push(...stage);
    size += stage.join('\n').length + 1;
  }
  return `${lines.join('\n')}\n`;
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'tempa-big-recipe-'));
try {
  for (const [name, text] of [['vars', varsRecipe()], ['stages', stagesRecipe()], ['flat', flatRecipe()]] as const) {
    const file = path.join(dir, `${name}.yaml`);
    await writeFile(file, text);
    const start = performance.now();
    const cpu = process.cpuUsage();
    const recipe = await resolveRecipe(file, TEMPA);
    const ms = performance.now() - start;
    const { user, system } = process.cpuUsage(cpu); // CPU time too: on a shared machine wall time includes waiting
    process.stdout.write(`${name.padEnd(6)} ${(text.length / 1024 / 1024).toFixed(1)} MiB, ${recipe.stages.length} stages: loaded in ${(ms / 1000).toFixed(2)} s (${((user + system) / 1e6).toFixed(2)} s CPU)\n`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
