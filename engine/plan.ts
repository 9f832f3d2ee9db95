// PURE graph logic over stage names: ordering, cycles, and which stages a selection covers.
// No I/O, so every case is unit-testable on small drawn graphs (DVC plan_repro).

export interface GraphNode {
  name: string;
  /** Upstream stage names. */
  needs: readonly string[];
}

export type TopoResult = { ok: true; order: string[] } | { ok: false; cycle: string[] };

/** Kahn's algorithm; ties keep declaration order so plans are stable. Unknown needs are ignored. */
export function topoOrder(nodes: readonly GraphNode[]): TopoResult {
  const names = new Set(nodes.map((n) => n.name));
  const indegree = new Map<string, number>();
  const downstream = new Map<string, string[]>();
  for (const n of nodes) {
    indegree.set(n.name, 0);
    downstream.set(n.name, []);
  }
  for (const n of nodes) {
    for (const up of new Set(n.needs)) {
      if (!names.has(up)) continue;
      indegree.set(n.name, indegree.get(n.name)! + 1);
      downstream.get(up)!.push(n.name);
    }
  }
  // `ready` is a min-heap on declaration position, so ties resolve stably; a sorted array's shift and
  // splice made a recipe of many independent stages quadratic.
  const ready = new MinHeap();
  nodes.forEach((n, i) => {
    if (indegree.get(n.name) === 0) ready.push(i);
  });
  const position = new Map(nodes.map((n, i) => [n.name, i]));
  const order: string[] = [];
  while (ready.size) {
    const name = nodes[ready.pop()]!.name;
    order.push(name);
    for (const next of downstream.get(name)!) {
      const left = indegree.get(next)! - 1;
      indegree.set(next, left);
      if (left === 0) ready.push(position.get(next)!);
    }
  }
  if (order.length === nodes.length) return { ok: true, order };
  return { ok: false, cycle: findCycle(nodes.filter((n) => indegree.get(n.name)! > 0), names) };
}

/** A binary min-heap of numbers. */
class MinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(value: number): void {
    const a = this.items;
    a.push(value);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]! <= value) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = value;
  }

  pop(): number {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const child = l + 1 < a.length && a[l + 1]! < a[l]! ? l + 1 : l;
      if (a[child]! >= last) break;
      a[i] = a[child]!;
      i = child;
    }
    a[i] = last;
    return top;
  }
}

/** Walks needs edges among the stuck nodes until a name repeats: that loop is the cycle. */
function findCycle(stuck: readonly GraphNode[], names: Set<string>): string[] {
  const byName = new Map(stuck.map((n) => [n.name, n]));
  let current = stuck[0]!.name;
  const path: string[] = [];
  while (!path.includes(current)) {
    path.push(current);
    const next = byName.get(current)!.needs.find((up) => names.has(up) && byName.has(up))!;
    current = next;
  }
  // path follows needs (downstream -> upstream); print it in run order.
  return [...path.slice(path.indexOf(current)), current].reverse();
}

function reach(start: Iterable<string>, edges: (name: string) => readonly string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...start];
  while (stack.length) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    stack.push(...edges(name));
  }
  return seen;
}

export function ancestorsOf(nodes: readonly GraphNode[], names: Iterable<string>): Set<string> {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  return reach(names, (n) => byName.get(n)?.needs ?? []);
}

export function descendantsOf(nodes: readonly GraphNode[], names: Iterable<string>): Set<string> {
  const down = new Map<string, string[]>(nodes.map((n) => [n.name, []]));
  for (const n of nodes) for (const up of n.needs) down.get(up)?.push(n.name);
  return reach(names, (n) => down.get(n) ?? []);
}

export interface Selection {
  only?: readonly string[];
  from?: readonly string[];
  to?: readonly string[];
}

/**
 * The stages a run may execute. `only`: exactly those. `from`: them and everything downstream.
 * `to`: them and everything upstream. `from` and `to` together: the stages between them.
 */
export function selectStages(nodes: readonly GraphNode[], selection: Selection): Set<string> {
  let selected = new Set(nodes.map((n) => n.name));
  if (selection.only?.length) selected = new Set(selection.only);
  if (selection.from?.length) {
    const down = descendantsOf(nodes, selection.from);
    selected = new Set([...selected].filter((n) => down.has(n)));
  }
  if (selection.to?.length) {
    const up = ancestorsOf(nodes, selection.to);
    selected = new Set([...selected].filter((n) => up.has(n)));
  }
  return selected;
}
