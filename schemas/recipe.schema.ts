// The recipe envelope: what every recipe file may contain. Each stage's `with:` is validated
// separately against its plugin's own schema, and `runtime:` against the application's runtime
// schema, so this file names no plugin's parameters and no runtime option.
export const NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_-]*$';

const datasetSchema = {
  description: 'A named input: a file, a folder, a glob, an `npm:<package>/<path>` file, or a list of these.',
  oneOf: [
    { type: 'string', minLength: 1 },
    {
      type: 'object',
      additionalProperties: false,
      required: ['path'],
      properties: {
        path: {
          description: 'File, folder, glob or npm:<package>/<path>; or a list of them.',
          oneOf: [
            { type: 'string', minLength: 1 },
            { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
          ],
        },
        description: { type: 'string' },
        external: {
          type: 'boolean',
          description: "true: the files may lie outside the recipe's folder (`..`, an absolute path, a symlink out). Otherwise that is an error, so a shared recipe cannot read what it likes.",
        },
      },
    },
  ],
} as const;

const stageSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['uses'],
  properties: {
    uses: {
      type: 'string',
      minLength: 1,
      description: 'The plugin: a built-in stage name, a path to a module (./plugins/x.ts) or an npm package.',
    },
    description: { type: 'string' },
    needs: {
      type: 'array',
      items: { type: 'string', pattern: NAME_PATTERN },
      uniqueItems: true,
      description: 'Stages that must finish first (stages named in `inputs` are implied).',
    },
    inputs: {
      type: 'object',
      description: 'Input name -> a dataset name, or `<stage>.<output>`.',
      propertyNames: { pattern: NAME_PATTERN },
      additionalProperties: { type: 'string', minLength: 1 },
    },
    with: { type: 'object', description: "The plugin's parameters, checked against its own schema." },
    seed: { type: 'integer', minimum: 0, description: 'Overrides the recipe seed for this stage.' },
    cache: { type: 'boolean', default: true, description: 'false: always rerun this stage.' },
  },
} as const;

export const recipeSchema = {
  $id: 'https://tempa.dev/schemas/recipe.json',
  type: 'object',
  additionalProperties: false,
  required: ['stages'],
  properties: {
    $schema: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    extends: { type: 'string', minLength: 1, description: 'Path of a recipe this one builds on (deep merge).' },
    seed: { type: 'integer', minimum: 0, default: 0, description: 'Default seed of every stage.' },
    vars: { type: 'object', description: 'Free values for `${vars.x}` references.' },
    concurrency: { type: 'integer', minimum: 1, maximum: 1024, default: 2, description: 'How many independent stages may run at once.' },
    runtime: {
      type: 'object',
      default: {},
      description: "How stages compute, not what: never part of a cache key, recorded in the lock file. Checked by the application's runtime schema.",
    },
    remote: {
      description: 'A shared cache on the S3 API: a miss looks here before running, a success is published here. Credentials come from the standard AWS chain, never from the recipe.',
      oneOf: [
        { type: 'string', pattern: '^s3://', description: 's3://bucket/prefix' },
        {
          type: 'object',
          additionalProperties: false,
          required: ['url'],
          properties: {
            url: { type: 'string', pattern: '^s3://', description: 's3://bucket/prefix' },
            endpoint: { type: 'string', pattern: '^https?://', description: 'An S3-compatible server (MinIO, R2, GCS interop): https://host:port' },
            region: { type: 'string', minLength: 1, description: 'Default: AWS_REGION or the profile; us-east-1 with an endpoint.' },
            forcePathStyle: { type: 'boolean', description: 'Address buckets as host/bucket (MinIO); default true with an endpoint.' },
          },
        },
      ],
    },
    onError: {
      enum: ['fail', 'keep-going'],
      default: 'fail',
      description: 'keep-going: skip only the dependents of a failed stage.',
    },
    datasets: {
      type: 'object',
      default: {},
      propertyNames: { pattern: NAME_PATTERN },
      additionalProperties: datasetSchema,
    },
    stages: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: NAME_PATTERN },
      additionalProperties: stageSchema,
    },
  },
} as const;
