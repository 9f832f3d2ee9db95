// The executor settings a recipe carries (`executor:`, `slurm:`, a stage's `resources:`), typed from
// the recipe schema. Apart from the checks (executor-settings.ts) so that resolve.ts can import its types;
// loaded only when a stage is submitted.
import type { FromSchema } from 'json-schema-to-ts';
import { resourcesSchema, slurmSchema } from '../../schemas/recipe.schema.ts';

export type ExecutorName = 'local' | 'slurm';
export type StageResources = FromSchema<typeof resourcesSchema>;
export type DeclaredSlurm = FromSchema<typeof slurmSchema>;
const defaulted = ['workDir', 'maxResubmits', 'pollSeconds'] as const;
export type SlurmSettings = DeclaredSlurm & Required<Pick<DeclaredSlurm, (typeof defaulted)[number]>>;

/** The recipe's `slurm:` with the schema's defaults, also when it wrote none (Ajv fills them only inside a mapping it has). */
export function slurmSettings(declared: unknown): SlurmSettings {
  const settings = { ...(declared && typeof declared === 'object' ? declared : {}) } as Record<string, unknown>;
  for (const name of defaulted) settings[name] ??= slurmSchema.properties[name].default;
  return settings as SlurmSettings;
}
