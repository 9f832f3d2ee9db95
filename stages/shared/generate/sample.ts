// Batched autoregressive generation: temperature, top-k, top-p, max tokens, stop tokens, seeded.
// It drives any `DecodeModel` (the GPT with its KV cache, or a mock in tests), so the sampling
// logic is tested without tensors. RL stages sample thousands of answers through this loop.

/** One decoding session over a batch: feed tokens, get the next-token logits of each row. */
export interface DecodeModel {
  vocabSize: number;
  /** How many positions the model can attend to; generation stops there. */
  maxPositions: number;
  /**
   * Feeds (B, t) new tokens (row-major) after what was fed before; returns (B, V) logits of the last
   * position. With the first tokens only, `pads` says how many leading tokens of each row are padding
   * (prompts of different lengths, left-padded): the model must give each row what it gives it alone.
   */
  feed(tokens: Int32Array, batch: number, length: number, pads?: readonly number[]): Float32Array;
  /** Keeps only these rows (ascending indices into the current batch) for the following feeds. */
  retain(rows: readonly number[]): void;
  dispose(): void;
}

export interface SampleOptions {
  maxTokens: number;
  /** 0 means greedy (argmax). */
  temperature: number;
  /** Keep only the k most likely tokens (0: all). */
  topK: number;
  /** Keep the smallest set of tokens whose probability reaches topP (1: all). */
  topP: number;
  /** Generation of a row ends after it emits one of these. */
  stopTokens: readonly number[];
  /** Also return each generated id's log-prob and its distribution's entropy (an O(V) pass per token, so only when asked). */
  logProbs?: boolean;
}

/** Picks one token id from a row of logits. Pure: all randomness comes from `random`. */
export function sampleToken(logits: Float32Array, options: Pick<SampleOptions, 'temperature' | 'topK' | 'topP'>, random: () => number): number {
  if (options.temperature <= 0) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
    return best;
  }
  // No truncation: one linear pass over the ids in order. Sorting 1,024 logits per token was most of an RL
  // rollout's sampling time; the distribution is the same, the id a given random number lands on is not.
  if (untruncated(logits, options)) return drawWithStats(logits, options.temperature, random, new Float64Array(logits.length)).id;
  let ids = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b);
  if (options.topK > 0) ids = ids.slice(0, options.topK);
  const max = logits[ids[0]!]!;
  let weights = ids.map((id) => Math.exp((logits[id]! - max) / options.temperature));
  if (options.topP < 1) {
    const total = weights.reduce((a, b) => a + b, 0);
    let cumulative = 0;
    let keep = 0;
    while (keep < weights.length && cumulative < options.topP * total) cumulative += weights[keep++]!;
    ids = ids.slice(0, Math.max(1, keep));
    weights = weights.slice(0, Math.max(1, keep));
  }
  const total = weights.reduce((a, b) => a + b, 0);
  let r = random() * total;
  for (let i = 0; i < ids.length; i++) {
    r -= weights[i]!;
    if (r < 0) return ids[i]!;
  }
  return ids[ids.length - 1]!;
}

export interface Generation {
  /** Generated ids per row, without the prompt, including the stop token if one ended the row. */
  tokens: number[][];
  /**
   * log p of each generated id under softmax(logits / temperature) (plain logits when greedy), before
   * top-k/top-p truncation: what RL recomputes with a forward pass at the same temperature (TRL, OpenRLHF).
   */
  logProbs?: number[][];
  /** With logProbs: the entropy (nats) of each of those distributions, what RL logs as `entropy`. */
  entropies?: number[][];
  /** Why each row ended. */
  finish: ('stop' | 'length')[];
}

/**
 * Generates continuations for prompts of any lengths in one batch, left-padded to the longest (the pad
 * id is never seen: the model masks it). Each row gets at most maxTokens and at most what the model's
 * context leaves after its prompt. A row that ends leaves the batch, so later steps cost only the rows
 * still going; the random draws go row by row in prompt order at each step. `onToken` sees each new id
 * as it is sampled, for streaming.
 */
