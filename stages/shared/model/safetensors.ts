// Reads and writes the safetensors format (8-byte little-endian header length, a JSON header of
// name -> {dtype, shape, data_offsets}, then raw little-endian bytes), so a tempa model folder
// opens in other tools. No well-kept npm package exists for it; the format is small and fixed.
import { open, readFile } from 'node:fs/promises';

export type SafeDType = 'F32' | 'I32' | 'F16' | 'BF16' | 'I64' | 'U8';

export interface NamedTensor {
  dtype: 'F32' | 'I32';
  shape: number[];
  data: Float32Array | Int32Array;
}

interface HeaderEntry {
  dtype: SafeDType;
  shape: number[];
  data_offsets: [number, number];
}

const BYTES: Record<SafeDType, number> = { F32: 4, I32: 4, F16: 2, BF16: 2, I64: 8, U8: 1 };

export class SafetensorsError extends Error {}

/** Writes tensors in name order (deterministic bytes for the same weights). */
export async function writeSafetensors(file: string, tensors: Record<string, NamedTensor>, metadata: Record<string, string> = {}): Promise<void> {
  const names = Object.keys(tensors).sort();
  const header: Record<string, HeaderEntry | Record<string, string>> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    const expected = t.shape.reduce((a, b) => a * b, 1);
    if (expected !== t.data.length) throw new SafetensorsError(`tensor ${name}: shape [${t.shape}] needs ${expected} values, has ${t.data.length}`);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // keeps the data 8-byte aligned
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length));
  const handle = await open(file, 'w');
  try {
    await handle.write(prefix);
    await handle.write(headerBytes);
    for (const name of names) {
      const { data } = tensors[name]!;
      await handle.write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
  } finally {
    await handle.close();
  }
}

export interface SafetensorsFile {
  tensors: Record<string, NamedTensor>;
  metadata: Record<string, string>;
}

export async function readSafetensors(file: string): Promise<SafetensorsFile> {
  const bytes = await readFile(file);
  if (bytes.length < 8) throw new SafetensorsError(`${file} is too short to be a safetensors file`);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  if (headerLength > bytes.length - 8) throw new SafetensorsError(`${file}: header length ${headerLength} runs past the end of the file`);
  let header: Record<string, HeaderEntry | Record<string, string>>;
  try {
    header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as typeof header;
  } catch (error) {
    throw new SafetensorsError(`${file}: header is not valid JSON (${(error as Error).message})`);
  }
  const base = 8 + headerLength;
  const tensors: Record<string, NamedTensor> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: [start, end] } = entry as HeaderEntry;
    if (dtype !== 'F32' && dtype !== 'I32') throw new SafetensorsError(`${file}: tensor ${name} has dtype ${dtype}; tempa reads F32 and I32`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - start !== count * BYTES[dtype] || base + end > bytes.length) throw new SafetensorsError(`${file}: tensor ${name} has inconsistent offsets`);
    // Copy out of the file buffer: the typed array must own aligned memory.
    const raw = bytes.subarray(base + start, base + end);
    const data = dtype === 'F32' ? new Float32Array(count) : new Int32Array(count);
    new Uint8Array(data.buffer).set(raw);
    tensors[name] = { dtype, shape, data };
  }
  return { tensors, metadata: (header.__metadata__ as Record<string, string> | undefined) ?? {} };
}
