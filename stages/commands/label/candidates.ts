// The pairs a person labels: make-preferences' candidates.jsonl ({id, prompt, answers: [a, b], task?,
// reference?}), or any JSONL of {prompt, answers: [a, b]} (the id is then the pair's content hash,
// the same one make-preferences gives it).
import { errDataInvalid, PipelineError } from '../../../engine/errors.ts';
import type { ChatTurn } from '../../shared/chat/template.ts';
import { readJsonl } from '../../shared/data/jsonl.ts';
import { pairId } from '../../shared/preference/pairs.ts';
import { turns } from '../../shared/preference/read-pairs.ts';

export interface Candidate {
  id: string;
  prompt: ChatTurn[];
  answers: [string, string];
  task?: string;
  reference?: string;
}

const HINT = 'candidate pairs are rows {id, prompt, answers: [a, b]} as make-preferences writes them';

/** Every candidate pair of `file`, in order; a repeated id is kept once (the first). */
export async function readCandidates(file: string, displayName: string): Promise<Candidate[]> {
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for await (const { line, record } of readJsonl(file, { displayName, hint: HINT })) {
    const prompt = turns(record.prompt);
    const answers = record.answers;
    const fail = (problem: string) => errDataInvalid(displayName, line, problem, HINT);
    if (!prompt) throw fail('`prompt` must be a string or a non-empty list of {role, content} messages');
    if (!Array.isArray(answers) || answers.length !== 2 || !answers.every((a) => typeof a === 'string')) throw fail('`answers` must be a list of two strings');
    if (record.id !== undefined && (typeof record.id !== 'string' || record.id === '')) throw fail('`id` must be a non-empty string when present');
    const [a, b] = answers as [string, string];
    const id = (record.id as string | undefined) ?? pairId(prompt, a, b);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({
      id,
      prompt,
      answers: [a, b],
      ...(typeof record.task === 'string' && { task: record.task }),
      ...(typeof record.reference === 'string' && { reference: record.reference }),
    });
  }
  if (out.length === 0) throw new PipelineError('DATA_INVALID', `${displayName} has no candidate pairs`, { hint: 'the stage found no two distinct answers to pair: sample more answers per prompt, or at a higher temperature' });
  return out;
}
