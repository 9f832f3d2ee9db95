// Human labels of candidate pairs, one JSONL row each: what `tempa label` appends and make-preferences
// reads, defined once so the writer and the reader cannot drift. Rows only ever append; LabelLedger folds
// them into each labeller's current choice per pair (a later row replaces an earlier one, an undo row removes it).

export const LABEL_CHOICES = ['a', 'b', 'tie', 'both-bad'] as const;
/** `a` and `b` name the candidate pair's first and second answer (its `answers[0]` and `answers[1]`). */
export type LabelChoice = (typeof LABEL_CHOICES)[number];

/** Which answer the page showed on the left and which on the right. */
export type DisplayOrder = ['a', 'b'] | ['b', 'a'];

/**
 * One row: `{pairId, choice, labeller, rationale?, time?, order?, submitId?}`, or an undo row
 * `{pairId, undo: true, labeller, time?, submitId?}` that withdraws the labeller's choice for the pair.
 */
export interface LabelRow {
  pairId: string;
  /** Absent on an undo row. */
  choice?: LabelChoice;
  undo?: true;
  /** '' when a hand-written row names nobody. */
  labeller: string;
  rationale?: string;
  /** ISO 8601, when the label was given. */
  time?: string;
  order?: DisplayOrder;
  /** The page's id for one click: a retried request with the same id is one label, not two. */
  submitId?: string;
}

export const isDisplayOrder = (v: unknown): v is DisplayOrder => Array.isArray(v) && v.length === 2 && ((v[0] === 'a' && v[1] === 'b') || (v[0] === 'b' && v[1] === 'a'));

/** A row as written, checked field by field; `problem` says what is wrong in words fit for file:line. */
export function parseLabelRow(record: Record<string, unknown>): LabelRow | { problem: string } {
  const { pairId, choice, undo, labeller, rationale, time, order, submitId } = record;
  if (typeof pairId !== 'string' || pairId === '') return { problem: 'a label needs a string `pairId` (the id of a candidate pair)' };
  if (undo !== undefined && undo !== true) return { problem: `\`undo\` must be true when present, got ${JSON.stringify(undo)}` };
  if (undo === true && choice !== undefined) return { problem: 'an undo row has no `choice`' };
  if (undo === undefined && !LABEL_CHOICES.includes(choice as LabelChoice)) {
    return { problem: `\`choice\` must be one of ${LABEL_CHOICES.join(', ')}, got ${JSON.stringify(choice)}` };
  }
  for (const [name, value] of Object.entries({ labeller, rationale, time, submitId })) {
    if (value !== undefined && typeof value !== 'string') return { problem: `\`${name}\` must be a string, got ${JSON.stringify(value)}` };
  }
  if (order !== undefined && !isDisplayOrder(order)) return { problem: `\`order\` must be ["a", "b"] or ["b", "a"], got ${JSON.stringify(order)}` };
  return {
    pairId,
    ...(undo === true ? { undo: true as const } : { choice: choice as LabelChoice }),
    labeller: (labeller as string | undefined) ?? '',
    ...(rationale !== undefined && { rationale: rationale as string }),
    ...(time !== undefined && { time: time as string }),
    ...(order !== undefined && { order: order as DisplayOrder }),
    ...(submitId !== undefined && { submitId: submitId as string }),
  };
}

/** Every labeller's current choice per pair, folded from rows in the order they were written. */
export class LabelLedger {
  /** pair id -> labeller -> the row that set the current choice, and its position (for `latest`). */
  private readonly current = new Map<string, Map<string, { row: LabelRow; seq: number }>>();
  private readonly submitIds = new Set<string>();
  private seq = 0;

  /** Applies one row; a row whose submitId was seen before changes nothing and returns false. */
  add(row: LabelRow): boolean {
    if (row.submitId !== undefined) {
      if (this.submitIds.has(row.submitId)) return false;
      this.submitIds.add(row.submitId);
    }
    const byLabeller = this.current.get(row.pairId) ?? new Map<string, { row: LabelRow; seq: number }>();
    if (row.undo) byLabeller.delete(row.labeller);
    else byLabeller.set(row.labeller, { row, seq: this.seq++ });
    if (byLabeller.size > 0) this.current.set(row.pairId, byLabeller);
    else this.current.delete(row.pairId);
    return true;
  }

  hasSubmit(submitId: string): boolean {
    return this.submitIds.has(submitId);
  }

  /** The labeller's current row for a pair. */
  rowOf(pairId: string, labeller: string): LabelRow | undefined {
    return this.current.get(pairId)?.get(labeller)?.row;
  }

  /** One choice per labeller of the pair. */
  choices(pairId: string): LabelChoice[] {
    return [...(this.current.get(pairId)?.values() ?? [])].map((e) => e.row.choice!);
  }

  /** pair id -> choice, for one labeller. */
  choicesOf(labeller: string): Map<string, LabelChoice> {
    const out = new Map<string, LabelChoice>();
    for (const [pairId, byLabeller] of this.current) {
      const entry = byLabeller.get(labeller);
      if (entry) out.set(pairId, entry.row.choice!);
    }
    return out;
  }

  /** The labeller's most recent label still in force: what undo withdraws. */
  latest(labeller: string): LabelRow | undefined {
    let best: { row: LabelRow; seq: number } | undefined;
    for (const byLabeller of this.current.values()) {
      const entry = byLabeller.get(labeller);
      if (entry && (!best || entry.seq > best.seq)) best = entry;
    }
    return best?.row;
  }

  /** Everyone with a label in force, in first-seen order. */
  labellers(): string[] {
    const names = new Set<string>();
    for (const byLabeller of this.current.values()) for (const name of byLabeller.keys()) names.add(name);
    return [...names];
  }

  pairIds(): string[] {
    return [...this.current.keys()];
  }
}
