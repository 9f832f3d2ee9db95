// tempa's `runtime:` options: how stages compute, never what, so never keyed. The engine keeps
// `runtime:` opaque; the composition root hands it this schema (stages/builtin.ts).

/** `runtime.backend` values (stages/shared/backend/tf.ts implements them); also the CLI's `--backend` choices. */
export const RUNTIME_BACKENDS = ['auto', 'tensorflow', 'native', 'wasm', 'cpu'] as const;

export const runtimeSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'How stages compute, not what: never part of a cache key, recorded in the lock file.',
  properties: {
    backend: {
      enum: RUNTIME_BACKENDS,
      default: 'auto',
      description: 'Tensor backend: auto picks tfjs-node(-gpu) when installed, else native (wasm kernels + OpenBLAS matrix products) when its addon built, else wasm, else cpu.',
    },
  },
} as const;
