// Writes a large file of pseudo-random text chunk by chunk, so a 1 GiB dataset can be made for the
// hashing benchmark without ever holding it in memory.
import { open } from 'node:fs/promises';

const CHUNK = 4 << 20;

/** 5-bit codes -> text: 26 lowercase letters, 5 spaces, 1 newline (so ~1 space in 6, ~1 newline in 32 bytes). */
const TEXT = new Uint8Array(32).map((_, r) => (r < 26 ? 97 + r : r < 31 ? 32 : 10));

/** Fills `buf` (length a multiple of 4) from a seeded xorshift32, four bytes per step; returns the next state. */
function fillText(buf: Uint8Array, seed: number): number {
  let s = seed | 0 || 1;
  for (let i = 0; i < buf.length; i += 4) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    buf[i] = TEXT[s & 31]!;
    buf[i + 1] = TEXT[(s >>> 8) & 31]!;
    buf[i + 2] = TEXT[(s >>> 16) & 31]!;
    buf[i + 3] = TEXT[(s >>> 24) & 31]!;
  }
  return s;
}

export async function writeRandomText(file: string, bytes: number, seed = 2024): Promise<void> {
  const handle = await open(file, 'w');
  const buf = new Uint8Array(CHUNK);
  let state = seed;
  try {
    for (let written = 0; written < bytes; ) {
      state = fillText(buf, state);
      const n = Math.min(CHUNK, bytes - written);
      const { bytesWritten } = await handle.write(buf, 0, n);
      written += bytesWritten;
    }
  } finally {
    await handle.close();
  }
}
