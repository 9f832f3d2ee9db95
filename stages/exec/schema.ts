// Parameters of the `exec` stage: a command, its environment, and the outputs it promises.
export const execSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['command'],
  properties: {
    command: {
      description: 'A shell command line (string), or an argv list run without a shell.',
      oneOf: [
        { type: 'string', minLength: 1 },
        { type: 'array', minItems: 1, items: { type: 'string' } },
      ],
    },
    env: {
      type: 'object',
      additionalProperties: { type: 'string' },
      default: {},
      description: 'Extra environment variables (keyed: changing one reruns the stage).',
    },
    cwd: { type: 'string', default: '.', description: "Working directory, relative to the recipe's folder." },
    outputs: {
      type: 'object',
      default: {},
      description: 'Output name -> path the command writes under $TEMPA_OUT (a trailing / marks a folder).',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_-]*$' },
      additionalProperties: { type: 'string', minLength: 1 },
    },
  },
} as const;
