// Reads one recipe file: its data the fast way (fast-yaml.ts), and a YAML Document that keeps source
// positions when needed, turning syntax problems (bad indentation, duplicate keys, merge-conflict
// markers) into located errors.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Document, LineCounter } from 'yaml';
import { errRecipeParse, PipelineError, RecipeErrors } from '../errors.ts';
import { loadFast } from './fast-yaml.ts';
import { yaml } from './yaml-on-demand.ts';
import type { SourceFile } from './source-map.ts';

export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

const CONFLICT_MARKER = /^(<{7}|={7}|>{7})( |$)/m;

export async function parseRecipeFile(file: string): Promise<SourceFile> {
  const display = displayPath(file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PipelineError('USAGE', `cannot read recipe ${display}: ${code === 'ENOENT' ? 'no such file' : String(error)}`, {
      hint: 'pass the path of a recipe file, e.g. `tempa run recipes/quickstart.yaml`',
    });
  }
  return parseRecipeText(file, display, text);
}

const MAX_SYNTAX_ERRORS = 3;

/**
 * Every repeated scalar key, at its second (third ...) occurrence, with the message yaml itself would give.
 * A plain recursion over maps and lists: yaml's generic `visit` cost a big recipe several times more.
 */
function duplicateKeys(doc: Document): Array<{ offset: number; message: string; code: string }> {
  const { isMap, isPair, isScalar, isSeq } = yaml();
  const found: Array<{ offset: number; message: string; code: string }> = [];
  const walk = (node: unknown): void => {
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        if (isScalar(pair.key)) {
          // yaml compares other keys by identity: never equal
          if (seen.has(pair.key.value)) found.push({ offset: pair.key.range?.[0] ?? 0, message: 'Map keys must be unique', code: 'DUPLICATE_KEY' });
          else seen.add(pair.key.value);
        } else walk(pair.key);
        walk(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) walk(item);
    } else if (isPair(node)) {
      walk(node.key);
      walk(node.value);
    }
  };
  walk(doc.contents);
  return found;
}

export function parseRecipeText(file: string, display: string, text: string): SourceFile {
  const fast = CONFLICT_MARKER.test(text) ? undefined : loadFast(text);
  if (fast) return lazySource(file, display, text, fast);
  return parseWithPositions(file, display, text);
}

/** A file read the fast way: `yaml` parses it for positions only when an error or a lookup needs them. */
function lazySource(file: string, display: string, text: string, data: unknown): SourceFile {
  let parsed: { doc: Document; lineCounter: LineCounter } | undefined;
  const positions = () => {
    if (!parsed) {
      const { LineCounter, parseDocument } = yaml();
      const lineCounter = new LineCounter();
      parsed = { doc: parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false }), lineCounter };
    }
    return parsed;
  };
  return {
    file,
    display,
    text,
    data,
    get doc() {
      return positions().doc;
    },
    get lineCounter() {
      return positions().lineCounter;
    },
  };
}

function parseWithPositions(file: string, display: string, text: string): SourceFile {
  const { LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  // yaml's own duplicate-key check compares each key with every earlier one (quadratic: minutes for a
  // few-MB recipe), so keys are checked here with a set per mapping instead.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const errors: PipelineError[] = [];
  const conflict = CONFLICT_MARKER.exec(text);
  if (conflict) {
    const pos = lineCounter.linePos(conflict.index);
    errors.push(errRecipeParse('merge-conflict marker', { file: display, ...pos }, 'resolve the git conflict first'));
  }
  const problems = [...doc.errors.map((e) => ({ offset: e.pos[0], message: e.message, code: e.code as string })), ...duplicateKeys(doc)].sort((a, b) => a.offset - b.offset);
  for (const error of problems) {
    let offset = error.offset;
    while (text[offset] === ' ' || text[offset] === '\t') offset++; // point at the token, not its indentation
    const pos = lineCounter.linePos(offset);
    const message = error.message.split('\n')[0] ?? error.message;
    const lineText = text.split(/\r?\n/)[pos.line - 1] ?? '';
    const hint =
      lineText.includes('${') && /[{[]/.test(lineText.replace(/\$\{[^}]*\}/g, ''))
        ? 'inside { } or [ ], quote references: "${vars.x}"'
        : error.code === 'DUPLICATE_KEY'
        ? 'each key may appear once per mapping; merge the two entries'
        : error.code === 'TAB_AS_INDENT'
          ? 'indent with spaces, not tabs'
          : 'check the indentation and quoting around this line';
    errors.push(errRecipeParse(message, { file: display, line: pos.line, col: pos.col }, hint));
  }
  // One syntax slip makes the YAML parser report every token after it: the first on each line,
  // and the first few lines, are the useful ones.
  const firstPerLine = errors.filter((e, i) => errors.findIndex((o) => o.location?.line === e.location?.line) === i);
  if (errors.length) throw new RecipeErrors(firstPerLine.slice(0, MAX_SYNTAX_ERRORS));
  const data: unknown = doc.toJS();
  if (doc.contents !== null && typeof data !== 'object') {
    throw new RecipeErrors([errRecipeParse('a recipe must be a mapping of keys (stages:, datasets:, ...)', { file: display, line: 1, col: 1 })]);
  }
  return { file, display, text, data, doc, lineCounter };
}
