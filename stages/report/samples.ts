// The same prompts answered by the model after each stage, in the chat template, so the page shows the
// story of the pipeline in one table: babble, then English, then answers, then better answers.
import type { StageContext } from '../../engine/stage.ts';
import { loadModel } from '../shared/model/model-io.ts';
import { stageBackend } from '../shared/model/open-model.ts';
import type { AnswerOptions } from '../shared/model/language-model.ts';
import type { Section } from './sections.ts';

export interface SampleRow {
  section: string;
  answers: string[];
}

/** One row per section with a model, in section order; the backend used, when any model was loaded. */
export async function answerPrompts(ctx: StageContext, sections: readonly Section[], prompts: readonly string[], sampling: AnswerOptions): Promise<{ rows: SampleRow[]; backend?: string }> {
  const withModel = sections.filter((s) => s.model !== undefined);
  if (withModel.length === 0 || prompts.length === 0) return { rows: [] };
  const { tf, backend } = await stageBackend(ctx);
  const conversations = prompts.map((content) => [{ role: 'user' as const, content }]);
  const rows: SampleRow[] = [];
  for (const section of withModel) {
    ctx.signal.throwIfAborted();
    const model = await loadModel(tf, section.model!);
    try {
      rows.push({ section: section.name, answers: model.answer(conversations, sampling, ctx.seed) });
    } finally {
      model.dispose();
    }
  }
  return { rows, backend };
}
