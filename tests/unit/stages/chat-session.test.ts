// The pieces of `tempa chat` that need no model: streaming decode never shows half a character, and
// the history drops whole exchanges, oldest first, to fit the context.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChatHistory } from '../../../stages/commands/chat-history.ts';
import { renderPrompt } from '../../../stages/shared/chat/template.ts';
import { TextStream } from '../../../stages/shared/generate/text-stream.ts';
import { Tokenizer } from '../../../stages/shared/tokenizer/bpe.ts';
import { trainBpe } from '../../../stages/shared/tokenizer/bpe-train.ts';
import { SPECIAL_TOKENS } from '../../../stages/shared/tokenizer/special-tokens.ts';

// No merges: every UTF-8 byte is its own token, so multi-byte characters span several tokens.
const bytes = new Tokenizer(trainBpe(new Map(), { vocabSize: SPECIAL_TOKENS.length + 256 }).model);

describe('TextStream', () => {
  it('emits text as tokens complete characters, holding back partial UTF-8', () => {
    const text = 'héllo 🐳 whale — ok';
    const ids = bytes.encode(text);
    const stream = new TextStream(bytes);
    const pieces = Array.from(ids, (id) => stream.push(id));
    pieces.push(stream.flush());
    assert.equal(pieces.join(''), text);
    assert.ok(pieces.every((p) => !p.includes('\uFFFD')));
    assert.ok(pieces.filter((p) => p === '').length >= 3, 'the whale emoji takes 4 tokens, shown at the last');
  });

  it('shows a character that never completes as U+FFFD at the end', () => {
    const stream = new TextStream(bytes);
    const [first] = bytes.encode('🐳');
    assert.equal(stream.push(first!), '');
    assert.equal(stream.flush(), '\uFFFD');
  });
});

describe('ChatHistory', () => {
  const length = (turns: Parameters<typeof renderPrompt>[1]) => renderPrompt(bytes, turns).length;

  it('keeps every turn while they fit, in the chat template', () => {
    const history = new ChatHistory(bytes, 200, 'be brief');
    history.add('hi', 'hello');
    const { ids, dropped } = history.prompt('how?', 10);
    assert.equal(dropped, 0);
    assert.deepEqual(ids, renderPrompt(bytes, [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }, { role: 'user', content: 'how?' }]));
  });

  it('drops whole exchanges, oldest first, keeping the system turn', () => {
    const system = { role: 'system' as const, content: 'sys' };
    const blockSize = length([system, { role: 'user', content: 'b1' }, { role: 'assistant', content: 'B1' }, { role: 'user', content: 'c' }]) + 5;
    const history = new ChatHistory(bytes, blockSize, 'sys');
    history.add('a1', 'A1');
    history.add('b1', 'B1');
    const { ids, dropped } = history.prompt('c', 5);
    assert.equal(dropped, 2);
    assert.deepEqual(ids, renderPrompt(bytes, [system, { role: 'user', content: 'b1' }, { role: 'assistant', content: 'B1' }, { role: 'user', content: 'c' }]));
    assert.equal(history.turns.length, 3);
    history.reset();
    assert.deepEqual(history.turns, [system]);
  });

  it('refuses a message longer than the context', () => {
    const history = new ChatHistory(bytes, 16);
    assert.throws(() => history.prompt('x'.repeat(40), 4), { code: 'USAGE', message: 'the message takes 44 tokens; the model reads at most 16' });
  });
});
