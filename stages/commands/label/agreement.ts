// How far two labellers agree on the pairs both labelled: raw agreement and Cohen's kappa (agreement
// beyond what each labeller's own mix of choices would give by chance), plus the pairs they split on.
// Used by `tempa label --agreement` and by the page's progress line.
import { LABEL_CHOICES, type LabelChoice } from '../../shared/preference/labels.ts';

export interface Agreement {
  /** Pairs both labelled. */
  overlap: number;
  agreed: number;
  /** agreed / overlap; NaN without overlap. */
  raw: number;
  /** Cohen's kappa; NaN without overlap or when chance agreement is 1 (both used one and the same choice). */
  kappa: number;
  disagreements: { pairId: string; first: LabelChoice; second: LabelChoice }[];
}

/** Agreement of two labellers' choices (pair id -> choice) over the pairs both labelled, in `first`'s order. */
export function agreement(first: ReadonlyMap<string, LabelChoice>, second: ReadonlyMap<string, LabelChoice>): Agreement {
  const both = [...first.keys()].filter((id) => second.has(id));
  const disagreements = both.filter((id) => first.get(id) !== second.get(id)).map((pairId) => ({ pairId, first: first.get(pairId)!, second: second.get(pairId)! }));
  const n = both.length;
  const agreed = n - disagreements.length;
  const share = (labels: ReadonlyMap<string, LabelChoice>, c: LabelChoice) => both.filter((id) => labels.get(id) === c).length / n;
  // p_e = sum over choices of the chance both pick it, each at their own rate (Cohen 1960).
  const chance = LABEL_CHOICES.reduce((sum, c) => sum + share(first, c) * share(second, c), 0);
  const raw = n === 0 ? Number.NaN : agreed / n;
  const kappa = n === 0 || chance >= 1 ? Number.NaN : (raw - chance) / (1 - chance);
  return { overlap: n, agreed, raw, kappa, disagreements };
}

/** `raw 75.0% (9 of 12), Cohen's kappa 0.62` in words, saying why kappa is missing when it is. */
export function describeAgreement(a: Agreement): string {
  if (a.overlap === 0) return 'no pair labelled by both';
  const kappa = Number.isNaN(a.kappa) ? "Cohen's kappa undefined (both gave every pair the same one choice)" : `Cohen's kappa ${a.kappa.toFixed(2)}`;
  return `raw agreement ${(a.raw * 100).toFixed(1)}% (${a.agreed} of ${a.overlap}), ${kappa}`;
}
