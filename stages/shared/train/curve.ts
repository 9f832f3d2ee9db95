// A training stage's curve.jsonl: one JSON object per optimizer step (loss, lr, gradNorm, the stage's
// metrics, and the evaluation metrics at the steps that evaluated), for reports and plots.
import { writeFile } from 'node:fs/promises';
import type { CurvePoint } from './loop.ts';

export async function writeCurve(file: string, curve: readonly CurvePoint[]): Promise<void> {
  await writeFile(file, curve.map((point) => JSON.stringify(point)).join('\n') + '\n');
}
