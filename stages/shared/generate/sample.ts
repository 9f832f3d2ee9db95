// Batched autoregressive generation: temperature, top-k, top-p, max tokens, stop tokens, seeded.
// It drives any `DecodeModel` (the GPT with its KV cache, or a mock in tests), so the sampling
// logic is tested without tensors. RL stages sample thousands of answers through this loop.

/** One decoding session over a batch: feed tokens, get the next-token logits of each row. */
export interface DecodeModel {
  vocabSize: number;
  /** How many positions the model can attend to; generation stops there. */
  maxPositions: number;
  /** Feeds (B, t) new tokens (row-major) after what was fed before; returns (B, V) logits of the last position. */
  feed(tokens: Int32Array, batch: number, length: number): Float32Array;
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
  /** Also return each generated id's log-prob (an O(V) pass per token, so only when asked). */
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
  if ((options.topK <= 0 || options.topK >= logits.length) && options.topP >= 1) {
    let max = -Infinity;
    for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
    const weights = new Float64Array(logits.length);
    let total = 0;
    for (let i = 0; i < logits.length; i++) total += weights[i] = Math.exp((logits[i]! - max) / options.temperature);
    let r = random() * total;
    for (let i = 0; i < logits.length; i++) if ((r -= weights[i]!) < 0) return i;
    return logits.length - 1;
  }
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
  /** Why each row ended. */
  finish: ('stop' | 'length')[];
}

/**
 * Generates continuations for prompts of equal length (group unequal prompts by length first).
 * Rows that stopped keep being fed a token (their own stop token) so the batch stays rectangular;
 * their outputs are ignored. `onToken` sees each new id as it is sampled, for streaming.
 */
export function generate(
  model: DecodeModel,
  prompts: readonly (readonly number[])[],
  options: SampleOptions,
  random: () => number,
  onToken?: (row: number, id: number) => void,
): Generation {
  const batch = prompts.length;
  const promptLength = prompts[0]?.length ?? 0;
  if (prompts.some((p) => p.length !== promptLength)) throw new Error('generate() needs prompts of equal length; group them by length');
  if (promptLength === 0) throw new Error('generate() needs at least one prompt token (e.g. <|bos|>)');
  const room = Math.min(options.maxTokens, model.maxPositions - promptLength);
  const tokens: number[][] = prompts.map(() => []);
  const logProbs: number[][] | undefined = options.logProbs ? prompts.map(() => []) : undefined;
  const finish: ('stop' | 'length')[] = prompts.map(() => 'length');
  const done = new Array<boolean>(batch).fill(false);
  const stops = new Set(options.stopTokens);
  let feed = Int32Array.from(prompts.flat());
  let length = promptLength;
  for (let step = 0; step < room && done.includes(false); step++) {
    const logits = model.feed(feed, batch, length);
    const next = new Int32Array(batch);
    for (let b = 0; b < batch; b++) {
      if (done[b]) {
        next[b] = tokens[b]![tokens[b]!.length - 1] ?? 0;
        continue;
      }
      const row = logits.subarray(b * model.vocabSize, (b + 1) * model.vocabSize);
      const id = sampleToken(row, options, random);
      tokens[b]!.push(id);
      logProbs?.[b]!.push(tokenLogProb(row, id, options.temperature > 0 ? options.temperature : 1));
      onToken?.(b, id);
      next[b] = id;
      if (stops.has(id)) {
        done[b] = true;
        finish[b] = 'stop';
      }
    }
    feed = next;
    length = 1;
  }
  return { tokens, finish, ...(logProbs ? { logProbs } : {}) };
}

/** log softmax(row / temperature)[id], with the max subtracted first so exp never overflows. */
export function tokenLogProb(row: Float32Array, id: number, temperature: number): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i]! > max) max = row[i]!;
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp((row[i]! - max) / temperature);
  return (row[id]! - max) / temperature - Math.log(sum);
}
