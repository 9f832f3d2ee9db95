// The reasoning family: tasks whose items carry a worked solution (TaskItem.solution), so SFT can teach
// the working and RL (GRPO) can reward only the marked final answer. Prompt and working stay short: at
// easy and medium difficulty the chat-templated prompt plus solution fits the quickstart's 64 tokens
// (tests/unit/stages/tasks-reasoning.test.ts measures it with a tokenizer trained like the quickstart's).
import { columnTasks } from './reasoning-columns.ts';
import { countLetterTask } from './reasoning-count-letter.ts';
import { countdownTask } from './reasoning-countdown.ts';
import { wordProblemTask } from './reasoning-word-problem.ts';
import type { TaskGenerator } from './types.ts';

export const reasoningTasks: TaskGenerator[] = [...columnTasks, countLetterTask, wordProblemTask, countdownTask];
