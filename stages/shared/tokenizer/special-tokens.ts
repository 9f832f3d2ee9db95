// The reserved special tokens every tempa tokenizer starts with, so later stages (pretrain, chat SFT, RL)
// can rely on fixed ids without reading the tokenizer first. Ids 0..6 are these, 7..262 the 256 bytes.

/** In id order: the token with index i has id i. */
export const SPECIAL_TOKENS = ['<|bos|>', '<|eos|>', '<|pad|>', '<|system|>', '<|user|>', '<|assistant|>', '<|end|>'] as const;

export type SpecialToken = (typeof SPECIAL_TOKENS)[number];

/** Begin of text. */
export const BOS_ID = 0;
/** End of text. */
export const EOS_ID = 1;
export const PAD_ID = 2;
/** Chat role markers: each opens a turn. */
export const SYSTEM_ID = 3;
export const USER_ID = 4;
export const ASSISTANT_ID = 5;
/** End of a chat turn. */
export const END_ID = 6;

/** Id of byte value b is BYTE_OFFSET + b. */
export const BYTE_OFFSET = SPECIAL_TOKENS.length;
/** The first id a learnt merge can get; also the smallest vocabulary size. */
export const FIRST_MERGE_ID = BYTE_OFFSET + 256;
