// The one module that imports TensorFlow.js and picks its backend, so every stage trains on the same,
// explicitly chosen backend and the reason for the choice is logged once (STYLE §7).
// Order for `auto`: tfjs-node-gpu, tfjs-node (native libtensorflow), then native (wasm kernels with
// fused kernels and matrix products in C, through tempa's addon), then wasm (npm only), then pure-JS cpu.
import { createRequire } from 'node:module';
import * as tfCore from '@tensorflow/tfjs-core';
import { errorText, PipelineError } from '../../../engine/errors.ts';
import { registerMissingGradients } from './gradients.ts';
import { loadNativeAddon, type NativeAddon } from './native/addon.ts';
import { useNativeKernels } from './native/kernels.ts';
import { registerWasmKernels } from './wasm/kernels.ts';

import type { TF } from './types.ts';
export type { TF, Tensor, Variable } from './types.ts';

export type BackendChoice = 'auto' | 'tensorflow' | 'native' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'native', 'wasm', 'cpu'];

export interface TfRuntime {
  tf: TF;
  /** The backend that runs: 'tensorflow', 'native', 'wasm' or 'cpu'. */
  backend: string;
  /** Why this backend: what was tried and what failed, for the stage log. */
  detail: string;
}

/** Native packages, tried in order; both register the 'tensorflow' backend when they load. */
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/**
 * Loads and activates a backend. Safe to call again (tests switch between cpu and wasm in one
 * process); each call returns the same `tf` namespace.
 */
export function initTf(choice: BackendChoice = 'auto'): Promise<TfRuntime> {
  // Stages running concurrently in one process share tfjs's global backend: initialise one at a
  // time, or the second setBackend() sees a half-registered backend and fails.
  const run = initQueue.then(() => initTfNow(choice));
  initQueue = run.catch(() => undefined);
  return run;
}

/** "tempa GEMM, avx512 micro-kernel 8x32 (why), 2 threads": which GEMM runs and why, and for OpenBLAS who
 * chose its kernels when the environment did. */
function gemmText(addon: NativeAddon): string {
  const { name, reason } = addon.gemmLibrary();
  const forced = process.env.OPENBLAS_CORETYPE;
  // OPENBLAS_CORETYPE=Haswell on an AVX-512 CPU cost about a third of training speed where measured; say so.
  const coretype = name.startsWith('OpenBLAS') && forced ? ` set by OPENBLAS_CORETYPE=${forced}` : '';
  return `${name}${coretype} (${reason}), ${addon.threads()} threads`;
}

let initQueue: Promise<unknown> = Promise.resolve();

/**
 * The wasm patches and the native kernels read tfjs-backend-wasm's private internals (its heap, data
 * map and exported C functions), which change without notice between releases: package.json pins this
 * exact version, and any other leaves wasm unpatched and native off, saying why.
 */
export const TFJS_VERSION = '4.22.0';

const PATCHED_PACKAGES = ['tfjs-core', 'tfjs-backend-wasm'] as const;

const installedVersion = (name: string) => (createRequire(import.meta.url)(`@tensorflow/${name}/package.json`) as { version: string }).version;

/** Undefined when the installed tfjs packages are the pinned ones; else what differs. */
export function tfjsMismatch(installed: (name: string) => string = installedVersion): string | undefined {
  const found = PATCHED_PACKAGES.map((name) => [name, installed(name)]).filter(([, v]) => v !== TFJS_VERSION);
  return found.length ? `${found.map(([name, v]) => `${name} ${v}`).join(', ')} installed, tempa's kernels need ${TFJS_VERSION}` : undefined;
}

async function initTfNow(choice: BackendChoice): Promise<TfRuntime> {
  const tried: string[] = [];
  if (choice === 'auto' || choice === 'tensorflow') {
    const native = await loadNative(tried);
    if (native) return recordFacts(await activate('tensorflow', `${native} loaded`), { isa: process.arch, blas: native.replace('@tensorflow/', '') });
    if (choice === 'tensorflow') {
      throw backendUnavailable('tensorflow', tried.join('; '), 'install @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node (they download libtensorflow), or use `backend: wasm`');
    }
  }
  const mismatch = tfjsMismatch();
  if (mismatch) tried.push(`wasm kernel fixes and native off (${mismatch}; run npm ci)`);
  if (choice === 'auto' || choice === 'native') {
    const loaded: ReturnType<typeof loadNativeAddon> = mismatch ? { error: `is off: ${mismatch}` } : loadNativeAddon();
    if ('addon' in loaded) {
      const runtime = await activate('wasm', '');
      useNativeKernels(runtime.tf, loaded.addon);
      const gemm = loaded.addon.gemmLibrary().name;
      const native = { ...runtime, backend: 'native', detail: [...tried, `using native: wasm kernels, matrix products on ${gemmText(loaded.addon)}`].join('; ') };
      return recordFacts(native, { isa: /\b(avx512|avx2|neon|sse\d?|generic)\b/.exec(gemm)?.[1] ?? process.arch, blas: gemm, threads: String(loaded.addon.threads()) });
    }
    const why = `native ${loaded.error} (needs a C compiler at npm install; then \`npm run install\` in the checkout)`;
    if (choice === 'native') throw backendUnavailable('native', loaded.error, 'install a C compiler (Debian: `apt install build-essential`), then run `npm install` again');
    tried.push(why);
  }
  if (choice === 'auto' || choice === 'wasm') {
    try {
      const runtime = await activate('wasm', '');
      const simd = await simdText();
      return recordFacts({ ...runtime, detail: `${[...tried, 'using wasm'].join('; ')} (SIMD ${simd}, 1 thread)` }, { isa: `wasm, SIMD ${simd}`, blas: 'XNNPACK', threads: '1' });
    } catch (error) {
      if (choice === 'wasm') throw backendUnavailable('wasm', errorText(error), 'reinstall @tensorflow/tfjs-backend-wasm, or use `backend: cpu`');
      tried.push(`wasm failed: ${errorText(error)}`);
    }
  }
  const cpu = await activate('cpu', choice === 'cpu' ? 'cpu requested (pure JavaScript, slow)' : `${[...tried, 'using the pure-JS cpu backend (slow)'].join('; ')}`);
  return recordFacts(cpu, { isa: 'JavaScript', blas: 'none' });
}

