// `tempa dag`: the stage graph as text, Mermaid or Graphviz dot.
import type { ResolvedRecipe } from '../recipe/resolve.ts';

export type DagFormat = 'text' | 'mermaid' | 'dot';

export function renderDag(recipe: ResolvedRecipe, format: DagFormat): string {
  const stages = recipe.stages;
  const datasetEdges = stages.flatMap((s) =>
    Object.values(s.inputs).flatMap((ref) => (ref.from === 'dataset' ? [[ref.dataset, s.name] as const] : [])),
  );
  const datasets = [...new Set(datasetEdges.map(([d]) => d))];
  if (format === 'mermaid') {
    const lines = ['graph TD'];
    for (const d of datasets) lines.push(`  ${d}[(${d})]`);
    for (const s of stages) lines.push(`  ${s.name}["${s.name}<br/><small>${s.uses}</small>"]`);
    for (const [d, s] of datasetEdges) lines.push(`  ${d} --> ${s}`);
    for (const s of stages) for (const up of s.needs) lines.push(`  ${up} --> ${s.name}`);
    return lines.join('\n');
  }
  if (format === 'dot') {
    const q = (name: string) => JSON.stringify(name);
    const lines = ['digraph tempa {', '  rankdir=LR;'];
    for (const d of datasets) lines.push(`  ${q(d)} [shape=cylinder];`);
    for (const s of stages) lines.push(`  ${q(s.name)} [shape=box, label=${q(`${s.name}\n${s.uses}`)}];`);
    for (const [d, s] of datasetEdges) lines.push(`  ${q(d)} -> ${q(s)};`);
    for (const s of stages) for (const up of s.needs) lines.push(`  ${q(up)} -> ${q(s.name)};`);
    lines.push('}');
    return lines.join('\n');
  }
  const width = Math.max(...stages.map((s) => s.name.length));
  const usesWidth = Math.max(...stages.map((s) => s.uses.length));
  return stages
    .map((s) => {
      const from = [...Object.values(s.inputs).flatMap((r) => (r.from === 'dataset' ? [`dataset ${r.dataset}`] : [])), ...s.needs];
      return `${s.name.padEnd(width)}  ${s.uses.padEnd(usesWidth)}${from.length ? `  <- ${from.join(', ')}` : ''}`;
    })
    .join('\n');
}
