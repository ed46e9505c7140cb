/**
 * Byte pieces for line-splitting tests (line-splitter.test.ts, spawn.test.ts): ASCII, multi-byte
 * UTF-8, invalid and truncated sequences, CR, NUL and newlines (twice, so lines stay short).
 */
export const BYTE_PIECES: readonly (readonly number[])[] = [
  [0x61],
  [0x62],
  [0x20],
  [0x0a],
  [0x0a],
  [0x0d],
  [0x00],
  [0xc3, 0xa9],
  [0xe2, 0x82, 0xac],
  [0xf0, 0x9f, 0x98, 0x80],
  [0xff],
  [0xc3],
  [0xe2, 0x82],
];
