// The one shape every format reader yields, so the malformed-row policy, field selection and
// canonical form live in a single place (load-file.ts) rather than in each reader.

/**
 * A parsed row, or a malformed one with why. `line` is 1-based (the row number for parquet).
 * A `fatal` problem (a broken CSV header) fails the file even under `onMalformed: skip`.
 */
export type RowItem =
  | { line: number; record: Record<string, unknown> }
  | { line: number; malformed: string; fatal?: boolean };
