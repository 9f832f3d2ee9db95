// The GPT-2 byte <-> unicode table that Hugging Face ByteLevel tokenizers use to store byte tokens as
// printable strings in tokenizer.json; our tokens are bytes, so only saving and loading go through it.

/** BYTE_TO_CHAR[b] is the character that stands for byte b. */
export const BYTE_TO_CHAR: readonly string[] = buildTable();

const CHAR_TO_BYTE = new Map<string, number>(BYTE_TO_CHAR.map((char, byte) => [char, byte]));

// Printable Latin-1 bytes stand for themselves; the other 68 are shifted to U+0100.. in byte order,
// exactly as GPT-2's bytes_to_unicode() does.
function buildTable(): string[] {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table: string[] = [];
  let shifted = 0;
  for (let b = 0; b < 256; b++) table.push(String.fromCharCode(printable(b) ? b : 256 + shifted++));
  return table;
}

export function bytesToByteLevel(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += BYTE_TO_CHAR[b];
  return out;
}

/** The bytes a ByteLevel string stands for, or undefined when it holds a character outside the table. */
export function byteLevelToBytes(text: string): Uint8Array | undefined {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const b = CHAR_TO_BYTE.get(text.charAt(i));
    if (b === undefined) return undefined;
    bytes[i] = b;
  }
  return bytes;
}
