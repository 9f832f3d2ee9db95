// Maps a field path in the merged recipe back to file:line:col in the YAML it came from.
// With `extends`, a value may come from any file in the chain; the nearest file that sets it wins.
import type { Document, LineCounter, Node, Pair, YAMLMap } from 'yaml';
import type { SourceLocation } from '../errors.ts';
import { yaml } from './yaml-on-demand.ts';

/** A string that is exactly one `${a.b}` reference (it then takes the referenced value with its type). */
export const WHOLE_REF = /^\$\{([^}]*)\}$/;
/** References may chain; a cycle among them is reported by interpolate, so this only has to stop. */
const MAX_REF_HOPS = 16;

export type FieldPath = readonly (string | number)[];

export interface SourceFile {
  file: string;
  /** Display name (relative to the working directory). */
  display: string;
  text: string;
  /** The file's data, read once for composing (a fresh object, the caller's to change). */
  data: unknown;
  /** The YAML document with positions: parsed on first use when the file was read the fast way. */
  readonly doc: Document;
  readonly lineCounter: LineCounter;
}

interface Found {
  node: Node | null;
  keyNode?: Node;
  depth: number;
}

/**
 * Each mapping's pairs by key, built on first use: a linear search per segment made locating every
 * stage of a recipe quadratic in its number of stages. Rebuilt if the mapping grew or shrank.
 */
const pairIndex = new WeakMap<YAMLMap, { size: number; byKey: Map<string, Pair> }>();

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  const { isPair, isScalar } = yaml();
  let index = pairIndex.get(map);
  if (!index || index.size !== map.items.length) {
    const byKey = new Map<string, Pair>();
    for (const p of map.items) if (isPair(p) && isScalar(p.key) && !byKey.has(String(p.key.value))) byKey.set(String(p.key.value), p);
    index = { size: map.items.length, byKey };
    pairIndex.set(map, index);
  }
  return index.byKey.get(key);
}

/** Walks `path` as far as the document goes; `depth` says how many segments matched. */
function walk(doc: Document, path: FieldPath): Found {
  const { isMap, isSeq } = yaml();
  let node = doc.contents as Node | null;
  let keyNode: Node | undefined;
  let depth = 0;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = pairOf(node, String(segment));
      if (!pair) break;
      keyNode = pair.key as Node;
      node = (pair.value as Node | null) ?? null;
    } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
      keyNode = undefined;
      node = node.items[segment] as Node;
    } else break;
    depth++;
  }
  return { node, keyNode, depth };
}

export class SourceMap {
  /** Files nearest-first: the recipe named on the command line, then what it extends. */
  readonly files: SourceFile[];
  readonly overridden = new Map<string, string>();

  constructor(files: SourceFile[]) {
    this.files = files;
  }

  /**
   * Location of the node at `path`. `on: 'key'` points at the key of the last segment
   * (for unknown keys); a missing path points at its nearest existing parent, or, when that parent
   * is a whole `${a.b}` reference, into the value it refers to (`with.model.nHead` -> `vars.model.nHead`).
   */
  locate(path: FieldPath, on: 'key' | 'value' = 'value', hops = 0): SourceLocation | undefined {
    const setPath = this.setBy(path);
    if (setPath !== undefined) return { file: `--set ${setPath}`, line: 0, col: 0 };
    let best: { file: SourceFile; found: Found } | undefined;
    for (const file of this.files) {
      const found = walk(file.doc, path);
      if (!best || found.depth > best.found.depth) best = { file, found };
      if (found.depth === path.length) break;
    }
    if (!best) return undefined;
    const { file, found } = best;
    const ref = found.depth < path.length && yaml().isScalar(found.node) && typeof found.node.value === 'string' ? WHOLE_REF.exec(found.node.value) : null;
    if (ref && hops < MAX_REF_HOPS) return this.locate([...ref[1]!.trim().split('.'), ...path.slice(found.depth)], on, hops + 1);
    const target = on === 'key' && found.depth === path.length && found.keyNode ? found.keyNode : (found.node ?? found.keyNode);
    const offset = target?.range?.[0] ?? 0;
    const pos = file.lineCounter.linePos(offset);
    return { file: file.display, line: pos.line, col: pos.col };
  }

  /** The `--set` path that sets `path` (or a mapping holding it), if one does; needs no parsed document. */
  setBy(path: FieldPath): string | undefined {
    const dotted = path.join('.');
    for (const [setPath] of this.overridden) if (dotted === setPath || dotted.startsWith(`${setPath}.`)) return setPath;
    return undefined;
  }

  /** The file that sets `path` (nearest in the extends chain); paths in it resolve from its folder. */
  fileOf(path: FieldPath): SourceFile {
    if (this.files.length === 1) return this.files[0]!; // no extends: nothing to search (or to parse for positions)
    for (const file of this.files) if (walk(file.doc, path).depth === path.length) return file;
    return this.files[0]!;
  }
}
