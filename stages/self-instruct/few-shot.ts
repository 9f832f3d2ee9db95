// How a writer model's text becomes an instruction. Few-shot is the prompt of Self-Instruct (Wang et al.
// 2022), which worked with a plain pre-trained GPT-3: a list of example tasks that the model continues
// with a new one, in plain text. A chat writer instead writes a user turn in the chat template.

export interface Instruction {
  instruction: string;
  input?: string;
}

const INSTRUCTION = 'Instruction:';
const INPUT = 'Input:';

export function formatDemo(demo: Instruction): string {
  return demo.input === undefined ? `${INSTRUCTION} ${demo.instruction}` : `${INSTRUCTION} ${demo.instruction}\n${INPUT} ${demo.input}`;
}

/** The demos, a blank line apart, then the opening of the next task for the model to write. */
export function fewShotPrompt(demos: readonly Instruction[]): string {
  return `${demos.map(formatDemo).join('\n\n')}\n\n${INSTRUCTION}`;
}

/**
 * Reads the task a model wrote after fewShotPrompt: up to the first blank line or the next
 * `Instruction:`, with an optional `Input:` line. Undefined when no instruction text is left.
 */
export function parseContinuation(text: string): Instruction | undefined {
  const task = text.split(/\n\s*\n|\nInstruction:/)[0] ?? '';
  const at = task.indexOf(`\n${INPUT}`);
  const instruction = (at < 0 ? task : task.slice(0, at)).trim();
  const input = at < 0 ? undefined : task.slice(at + INPUT.length + 1).trim();
  if (instruction === '') return undefined;
  return input === undefined || input === '' ? { instruction } : { instruction, input };
}

/** A user turn as the chat template writes it: the instruction, then the input after a blank line. */
export function parseUserTurn(text: string): Instruction | undefined {
  const at = text.indexOf('\n\n');
  const instruction = (at < 0 ? text : text.slice(0, at)).trim();
  const input = at < 0 ? '' : text.slice(at + 2).trim();
  if (instruction === '') return undefined;
  return input === '' ? { instruction } : { instruction, input };
}
