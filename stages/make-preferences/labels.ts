// Human labels as make-preferences reads them: JSONL rows {pairId, choice: a|b|tie|both-bad, labeller?}
// appended by `tempa label`. A labeller's later row for the same pair replaces the earlier one (undo and
// relabel append); each labeller counts once per pair.
import { readFile } from 'node:fs/promises';
import { errDataInvalid, errorText } from '../../engine/errors.ts';
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
    (await readFile(file, 'utf8')).split('\n').forEach((text, i) => {
      if (text.trim() === '') return;
      try {
        let row: { pairId?: unknown; choice?: unknown; labeller?: unknown };
        try {
          row = JSON.parse(text) as typeof row;
        } catch (error) {
          throw errDataInvalid(name, i + 1, `not valid JSON: ${errorText(error)}`);
        }
        if (typeof row.pairId !== 'string') throw errDataInvalid(name, i + 1, 'a label needs a string `pairId` (the id of a candidate pair)');
        if (!LABEL_CHOICES.includes(row.choice as LabelChoice)) throw errDataInvalid(name, i + 1, `\`choice\` must be one of ${LABEL_CHOICES.join(', ')}, got ${JSON.stringify(row.choice)}`);
        const labeller = typeof row.labeller === 'string' ? row.labeller : '';
        if (!latest.has(row.pairId)) latest.set(row.pairId, new Map());
        latest.get(row.pairId)!.set(labeller, row.choice as LabelChoice);
      } catch (error) {
        if (options.onMalformed === 'error') throw error;
      }
    });
  }
  return new Map([...latest].map(([id, byLabeller]) => [id, [...byLabeller.values()]]));
}
