// The one chat format of tempa: SFT trains on it, generation prompts with it, and every later stage
// (reward model, PPO, GRPO) renders conversations through it, so a model never sees two layouts.
import { errDataInvalid } from '../../../engine/errors.ts';
import { SKIP_MALFORMED_HINT } from '../data/jsonl.ts';
import { promptOf } from '../tasks/record.ts';
import type { Tokenizer } from '../tokenizer/bpe.ts';
import { ASSISTANT_ID, BOS_ID, END_ID, SPECIAL_TOKENS, SYSTEM_ID, USER_ID } from '../tokenizer/special-tokens.ts';

export const CHAT_ROLES = ['system', 'user', 'assistant'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];

export interface ChatTurn {
  role: ChatRole;
  content: string;
}

const ROLE_IDS: Record<ChatRole, number> = { system: SYSTEM_ID, user: USER_ID, assistant: ASSISTANT_ID };

/**
 * The template as Jinja, for a Hugging Face tokenizer_config.json `chat_template`:
 * `<|bos|>` then `<|role|>content<|end|>` per message; a generation prompt ends with `<|assistant|>`.
 * Each assistant content and its `<|end|>` sit inside `{% generation %}`, so transformers'
 * `return_assistant_tokens_mask` gives the mask renderConversation gives. Another role is an error.
 * One difference, kept on purpose: HF tokenizers read special-token text inside `content` (a user typing
 * `<|end|>`) as the special token; tempa encodes it as plain bytes, so no message can forge a turn.
 * Identical ids therefore need content without special-token text (tests/unit/stages/hf-transformers.test.ts).
 */
export const CHAT_TEMPLATE =
  "{{ '<|bos|>' }}{% for message in messages %}" +
  "{% if message['role'] not in ['system', 'user', 'assistant'] %}{{ raise_exception('tempa chat roles are system, user and assistant, got ' + message['role']) }}{% endif %}" +
  "{{ '<|' + message['role'] + '|>' }}" +
  "{% if message['role'] == 'assistant' %}{% generation %}{{ message['content'] + '<|end|>' }}{% endgeneration %}" +
  "{% else %}{{ message['content'] + '<|end|>' }}{% endif %}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}";

/** What a model folder's tokenizer_config.json holds, so HF `apply_chat_template` renders the same text. */
export function tokenizerConfig(): Record<string, unknown> {
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: SPECIAL_TOKENS[BOS_ID],
    eos_token: '<|eos|>',
    pad_token: '<|pad|>',
    additional_special_tokens: SPECIAL_TOKENS.slice(3),
    chat_template: CHAT_TEMPLATE,
  };
}

type Encoder = Pick<Tokenizer, 'encode'>;

/**
 * Token ids of a whole conversation and the mask of what a model learns to say: 1 on every assistant
 * content token and on the `<|end|>` that closes it (so it learns to stop), 0 elsewhere.
 * Content is encoded as plain text: `<|end|>` typed by a user is bytes, never the special token.
 */
export function renderConversation(tokenizer: Encoder, messages: readonly ChatTurn[]): { ids: Int32Array; assistantMask: Uint8Array } {
  const pieces = messages.map((m) => tokenizer.encode(m.content));
  const length = 1 + pieces.reduce((sum, p) => sum + p.length + 2, 0);
  const ids = new Int32Array(length);
  const assistantMask = new Uint8Array(length);
  ids[0] = BOS_ID;
  let at = 1;
  messages.forEach((message, i) => {
    const content = pieces[i]!;
    ids[at++] = ROLE_IDS[message.role];
    ids.set(content, at);
    const learnt = message.role === 'assistant' ? 1 : 0;
    assistantMask.fill(learnt, at, at + content.length + 1); // content + <|end|>
    at += content.length;
    ids[at++] = END_ID;
  });
  return { ids, assistantMask };
}

/** The conversation so far, then `<|assistant|>`: what a model continues to answer. */
export function renderPrompt(tokenizer: Encoder, messages: readonly ChatTurn[]): Int32Array {
  const { ids } = renderConversation(tokenizer, messages);
  const prompt = new Int32Array(ids.length + 1);
  prompt.set(ids);
  prompt[ids.length] = ASSISTANT_ID;
  return prompt;
}

/**
 * A data row as a conversation. Accepts chat `{messages: [{role, content}]}` (multi-turn, with at least
 * one assistant turn), Alpaca `{instruction, input?, output}` and `{prompt, completion}`, in that order
 * of preference. Anything else throws DATA_INVALID at `file:line` saying what is wrong.
 */
export function parseRow(row: unknown, file: string, line: number): ChatTurn[] {
  const fail = (message: string) => errDataInvalid(file, line, message, SKIP_MALFORMED_HINT);
  if (typeof row !== 'object' || row === null || Array.isArray(row)) throw fail('expected a JSON object');
  const r = row as Record<string, unknown>;
  if (r.messages !== undefined) {
    if (!Array.isArray(r.messages) || r.messages.length === 0) throw fail('messages must be a non-empty array');
    const turns = r.messages.map((m: unknown, i): ChatTurn => {
      if (typeof m !== 'object' || m === null) throw fail(`messages[${i}] must be an object with role and content`);
      const { role, content } = m as Record<string, unknown>;
      if (!CHAT_ROLES.includes(role as ChatRole)) throw fail(`messages[${i}].role must be one of ${CHAT_ROLES.join(', ')} (got ${JSON.stringify(role)})`);
      if (typeof content !== 'string') throw fail(`messages[${i}].content must be a string`);
      return { role: role as ChatRole, content };
    });
    if (!turns.some((t) => t.role === 'assistant')) throw fail('messages has no assistant message to learn from');
    return turns;
  }
  if (r.instruction !== undefined || r.output !== undefined) {
    if (typeof r.instruction !== 'string') throw fail('instruction must be a string');
    if (r.input !== undefined && typeof r.input !== 'string') throw fail('input must be a string');
    if (typeof r.output !== 'string') throw fail('output must be a string');
    const input = r.input === '' ? undefined : (r.input as string | undefined);
    return [
      { role: 'user', content: promptOf({ instruction: r.instruction, ...(input === undefined ? {} : { input }) }) },
      { role: 'assistant', content: r.output },
    ];
  }
  if (r.prompt !== undefined || r.completion !== undefined) {
    if (typeof r.prompt !== 'string') throw fail('prompt must be a string');
    if (typeof r.completion !== 'string') throw fail('completion must be a string');
    return [
      { role: 'user', content: r.prompt },
      { role: 'assistant', content: r.completion },
    ];
  }
  throw fail('expected chat `messages`, Alpaca `instruction`/`output`, or `prompt`/`completion` fields');
}
