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

const executorSchema = {
  enum: ['local', 'slurm'],
  description: 'local: a process on this machine. slurm: a batch job (sbatch), its inputs and outputs moved through `remote:`.',
} as const;

export const resourcesSchema = {
  type: 'object',
  additionalProperties: false,
  description: "What a cluster job asks for (sbatch --cpus-per-task, --mem, --gres=gpu:N, --time); never part of the cache key. Ignored by the local executor.",
  properties: {
    cpus: { type: 'integer', minimum: 1, description: 'CPUs for the job (--cpus-per-task).' },
    memory: { type: 'string', pattern: '^[1-9][0-9]*[KMGT]?$', description: 'Memory per node (--mem): 16G, 512M, or megabytes.' },
    gpus: { type: 'integer', minimum: 0, description: 'GPUs (--gres=gpu:N).' },
    time: { type: 'string', pattern: '^([0-9]+-)?[0-9]+(:[0-9]{2}){0,2}$', description: 'Time limit (--time): minutes, MM:SS, HH:MM:SS or D-HH:MM:SS.' },
  },
} as const;

export const slurmSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'How stages with `executor: slurm` are submitted. Never part of a cache key.',
  properties: {
    partition: { type: 'string', minLength: 1, description: 'sbatch --partition.' },
    account: { type: 'string', minLength: 1, description: 'sbatch --account.' },
    qos: { type: 'string', minLength: 1, description: 'sbatch --qos.' },
    sbatchArgs: { type: 'array', items: { type: 'string', pattern: '^-', description: 'an sbatch flag, as written: --constraint=a100, --exclusive' }, description: 'More sbatch flags, as written: [--constraint=a100, --exclusive].' },
    command: {
      type: 'string',
      minLength: 1,
      description: "How a node starts tempa (a shell command line). Default: this machine's node and tempa, at the same paths: the node needs the same checkout there.",
    },
    storeDir: { type: 'string', minLength: 1, description: "The node's own store. Default: a folder under the job's $TMPDIR, deleted when the job ends." },
    workDir: { type: 'string', minLength: 1, default: '/tmp', description: "The job's working folder on the node (sbatch --chdir); its sbatch output file goes there." },
    maxResubmits: { type: 'integer', minimum: 0, maximum: 100, default: 3, description: 'How often a job the scheduler ended without a result (cancelled, preempted, node failure, time limit) is submitted again; it resumes from its checkpoint.' },
    pollSeconds: { type: 'number', minimum: 0.2, maximum: 600, default: 5, description: "How often the job's state and log are read." },
  },
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
    executor: { ...executorSchema, description: "Where this stage runs; overrides the recipe's `executor:` and `tempa run --executor`." },
    resources: resourcesSchema,
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
    executor: { ...executorSchema, description: 'Where stages run unless a stage says otherwise (default local); `tempa run --executor` overrides it.' },
    slurm: slurmSchema,
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
