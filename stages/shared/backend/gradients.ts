// Gradients for the kernels our models differentiate through. tfjs-core's Node entry (tf-core.node.js)
// ships no gradient registrations: the union package @tensorflow/tfjs adds them from ESM files that
// plain Node cannot import (extensionless specifiers). These follow tfjs-core/src/gradients/*.ts;
// tf.ts registers each only when none is registered (tfjs-node's bundle brings its own).
// Reductions use broadcastTo rather than tfjs's `mul(dy, ones(shape))`, which builds `ones` in JS, and
// no gradient casts a float32 tensor to float32 (tfjs does, and each such cast is a copy).
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';
import type { TF } from './types.ts';

type Grads = Record<string, () => Tensor>;
type GradFunc = (dy: Tensor, saved: Tensor[], attrs: NamedAttrMap) => Grads;

export function registerMissingGradients(tf: TF): string[] {
  /** Sums a broadcast gradient back down to `shape`. */
  const unbroadcast = (g: Tensor, shape: number[]): Tensor => {
    const axes = tf.broadcast_util.getReductionAxes(shape, g.shape);
    return tf.reshape(axes.length > 0 ? tf.sum(g, axes) : g, shape);
  };
  const f32 = (t: Tensor) => (t.dtype === 'float32' ? t : tf.cast(t, 'float32')); // a same-dtype cast would copy
  /** Spreads a reduced gradient dy over the reduced axes of an input of `shape`. */
  const expand = (dy: Tensor, shape: number[], axisAttr: unknown): Tensor => {
    const axes = tf.util.parseAxisParam(axisAttr as number | number[], shape);
    const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
    return tf.broadcastTo(tf.reshape(dy, kept), shape);
  };
  const minMax = (dy: Tensor, [x, y]: Tensor[], axisAttr: unknown): Tensor => {
    const xs = x!;
    const axes = tf.util.parseAxisParam(axisAttr as number | number[], xs.shape);
    const kept = xs.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    return tf.mul(tf.reshape(dy, kept), f32(tf.equal(xs, tf.reshape(y!, kept))));
  };
  const binary = (fa: (dy: Tensor, a: Tensor, b: Tensor) => Tensor, fb: (dy: Tensor, a: Tensor, b: Tensor) => Tensor): GradFunc => (dy, [a, b]) => ({
    a: () => unbroadcast(fa(dy, a!, b!), a!.shape),
    b: () => unbroadcast(fb(dy, a!, b!), b!.shape),
  });

  const configs: Array<[string, GradFunc, Pick<GradConfig, 'inputsToSave' | 'outputsToSave' | 'saveAllInputs'>]> = [
    ['Abs', (dy, [x]) => ({ x: () => tf.mul(dy, tf.step(f32(x!), -1)) }), { inputsToSave: ['x'] }],
    ['Add', binary((dy) => dy, (dy) => dy), { inputsToSave: ['a', 'b'] }],
    ['AddN', (dy, saved) => Object.fromEntries(saved.map((_, i) => [i, () => tf.clone(dy)])), { saveAllInputs: true }],
    ['BatchMatMul', (dy, [a, b], attrs) => matMulGrads(tf, dy, a!, b!, attrs.transposeA as boolean, attrs.transposeB as boolean), { inputsToSave: ['a', 'b'] }],
    ['Cast', (dy) => ({ x: () => tf.clone(dy) }), {}],
    [
      'ClipByValue',
      (dy, [x], attrs) => ({
        x: () => tf.where(tf.logicalAnd(tf.greaterEqual(x!, attrs.clipValueMin as number), tf.lessEqual(x!, attrs.clipValueMax as number)), dy, tf.zerosLike(dy)),
      }),
      { inputsToSave: ['x'] },
    ],
    [
      'Concat',
      (dy, saved, attrs) => {
        const axis = tf.util.parseAxisParam(attrs.axis as number, saved[0]!.shape)[0]!;
        const parts = tf.split(dy, saved.map((t) => t.shape[axis]!), axis);
        return Object.fromEntries(parts.map((t, i) => [i, () => t]));
      },
      { saveAllInputs: true },
    ],
    ['Exp', (dy, [y]) => ({ x: () => tf.mul(dy, y!) }), { outputsToSave: [true] }],
    ['ExpandDims', (dy, [x]) => ({ input: () => tf.reshape(dy, x!.shape) }), { inputsToSave: ['input'] }],
    [
      'GatherV2',
      (dy, [x, indices], attrs) => {
        if ((attrs.batchDims as number) !== 0) throw new Error('gather gradient: batchDims != 0 is not supported');
        const axis = tf.util.parseAxisParam(attrs.axis as number, x!.shape)[0]!;
        const shape = x!.shape;
        return {
          x: () => {
            // Move the gathered axis first, sum rows into their source index, move it back.
            const values = tf.reshape(dy, [...shape.slice(0, axis), indices!.size, ...shape.slice(axis + 1)]);
            const perm = [axis, ...shape.map((_, i) => i).filter((i) => i !== axis)];
            const summed = tf.unsortedSegmentSum(tf.transpose(values, perm), tf.reshape(indices!, [indices!.size]) as never, shape[axis]!);
            return tf.transpose(summed, perm.map((_, i) => perm.indexOf(i)));
          },
          indices: () => indices!,
        };
      },
      { inputsToSave: ['x', 'indices'] },
    ],
    ['Identity', (dy) => ({ x: () => f32(dy) }), {}],
    ['Log', (dy, [x]) => ({ x: () => tf.div(dy, f32(x!)) }), { inputsToSave: ['x'] }],
    [
      'LogSoftmax',
      (dy, [y], attrs) => ({ logits: () => tf.sub(dy, tf.mul(tf.sum(dy, attrs.axis as number, true), tf.exp(y!))) }),
      { outputsToSave: [true] },
    ],
    ['Max', (dy, saved, attrs) => ({ x: () => minMax(dy, saved, attrs.reductionIndices) }), { inputsToSave: ['x'], outputsToSave: [true] }],
    ['Min', (dy, saved, attrs) => ({ x: () => minMax(dy, saved, attrs.axis) }), { inputsToSave: ['x'], outputsToSave: [true] }],
    ['Maximum', binary((dy, a, b) => tf.mul(dy, f32(tf.greaterEqual(a, b))), (dy, a, b) => tf.mul(dy, f32(tf.less(a, b)))), { inputsToSave: ['a', 'b'] }],
    ['Minimum', binary((dy, a, b) => tf.mul(dy, f32(tf.lessEqual(a, b))), (dy, a, b) => tf.mul(dy, f32(tf.greater(a, b)))), { inputsToSave: ['a', 'b'] }],
    [
      'Mean',
      (dy, [x], attrs) => {
        const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x!.shape);
        const count = axes.reduce((n, a) => n * x!.shape[a]!, 1);
        return { x: () => expand(tf.div(dy, count), x!.shape, attrs.axis) };
      },
      { inputsToSave: ['x'] },
    ],
    ['Multiply', binary((dy, _a, b) => tf.mul(dy, f32(b)), (dy, a) => tf.mul(dy, f32(a))), { inputsToSave: ['a', 'b'] }],
    ['Neg', (dy) => ({ x: () => tf.neg(dy) }), {}],
    ['Pack', (dy, saved, attrs) => Object.fromEntries(tf.unstack(dy, attrs.axis as number).map((t, i) => [i, () => t])), { saveAllInputs: true }],
    [
      'PadV2',
      (dy, [x], attrs) => {
        const paddings = attrs.paddings as Array<[number, number]>;
        return { x: () => tf.slice(dy, paddings.map((p) => p[0]), x!.shape) };
      },
      { inputsToSave: ['x'] },
    ],
    ['RealDiv', binary((dy, _a, b) => tf.div(dy, f32(b)), (dy, a, b) => tf.neg(tf.div(tf.mul(dy, f32(a)), f32(tf.square(b))))), { inputsToSave: ['a', 'b'] }],
    ['Relu', (dy, [x]) => ({ x: () => tf.mul(dy, f32(tf.step(x!))) }), { inputsToSave: ['x'] }],
    ['Reshape', (dy, [x]) => ({ x: () => tf.reshape(dy, x!.shape) }), { inputsToSave: ['x'] }],
    ['Rsqrt', (dy, [x]) => ({ x: () => tf.neg(tf.div(dy, tf.mul(tf.pow(x!, 1.5), 2))) }), { inputsToSave: ['x'] }],
    [
      'Select',
      (dy, [condition]) => ({
        condition: () => f32(tf.zerosLike(condition!)),
        t: () => tf.mul(dy, tf.cast(condition!, dy.dtype)),
        e: () => tf.mul(dy, tf.cast(tf.logicalNot(condition!), dy.dtype)),
      }),
      { inputsToSave: ['condition'] },
    ],
    ['Sigmoid', (dy, [y]) => ({ x: () => tf.mul(dy, tf.mul(y!, tf.sub(1, y!))) }), { outputsToSave: [true] }],
    [
      'Slice',
      (dy, [x], attrs) => {
        const [begin, size] = tf.slice_util.parseSliceParams(x!, attrs.begin as number[], attrs.size as number[]) as [number[], number[]];
        return { x: () => tf.pad(dy, x!.shape.map((d, i) => [begin[i]!, d - begin[i]! - size[i]!] as [number, number])) };
      },
      { inputsToSave: ['x'] },
    ],
    [
      'Softmax',
      (dy, [y], attrs) => {
        const dyTimesY = tf.mul(dy, y!);
        return { logits: () => tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [attrs.dim as number], true), y!)) };
      },
      { outputsToSave: [true] },
    ],
    ['Softplus', (dy, [x]) => ({ x: () => tf.mul(dy, tf.sigmoid(x!)) }), { inputsToSave: ['x'] }],
    ['SplitV', (dy, _saved, attrs) => ({ x: () => tf.concat(dy as unknown as Tensor[], attrs.axis as number) }), {}],
    ['Sqrt', (dy, [x]) => ({ x: () => tf.div(dy, tf.mul(tf.sqrt(f32(x!)), 2)) }), { inputsToSave: ['x'] }],
    ['Square', (dy, [x]) => ({ x: () => tf.mul(dy, tf.mul(f32(x!), 2)) }), { inputsToSave: ['x'] }],
    ['SquaredDifference', (dy, [a, b]) => ({ a: () => tf.mul(dy, tf.mul(tf.sub(a!, b!), 2)), b: () => tf.mul(dy, tf.mul(tf.sub(b!, a!), 2)) }), { inputsToSave: ['a', 'b'] }],
    ['Sub', binary((dy) => dy, (dy) => tf.neg(dy)), { inputsToSave: ['a', 'b'] }],
    ['Sum', (dy, [x], attrs) => ({ x: () => expand(dy, x!.shape, attrs.axis) }), { inputsToSave: ['x'] }],
    ['Tanh', (dy, [y]) => ({ x: () => tf.mul(tf.sub(1, tf.square(y!)), dy) }), { outputsToSave: [true] }],
    [
      'Transpose',
      (dy, _saved, attrs) => {
        const perm = attrs.perm as number[];
        return { x: () => tf.transpose(dy, perm.map((_, i) => perm.indexOf(i))) };
      },
      {},
    ],
    ['Unpack', (dy, _saved, attrs) => ({ value: () => tf.stack(dy as unknown as Tensor[], attrs.axis as number) }), {}],
  ];

  const added: string[] = [];
  for (const [kernelName, gradFunc, save] of configs) {
    if (tf.getGradient(kernelName)) continue;
    tf.registerGradient({ kernelName, ...save, gradFunc: gradFunc as unknown as GradConfig['gradFunc'] });
    added.push(kernelName);
  }
  return added;
}

function matMulGrads(tf: TF, dy: Tensor, a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): Grads {
  if (!transposeA && !transposeB) return { a: () => tf.matMul(dy, b, false, true), b: () => tf.matMul(a, dy, true, false) };
  if (!transposeA && transposeB) return { a: () => tf.matMul(dy, b, false, false), b: () => tf.matMul(dy, a, true, false) };
  if (transposeA && !transposeB) return { a: () => tf.matMul(b, dy, false, true), b: () => tf.matMul(a, dy, false, false) };
  return { a: () => tf.matMul(b, dy, true, true), b: () => tf.matMul(dy, a, true, true) };
}
