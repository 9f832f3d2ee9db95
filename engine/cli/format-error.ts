// Turns errors into what a person reads: file:line:col, the field, the message, the source line
// with a caret, and the hint. Never a stack trace for an expected error.
import { existsSync, readFileSync } from 'node:fs';
import { asIoError, PipelineError, RecipeErrors, type SourceLocation } from '../errors.ts';

export function formatError(error: unknown): string {
  if (error instanceof RecipeErrors) return `${error.errors.map(formatOne).join('\n\n')}\n\n${error.message}`;
  if (error instanceof PipelineError) return formatOne(error);
  // A file-system refusal that reached the top (a full disk, a read-only store) is the user's to fix, not a bug.
  const io = asIoError(error);
  if (io instanceof PipelineError) return formatOne(io);
  if (error instanceof Error) return `internal error: ${error.stack ?? error.message}`;
  return `internal error: ${String(error)}`;
}

function sourceLine(location: SourceLocation): string | undefined {
  if (location.line <= 0 || !existsSync(location.file)) return undefined;
  return readFileSync(location.file, 'utf8').split(/\r?\n/)[location.line - 1];
}

function formatOne(e: PipelineError): string {
  const loc = e.location;
  const where = loc ? (loc.line > 0 ? `${loc.file}:${loc.line}:${loc.col}: ` : `${loc.file}: `) : '';
  const field = e.field ? `${e.field}: ` : '';
  const lines = [`${where}error ${e.code}${e.stageCode ? `/${e.stageCode}` : ''}: ${field}${e.message}`];
  const text = loc ? sourceLine(loc) : undefined;
  if (loc && text !== undefined) {
    const gutter = String(loc.line);
    lines.push(`  ${gutter} | ${text}`, `  ${' '.repeat(gutter.length)} | ${' '.repeat(Math.max(0, loc.col - 1))}^`);
  }
  if (e.hint) lines.push(`  hint: ${e.hint}`);
  // A stage's own bug (not an expected, coded error) keeps its stack: one line would hide where it is.
  if (e.code === 'STAGE_FAILED' && e.stageCode === undefined && e.cause instanceof Error && !(e.cause instanceof PipelineError) && e.cause.stack) {
    lines.push(`  cause: ${e.cause.stack.split('\n').slice(0, 8).join('\n  ')}`);
  }
  return lines.join('\n');
}
