// The TensorFlow.js types that model and kernel code receive. Apart from tf.ts so the kernels tf.ts
// registers can name them without importing the module that imports them (no cycle).
import type * as tfCore from '@tensorflow/tfjs-core';

/** The TensorFlow.js namespace that model code receives; only tf.ts imports tfjs itself. */
export type TF = typeof tfCore;
export type Tensor = tfCore.Tensor;
export type Variable = tfCore.Variable;