const facts = new Map<string, Record<string, string>>();

function recordFacts(runtime: TfRuntime, found: { isa: string; blas: string; threads?: string }): TfRuntime {
  facts.set(runtime.backend, { backend: runtime.backend, ...found, tfjs: TFJS_VERSION, node: process.versions.node });
  return runtime;
}

/**
 * What decides a backend's bytes besides the key: the backend, the CPU instruction set its kernels use,
 * the BLAS and the thread count (recorded, though results do not depend on it), and the tfjs version.
 * Stages put it in their result's `info`, so the lock records it and `tempa verify` can name a difference.
 */
export function backendInfo(backend: string): Record<string, string> {
  return facts.get(backend) ?? { backend };
}

let nativeTried: { loaded?: string; failures: string[] } | undefined;

/** Imports tfjs-node-gpu or tfjs-node once per process; returns the package that loaded. */
async function loadNative(tried: string[]): Promise<string | undefined> {
  if (!nativeTried) {
    nativeTried = { failures: [] };
    for (const name of NATIVE_PACKAGES) {
      try {
        // A variable specifier: these optional packages are absent on most machines, so the
        // type checker must not try to resolve them.
        const specifier: string = name;
        await import(specifier);
        nativeTried.loaded = name;
        break;
      } catch (error) {
        const missing = (error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND';
        nativeTried.failures.push(`${name.replace('@tensorflow/', '')} ${missing ? 'not installed' : `failed to load: ${firstLine(errorText(error))}`}`);
      }
    }
  }
  tried.push(...nativeTried.failures);
  return nativeTried.loaded;
}

let wasmPatched = false;

async function activate(backend: 'tensorflow' | 'wasm' | 'cpu', detail: string): Promise<TfRuntime> {
  if (tfCore.getBackend() !== backend || !tfCore.findBackend(backend)) {
    if (backend === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
    if (backend === 'wasm') {
      const listeners = processListeners();
      await import('@tensorflow/tfjs-backend-wasm');
      const ok = await tfCore.setBackend(backend);
      // The Emscripten glue adds process handlers that re-throw every uncaught error with its whole
      // minified source line attached; the engine reports errors itself, so remove them.
      removeNewListeners(listeners);
      if (!ok) throw new Error('tf.setBackend("wasm") returned false');
    } else if (!(await tfCore.setBackend(backend))) {
      throw backendUnavailable(backend, `tf.setBackend("${backend}") returned false`, 'try `backend: auto`');
    }
  }
  await tfCore.ready();
  // After any native import, whose bundle registers tfjs's own gradients; ours fill what is missing.
  registerMissingGradients(tfCore);
  if (backend === 'cpu') silenceCpuBanner();
  if (backend === 'wasm' && !wasmPatched && !(tfjsMismatch())) {
    registerWasmKernels(tfCore);
    wasmPatched = true;
  }
  // Plain wasm after native in one process (tests switch): put wasm's own matrix products back.
  if (backend === 'wasm') useNativeKernels(tfCore, undefined);
  return { tf: tfCore, backend, detail };
}

/**
 * tfjs-backend-cpu prints "Hi, looks like you are running TensorFlow.js in Node.js..." on its first
 * tensor write. The choice was deliberate and logged, so mark the backend as already used.
 */
function silenceCpuBanner(): void {
  const cpu = tfCore.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
}

/** Called after the wasm package is imported: it registers the flag. */
async function simdText(): Promise<string> {
  return (await tfCore.env().getAsync('WASM_HAS_SIMD_SUPPORT')) ? 'on' : 'off';
}

const GLUE_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;
type ListenerSnapshot = Map<string, Function[]>;

function processListeners(): ListenerSnapshot {
  return new Map(GLUE_EVENTS.map((event) => [event, process.listeners(event as 'uncaughtException')]));
}

function removeNewListeners(before: ListenerSnapshot): void {
  for (const event of GLUE_EVENTS) {
    for (const listener of process.listeners(event as 'uncaughtException')) {
      if (!before.get(event)?.includes(listener)) process.removeListener(event, listener);
    }
  }
}

function backendUnavailable(backend: string, reason: string, hint: string): PipelineError {
  return new PipelineError('STAGE_FAILED', `TensorFlow.js backend \`${backend}\` is unavailable: ${reason}`, { hint });
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
