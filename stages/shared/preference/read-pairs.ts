// Preference pairs from JSONL: TRL's explicit-prompt format, conversational ({prompt: messages, chosen:
// [assistant message], rejected: [...]}) or standard ({prompt, chosen, rejected} as strings). A malformed
// row fails with file:line and what is wrong, or is skipped and counted.
import { errDataInvalid } from '../../../engine/errors.ts';
import { CHAT_ROLES, type ChatTurn } from '../chat/template.ts';
import { readJsonl, SKIP_MALFORMED_HINT } from '../data/jsonl.ts';

export interface Pair {
  id: string;
  prompt: ChatTurn[];
  chosen: string;
  rejected: string;
}

/** A prompt as chat messages: a string is one user message; undefined when it is neither. */
export function turns(value: unknown): ChatTurn[] | undefined {
  if (typeof value === 'string') return [{ role: 'user', content: value }];
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const ok = value.every((t) => t && typeof t === 'object' && CHAT_ROLES.includes((t as ChatTurn).role) && typeof (t as ChatTurn).content === 'string');
  return ok ? value.map((t: ChatTurn) => ({ role: t.role, content: t.content })) : undefined;
}

function answer(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const parsed = turns(value);
  return parsed && parsed.every((t) => t.role === 'assistant') ? parsed.map((t) => t.content).join('') : undefined;
}

/** Every pair of `files`; a malformed row throws DATA_INVALID at file:line or is skipped and counted. */
export async function readPairs(files: readonly string[], options: { onMalformed: 'error' | 'skip'; displayName(file: string): string; signal?: AbortSignal }): Promise<{ pairs: Pair[]; skipped: number }> {
  const pairs: Pair[] = [];
  let skipped = 0;
  const skip = () => void (skipped += 1);
  for (const file of files) {
    const name = options.displayName(file);
    for await (const { line, record } of readJsonl(file, { onMalformed: options.onMalformed, onSkip: skip, signal: options.signal, displayName: name, hint: SKIP_MALFORMED_HINT })) {
      const prompt = turns(record.prompt);
      const [chosen, rejected] = [answer(record.chosen), answer(record.rejected)];
      const problem = !prompt
        ? '`prompt` must be a string or a non-empty list of {role, content} messages'
        : chosen === undefined || rejected === undefined
          ? '`chosen` and `rejected` must each be a string or a list of assistant messages'
          : undefined;
      if (problem) {
        if (options.onMalformed === 'error') throw errDataInvalid(name, line, problem, SKIP_MALFORMED_HINT);
        skip();
        continue;
      }
      pairs.push({ id: typeof record.id === 'string' ? record.id : `${name}:${line}`, prompt: prompt!, chosen: chosen!, rejected: rejected! });
    }
  }
  return { pairs, skipped };
}
