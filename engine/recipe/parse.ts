// Reads one recipe file into a YAML Document that keeps source positions, turning syntax
// problems (bad indentation, duplicate keys, merge-conflict markers) into located errors.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { errRecipeParse, PipelineError, RecipeErrors } from '../errors.ts';
import type { SourceFile } from './source-map.ts';

export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

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

export function parseRecipeText(file: string, display: string, text: string): SourceFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const errors: PipelineError[] = [];
  const conflict = /^(<{7}|={7}|>{7})( |$)/m.exec(text);
  if (conflict) {
    const pos = lineCounter.linePos(conflict.index);
    errors.push(errRecipeParse('merge-conflict marker', { file: display, ...pos }, 'resolve the git conflict first'));
  }
  for (const error of doc.errors) {
    let offset = error.pos[0];
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
  if (doc.contents !== null && typeof doc.toJS() !== 'object') {
    throw new RecipeErrors([errRecipeParse('a recipe must be a mapping of keys (stages:, datasets:, ...)', { file: display, line: 1, col: 1 })]);
  }
  return { file, display, text, doc, lineCounter };
}
