// Human labels as make-preferences reads them: JSONL rows {pairId, choice: a|b|tie|both-bad, labeller?}
// appended by `tempa label`. A labeller's later row for the same pair replaces the earlier one (undo and
// relabel append); each labeller counts once per pair.
import { errDataInvalid } from '../../engine/errors.ts';
import { readJsonl, SKIP_MALFORMED_HINT } from '../shared/data/jsonl.ts';
import { LABEL_CHOICES, type LabelChoice } from './judge.ts';

export interface LabelReadOptions {
  onMalformed: 'error' | 'skip';
  displayName(file: string): string;
}

/** pair id -> the choices of its labellers (each labeller's last). */
export async function readLabels(files: readonly string[], options: LabelReadOptions): Promise<Map<string, LabelChoice[]>> {
  const latest = new Map<string, Map<string, LabelChoice>>();
  for (const file of files) {
    const name = options.displayName(file);
    for await (const { line, record } of readJsonl(file, { onMalformed: options.onMalformed, displayName: name, hint: SKIP_MALFORMED_HINT })) {
      const problem =
        typeof record.pairId !== 'string'
          ? 'a label needs a string `pairId` (the id of a candidate pair)'
          : !LABEL_CHOICES.includes(record.choice as LabelChoice)
            ? `\`choice\` must be one of ${LABEL_CHOICES.join(', ')}, got ${JSON.stringify(record.choice)}`
            : undefined;
      if (problem) {
        if (options.onMalformed === 'error') throw errDataInvalid(name, line, problem, SKIP_MALFORMED_HINT);
        continue;
      }
      const byLabeller = latest.get(record.pairId as string) ?? new Map<string, LabelChoice>();
      byLabeller.set(typeof record.labeller === 'string' ? record.labeller : '', record.choice as LabelChoice);
      latest.set(record.pairId as string, byLabeller);
    }
  }
  return new Map([...latest].map(([id, byLabeller]) => [id, [...byLabeller.values()]]));
}
