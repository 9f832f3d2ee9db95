// One labeller working through one set of candidate pairs: which pair each open tab shows (two tabs get
// different pairs while unlabelled ones remain) and in which random order, and every label and undo
// applied one at a time through a queue, on disk before the tab hears back: two tabs can never
// duplicate or drop a label, and a retried request (same submit id) counts once.
import { randomInt } from 'node:crypto';
import type { ChatTurn } from '../../shared/chat/template.ts';
import type { DisplayOrder, LabelChoice, LabelLedger, LabelRow } from '../../shared/preference/labels.ts';
import { agreement } from './agreement.ts';
import type { Candidate } from './candidates.ts';
import type { LabelsFile } from './labels-file.ts';

/** What the person pressed, in screen terms; the session maps it to a choice through the displayed order. */
export const VOTES = ['left', 'right', 'tie', 'both-bad'] as const;
export type Vote = (typeof VOTES)[number];

export interface PairView {
  id: string;
  prompt: ChatTurn[];
  left: string;
  right: string;
  order: DisplayOrder;
}

export interface View {
  labeller: string;
  total: number;
  done: number;
  /** Absent when every pair is labelled. */
  pair?: PairView;
  /** The labeller's latest label in force (what undo withdraws), revealed with the task's reference answer. */
  last?: { pairId: string; choice: LabelChoice; vote: Vote; task?: string; reference?: string };
  /** Agreement with each other labeller of this file on the pairs both labelled. */
  agreement: { with: string; overlap: number; raw: number; kappa: number }[];
}

export interface Outcome {
  /** ok: applied; repeat: this submit id was applied before; conflict: refused, `message` says why; unknown: no such pair. */
  status: 'ok' | 'repeat' | 'conflict' | 'unknown';
  message?: string;
  view: View;
}

export interface SessionOptions {
  candidates: readonly Candidate[];
  ledger: LabelLedger;
  file: Pick<LabelsFile, 'append'>;
  labeller: string;
  /** 0 or 1: which answer goes left (crypto-random unless a test pins it). */
  coin?: () => 0 | 1;
  now?: () => Date;
  /** A tab that has not asked for this long no longer holds its pair against other tabs. */
  leaseMs?: number;
}

export const choiceOf = (vote: Vote, order: DisplayOrder): LabelChoice => (vote === 'left' ? order[0] : vote === 'right' ? order[1] : vote);
const voteOf = (choice: LabelChoice, order: DisplayOrder | undefined): Vote =>
  choice === 'tie' || choice === 'both-bad' ? choice : (order ?? ['a', 'b'])[0] === choice ? 'left' : 'right';

const MAX_TABS = 256;

