// What every native kernel needs from the wasm backend: where a tensor lives on the heap.
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelArgs, WasmBackend } from '../wasm/kernels.ts';

export type Kernel = (args: KernelArgs) => TensorInfo | TensorInfo[];

/** The tensor's byte offset on the wasm heap. Read it after the call's last makeOutput: growing the
 * heap moves nothing but replaces HEAPU8, so take `backend.wasm.HEAPU8` after that too. */
export function heapOffset(backend: WasmBackend, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset;
}
