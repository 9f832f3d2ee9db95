// The one-way rule of design/architecture.md, checked on the source: engine/ imports nothing of the
// application (no stages/, no schema but the recipe envelope), no stage imports another stage, the tensor
// backend imports no model or training code, stages/shared/ has no loose files, and no import cycle exists.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/project.ts';

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g;
const ENGINE_MAY_IMPORT = new Set(['schemas/recipe.schema.ts']);

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(REPO_ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|js|mjs)$/.test(e.name))
    .map((e) => path.relative(REPO_ROOT, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/** Relative imports of each file (type-only ones too), as repo-relative paths. */
function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
    const targets = [...text.matchAll(IMPORT)].map((m) => path.posix.normalize(path.posix.join(path.posix.dirname(file), m[2]!)));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Every strongly connected component with more than one file (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('layers', () => {
  const graph = importGraph(['bin', 'engine', 'schemas', 'stages', 'tests/fixtures'].flatMap(sourceFiles));

  it('engine/ imports nothing outside itself but the recipe envelope schema', () => {
    const outside = [...graph].flatMap(([file, targets]) =>
      file.startsWith('engine/') ? targets.filter((t) => !t.startsWith('engine/') && !ENGINE_MAY_IMPORT.has(t)).map((t) => `${file} -> ${t}`) : [],
    );
    assert.deepEqual(outside, []);
  });

  const edges = (test: (from: string, to: string) => boolean) => [...graph].flatMap(([from, tos]) => tos.filter((to) => test(from, to)).map((to) => `${from} -> ${to}`));
  const stageOf = (file: string) => /^stages\/([^/]+)\//.exec(file)?.[1];
  const ownStage = (name: string | undefined) => name !== undefined && name !== 'shared';

  it('no stage imports another stage (what two share lives in stages/shared/)', () => {
    assert.deepEqual(edges((from, to) => ownStage(stageOf(from)) && ownStage(stageOf(to)) && stageOf(from) !== stageOf(to)), []);
  });

  it('the tensor backend imports only itself and the engine', () => {
    assert.deepEqual(edges((from, to) => from.startsWith('stages/shared/backend/') && !to.startsWith('stages/shared/backend/') && !to.startsWith('engine/')), []);
  });

  it('stages/shared/ has no loose files', () => {
    assert.deepEqual(readdirSync(path.join(REPO_ROOT, 'stages/shared')).filter((name) => name.includes('.')), []);
  });

  it('has no import cycle anywhere', () => {
    assert.deepEqual(cycles(graph), []);
  });

  it('finds a cycle when there is one (the check itself works)', () => {
    assert.deepEqual(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])), [['a', 'b', 'c']]);
  });
});
