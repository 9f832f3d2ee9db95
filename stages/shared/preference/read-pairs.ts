// Preference pairs from JSONL: TRL's explicit-prompt format, conversational ({prompt: messages, chosen:
// [assistant message], rejected: [...]}) or standard ({prompt, chosen, rejected} as strings). A malformed
// row fails with file:line and what is wrong, or is skipped and counted.
import { readFile } from 'node:fs/promises';
import { errDataInvalid, errorText } from '../../../engine/errors.ts';
import { CHAT_ROLES, type ChatTurn } from '../chat/template.ts';

export interface Pair {
  id: string;
  prompt: ChatTurn[];
  chosen: string;
  rejected: string;
}

function turns(value: unknown): ChatTurn[] | undefined {
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

export async function readPairs(files: readonly string[], options: { onMalformed: 'error' | 'skip'; displayName(file: string): string }): Promise<{ pairs: Pair[]; skipped: number }> {
  const pairs: Pair[] = [];
  let skipped = 0;
  for (const file of files) {
    const name = options.displayName(file);
    (await readFile(file, 'utf8')).split('\n').forEach((text, i) => {
      if (text.trim() === '') return;
      try {
        let row: Record<string, unknown>;
        try {
          row = JSON.parse(text) as Record<string, unknown>;
        } catch (error) {
          throw errDataInvalid(name, i + 1, `not valid JSON: ${errorText(error)}`);
        }
        const prompt = turns(row.prompt);
        if (!prompt) throw errDataInvalid(name, i + 1, '`prompt` must be a string or a non-empty list of {role, content} messages');
        const [chosen, rejected] = [answer(row.chosen), answer(row.rejected)];
        if (chosen === undefined || rejected === undefined) throw errDataInvalid(name, i + 1, '`chosen` and `rejected` must each be a string or a list of assistant messages');
        pairs.push({ id: typeof row.id === 'string' ? row.id : `${name}:${i + 1}`, prompt, chosen, rejected });
      } catch (error) {
        if (options.onMalformed === 'error') throw error;
        skipped += 1;
      }
    });
  }
  return { pairs, skipped };
}
