// Checks a training loss of a saved model two independent ways: its loss and every gradient on the pure-JS
// composite path equal those on the fused kernels (native, else wasm), and its analytic gradient matches
// central finite differences at the largest coordinates of a few parameters.
import assert from 'node:assert/strict';
import { loadNativeAddon } from '../../stages/shared/backend/native/addon.ts';
import { initTf, type TF } from '../../stages/shared/backend/tf.ts';
import type { Tensor, Variable } from '../../stages/shared/backend/types.ts';
import type { LanguageModel } from '../../stages/shared/model/language-model.ts';
import { loadModel } from '../../stages/shared/model/model-io.ts';

const native = loadNativeAddon();
/** The backend with fused kernels this machine can run. */
export const FUSED = 'addon' in native ? 'native' : 'wasm';

export type LossOf = (tf: TF, model: LanguageModel) => Tensor;

/** Every gradient of `loss` on cpu (composite ops) and on the fused backend, by parameter name. */
async function gradsOn(modelDir: string, backend: 'cpu' | 'native' | 'wasm', loss: LossOf) {
  const { tf } = await initTf(backend);
  const model = await loadModel(tf, modelDir);
  const params = model.parameters();
  const names = Object.keys(params);
  const { value, grads } = tf.variableGrads(() => loss(tf, model) as never, names.map((n) => params[n]!));
  const out = { loss: value.dataSync()[0]!, grads: Object.fromEntries(names.map((n) => [n, Float32Array.from(grads[params[n]!.name]!.dataSync())])) };
  tf.dispose([value, ...Object.values(grads)]);
  return { ...out, model, params };
}

/** Central finite differences of `loss` at a few coordinates of a few parameters, against the analytic gradient (cpu). */
export async function checkFiniteDifferences(modelDir: string, loss: LossOf) {
  const { grads, model, params } = await gradsOn(modelDir, 'cpu', loss);
  const { tf } = model;
  const h = 1e-2;
  for (const name of ['wte.weight', 'h.0.attn.c_attn.weight', 'h.0.mlp.c_fc.weight', 'ln_f.weight']) {
    const p = params[name] as Variable;
    const base = Float32Array.from(p.dataSync());
    const worst = [...grads[name]!.keys()].sort((a, b) => Math.abs(grads[name]![b]!) - Math.abs(grads[name]![a]!)).slice(0, 3);
    for (const i of worst) {
      const at = (delta: number) => {
        const moved = Float32Array.from(base);
        moved[i] = moved[i]! + delta;
        p.assign(tf.tensor(moved, p.shape));
        return tf.tidy(() => loss(tf, model).dataSync()[0]!);
      };
      const numeric = (at(h) - at(-h)) / (2 * h);
      p.assign(tf.tensor(base, p.shape));
      const analytic = grads[name]![i]!;
      assert.ok(Math.abs(numeric - analytic) <= 0.03 * Math.abs(analytic) + 2e-4, `${name}[${i}]: finite difference ${numeric}, gradient ${analytic}`);
    }
  }
  model.dispose();
}

export async function assertSameOnBothPaths(modelDir: string, loss: LossOf) {
  const cpu = await gradsOn(modelDir, 'cpu', loss);
  const fused = await gradsOn(modelDir, FUSED, loss);
  assert.ok(Math.abs(cpu.loss - fused.loss) <= 1e-4 * Math.max(1, Math.abs(cpu.loss)), `loss ${cpu.loss} vs ${fused.loss}`);
  for (const [name, g] of Object.entries(cpu.grads)) {
    const f = fused.grads[name]!;
    let num = 0;
    let den = 0;
    g.forEach((v, i) => ((num += (v - f[i]!) ** 2), (den += v * v)));
    assert.ok(Math.sqrt(num / Math.max(den, 1e-30)) < 1e-3, `${name}: relative error ${Math.sqrt(num / Math.max(den, 1e-30))}`);
  }
  cpu.model.dispose();
  fused.model.dispose();
  await initTf('cpu');
}
