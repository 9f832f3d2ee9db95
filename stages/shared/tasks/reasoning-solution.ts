// How the reasoning family writes a worked solution: one step a line, then the marked answer line, so the
// verifiers (answer.ts) read only the answer and ignore the working.
import { markAnswer } from './answer.ts';

/** The whole assistant response: the steps, one a line, then `Answer: <answer>`. */
export function worked(steps: readonly string[], answer: string): string {
  return [...steps, markAnswer(answer)].join('\n');
}
