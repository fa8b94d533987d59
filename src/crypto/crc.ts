// Table-driven CRC-32 (ISO-HDLC) and CRC-32C (Castagnoli): checksums, not cryptography.
function table(poly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (poly ^ (c >>> 1)) >>> 0 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
}
const T32 = table(0xedb88320);
const T32C = table(0x82f63b78);

function run(t: Uint32Array, d: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < d.length; i++) c = t[(c ^ d[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export const crc32 = (d: Uint8Array): number => run(T32, d);
export const crc32c = (d: Uint8Array): number => run(T32C, d);
