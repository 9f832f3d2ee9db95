// Preference pairs as every preference stage reads and writes them: TRL's explicit-prompt conversational
// format ({prompt, chosen, rejected} as chat messages) plus the judge's reason and provenance, one JSON
// object per line. Candidate pairs (before judging) carry a stable id that human labels refer to.
import { createHash } from 'node:crypto';
import type { ChatTurn } from '../chat/template.ts';

export interface CandidatePair {
  /** sha256 of the prompt and both answers (first 16 hex): the same pair gets the same id in every run. */
  id: string;
  prompt: ChatTurn[];
  /** The two answers in sampling order; a labelling page shows them in its own random order. */
  answers: [string, string];
  task?: string;
  reference?: string;
}

export interface PreferencePair {
  id: string;
  prompt: ChatTurn[];
  chosen: ChatTurn[];
  rejected: ChatTurn[];
  judge: 'verifier' | 'labels' | 'reward-model';
  /** Why chosen beat rejected: `correct beats wrong`, `ends properly beats truncated`, `label a`... */
  reason: string;
  task?: string;
  reference?: string;
}

export function pairId(prompt: readonly ChatTurn[], a: string, b: string): string {
  return createHash('sha256').update(JSON.stringify([prompt, a, b])).digest('hex').slice(0, 16);
}

export const assistant = (content: string): ChatTurn[] => [{ role: 'assistant', content }];

/** The text of a chosen/rejected side: its one assistant message. */
export const answerText = (side: readonly ChatTurn[]): string => side.map((t) => t.content).join('');