export function generate(
  model: DecodeModel,
  prompts: readonly (readonly number[])[],
  options: SampleOptions,
  random: () => number,
  onToken?: (row: number, id: number) => void,
): Generation {
  if (prompts.some((p) => p.length === 0)) throw new Error('generate() needs at least one prompt token per row (e.g. <|bos|>)');
  const room = prompts.map((p) => Math.min(options.maxTokens, model.maxPositions - p.length));
  const tokens: number[][] = prompts.map(() => []);
  const logProbs: number[][] | undefined = options.logProbs ? prompts.map(() => []) : undefined;
  const entropies: number[][] | undefined = options.logProbs ? prompts.map(() => []) : undefined;
  const finish: ('stop' | 'length')[] = prompts.map(() => 'length');
  const stops = new Set(options.stopTokens);
  /** Prompt index of each row of the model's batch. */
  let rows = prompts.map((_, b) => b).filter((b) => room[b]! > 0);
  let length = Math.max(0, ...rows.map((b) => prompts[b]!.length));
  let pads: number[] | undefined = rows.map((b) => length - prompts[b]!.length);
  let feed = Int32Array.from(rows.flatMap((b, r) => [...new Array<number>(pads![r]!).fill(PAD_ID), ...prompts[b]!]));
  const V = model.vocabSize;
  const scratch = new Float64Array(V);
  while (rows.length > 0) {
    const logits = model.feed(feed, rows.length, length, pads);
    const going: number[] = [];
    rows.forEach((b, r) => {
      const row = logits.subarray(r * V, (r + 1) * V);
      let id: number;
      if (logProbs) {
        const drawn = sampleTokenWithStats(row, options, random, scratch);
        id = drawn.id;
        logProbs[b]!.push(drawn.logProb);
        entropies![b]!.push(drawn.entropy);
      } else {
        id = sampleToken(row, options, random);
      }
      tokens[b]!.push(id);
      onToken?.(b, id);
      if (stops.has(id)) finish[b] = 'stop';
      else if (tokens[b]!.length < room[b]!) going.push(r);
    });
    if (going.length === 0) break;
    if (going.length < rows.length) model.retain(going);
    rows = going.map((r) => rows[r]!);
    feed = Int32Array.from(rows, (b) => tokens[b]!.at(-1)!);
    length = 1;
    pads = undefined;
  }
  return { tokens, finish, ...(logProbs ? { logProbs, entropies: entropies! } : {}) };
}

/** What fills a left-padded row before its prompt; any id would do, the model never attends to it. */
const PAD_ID = 0;

const untruncated = (logits: Float32Array, options: Pick<SampleOptions, 'topK' | 'topP'>) => (options.topK <= 0 || options.topK >= logits.length) && options.topP >= 1;

/**
 * An id drawn from softmax(logits / temperature) with no truncation, and its log-prob and the entropy,
 * from one pass of exp (which is most of sampling's cost). `weights` is scratch.
 */
function drawWithStats(logits: Float32Array, temperature: number, random: () => number, weights: Float64Array): { id: number; logProb: number; entropy: number } {
  const sums = softmaxSums(logits, temperature, weights);
  let r = random() * sums.total;
  let id = logits.length - 1;
  for (let i = 0; i < logits.length; i++) {
    if ((r -= weights[i]!) < 0) {
      id = i;
      break;
    }
  }
  return { id, ...statsOf(logits, id, temperature, sums) };
}

/**
 * sampleToken, with the id's log-prob and its distribution's entropy at the temperature (tokenStats;
 * the plain logits when greedy), in one pass where nothing truncates. `weights`: scratch of the vocabulary's size.
 */
export function sampleTokenWithStats(logits: Float32Array, options: Pick<SampleOptions, 'temperature' | 'topK' | 'topP'>, random: () => number, weights: Float64Array): { id: number; logProb: number; entropy: number } {
  if (options.temperature > 0 && untruncated(logits, options)) return drawWithStats(logits, options.temperature, random, weights);
  const id = sampleToken(logits, options, random);
  return { id, ...tokenStats(logits, id, options.temperature > 0 ? options.temperature : 1) };
}

/**
 * With z = (row - max) / temperature, the max subtracted so exp never overflows: S = sum exp(z) and
 * sum exp(z) z, each exp(z) into `weights` when given.
 */
function softmaxSums(row: Float32Array, temperature: number, weights?: Float64Array): { max: number; total: number; weighted: number } {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i]! > max) max = row[i]!;
  let total = 0;
  let weighted = 0;
  for (let i = 0; i < row.length; i++) {
    const z = (row[i]! - max) / temperature;
    const e = Math.exp(z);
    if (weights) weights[i] = e;
    total += e;
    weighted += e * z;
  }
  return { max, total, weighted };
}

/** log p(id) = z[id] - log S and the entropy H = log S - sum exp(z) z / S, from softmaxSums. */
function statsOf(row: Float32Array, id: number, temperature: number, { max, total, weighted }: ReturnType<typeof softmaxSums>): { logProb: number; entropy: number } {
  const logSum = Math.log(total);
  return { logProb: (row[id]! - max) / temperature - logSum, entropy: logSum - weighted / total };
}

/** log softmax(row / temperature)[id] and the entropy of that softmax, in one pass of exp. */
export function tokenStats(row: Float32Array, id: number, temperature: number): { logProb: number; entropy: number } {
  return statsOf(row, id, temperature, softmaxSums(row, temperature));
}