export class LabelSession {
  private readonly o: Required<SessionOptions>;
  private readonly byId: Map<string, Candidate>;
  private readonly leases = new Map<string, { pairId: string; order: DisplayOrder; at: number }>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: SessionOptions) {
    this.o = { coin: () => randomInt(2) as 0 | 1, now: () => new Date(), leaseMs: 10 * 60_000, ...options };
    this.byId = new Map(options.candidates.map((c) => [c.id, c]));
  }

  /** Pairs this labeller has labelled, of all; asks for no pair (a tab asking holds one). */
  progress(): { done: number; total: number } {
    const { candidates, ledger, labeller } = this.o;
    const mine = ledger.choicesOf(labeller);
    return { done: candidates.filter((c) => mine.has(c.id)).length, total: candidates.length };
  }

  /** What `tab` shows now: its pair (kept across reloads), progress, the last label and agreement. */
  view(tab: string): View {
    const { ledger, labeller } = this.o;
    const latest = ledger.latest(labeller);
    const last = latest && this.byId.get(latest.pairId);
    const mine = ledger.choicesOf(labeller);
    return {
      labeller,
      ...this.progress(),
      pair: this.pairFor(tab),
      ...(latest &&
        last && {
          last: { pairId: latest.pairId, choice: latest.choice!, vote: voteOf(latest.choice!, latest.order), ...(last.task && { task: last.task }), ...(last.reference && { reference: last.reference }) },
        }),
      agreement: ledger
        .labellers()
        .filter((name) => name !== labeller)
        .map((name) => ({ with: name, ...agreement(mine, ledger.choicesOf(name)) }))
        .filter((a) => a.overlap > 0)
        .map(({ with: other, overlap, raw, kappa }) => ({ with: other, overlap, raw, kappa })),
    };
  }

  /** Labels a pair; the row is appended and fsynced before the returned view (with the next pair) exists. */
  submit(tab: string, request: { submitId: string; pairId: string; vote: Vote; order: DisplayOrder; rationale: string }): Promise<Outcome> {
    return this.serially(async () => {
      const { ledger, labeller } = this.o;
      if (ledger.hasSubmit(request.submitId)) return { status: 'repeat', view: this.view(tab) };
      if (!this.byId.has(request.pairId)) return { status: 'unknown', message: `no candidate pair has id ${request.pairId}`, view: this.view(tab) };
      if (ledger.rowOf(request.pairId, labeller)) {
        this.release(tab, request.pairId);
        return { status: 'conflict', message: 'that pair is labelled already (in another tab?); here is the next one', view: this.view(tab) };
      }
      const row: LabelRow = {
        pairId: request.pairId,
        choice: choiceOf(request.vote, request.order),
        rationale: request.rationale,
        labeller,
        time: this.o.now().toISOString(),
        order: request.order,
        submitId: request.submitId,
      };
      await this.o.file.append(row);
      ledger.add(row);
      this.release(tab, request.pairId);
      return { status: 'ok', view: this.view(tab) };
    });
  }

  /** Withdraws the labeller's latest label, which must be `pairId`'s, and shows that pair again in `tab` as it was shown. */
  undo(tab: string, request: { submitId: string; pairId: string }): Promise<Outcome> {
    return this.serially(async () => {
      const { ledger, labeller } = this.o;
      if (ledger.hasSubmit(request.submitId)) return { status: 'repeat', view: this.view(tab) };
      const latest = ledger.latest(labeller);
      if (!latest || latest.pairId !== request.pairId) {
        return { status: 'conflict', message: latest ? 'a newer label was given since (in another tab?): undo that one first' : 'nothing to undo', view: this.view(tab) };
      }
      const row: LabelRow = { pairId: latest.pairId, undo: true, labeller, time: this.o.now().toISOString(), submitId: request.submitId };
      await this.o.file.append(row);
      ledger.add(row);
      this.leases.set(tab, { pairId: latest.pairId, order: latest.order ?? this.order(), at: Date.now() });
      return { status: 'ok', view: this.view(tab) };
    });
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private order(): DisplayOrder {
    return this.o.coin() === 0 ? ['a', 'b'] : ['b', 'a'];
  }

  private release(tab: string, pairId: string): void {
    if (this.leases.get(tab)?.pairId === pairId) this.leases.delete(tab);
  }

  /** The tab's pair: the one it holds, else the first unlabelled pair no other live tab holds, else any unlabelled one. */
  private pairFor(tab: string): PairView | undefined {
    const { candidates, ledger, labeller, leaseMs } = this.o;
    const now = Date.now();
    for (const [other, lease] of this.leases) if (now - lease.at > leaseMs) this.leases.delete(other);
    const open = (id: string) => ledger.rowOf(id, labeller) === undefined;
    let lease = this.leases.get(tab);
    if (!lease || !open(lease.pairId)) {
      const held = new Set([...this.leases].filter(([other]) => other !== tab).map(([, l]) => l.pairId));
      const next = candidates.find((c) => open(c.id) && !held.has(c.id)) ?? candidates.find((c) => open(c.id));
      if (!next) {
        this.leases.delete(tab);
        return undefined;
      }
      lease = { pairId: next.id, order: this.order(), at: now };
      // A bounded table: the oldest tab is forgotten first (it only loses its claim on a pair).
      if (!this.leases.has(tab) && this.leases.size >= MAX_TABS) this.leases.delete(this.leases.keys().next().value!);
      this.leases.set(tab, lease);
    }
    lease.at = now;
    const pair = this.byId.get(lease.pairId)!;
    const text = (side: 'a' | 'b') => pair.answers[side === 'a' ? 0 : 1];
    return { id: pair.id, prompt: pair.prompt, left: text(lease.order[0]), right: text(lease.order[1]), order: lease.order };
  }
}
