// Human labels as make-preferences reads them: the JSONL rows `tempa label` appends (format and folding in
// shared/preference/labels.ts). A labeller's later row for a pair replaces the earlier one, an undo row
// withdraws it, and a repeated submit id counts once; each labeller counts once per pair.
import { errDataInvalid } from '../../engine/errors.ts';
import { readJsonl, SKIP_MALFORMED_HINT } from '../shared/data/jsonl.ts';
import { LabelLedger, parseLabelRow, type LabelChoice } from '../shared/preference/labels.ts';

export interface LabelReadOptions {
  onMalformed: 'error' | 'skip';
  displayName(file: string): string;
}

/** pair id -> the choices of its labellers (each labeller's last). */
export async function readLabels(files: readonly string[], options: LabelReadOptions): Promise<Map<string, LabelChoice[]>> {
  const ledger = new LabelLedger();
  for (const file of files) {
    const name = options.displayName(file);
    for await (const { line, record } of readJsonl(file, { onMalformed: options.onMalformed, displayName: name, hint: SKIP_MALFORMED_HINT })) {
      const row = parseLabelRow(record);
      if ('problem' in row) {
        if (options.onMalformed === 'error') throw errDataInvalid(name, line, row.problem, SKIP_MALFORMED_HINT);
        continue;
      }
      ledger.add(row);
    }
  }
  return new Map(ledger.pairIds().map((id) => [id, ledger.choices(id)]));
}
