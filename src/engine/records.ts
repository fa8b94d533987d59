// Packed record layout shared with native/endpoint/io_batch.h (little endian).
import type { NetAddress } from "../net/address.js";

export const INPUT_HEADER = 24;
export const OUTPUT_HEADER = 32;
export const KIND_TRANSMIT = 1;
export const KIND_EVENT = 2;

export const pad4 = (n: number): number => (n + 3) & ~3;

/** Writes an address as family byte + port + 16 ip bytes at the given offsets. Returns false if unparsable. */
export function writeIp(u8: Uint8Array, at: number, ip: string, family: 4 | 6): boolean {
  u8.fill(0, at, at + 16);
  if (family === 4) {
    const parts = ip.split(".");
    if (parts.length !== 4) return false;
    for (let i = 0; i < 4; i++) {
      const v = Number(parts[i]);
      if (!Number.isInteger(v) || v < 0 || v > 255 || parts[i] === "") return false;
      u8[at + i] = v;
    }
    return true;
  }
  return writeIPv6(u8, at, ip);
}

function writeIPv6(u8: Uint8Array, at: number, text: string): boolean {
  let ip = text;
  const pct = ip.indexOf("%");
  if (pct >= 0) ip = ip.slice(0, pct);
  if (ip.startsWith("[") && ip.endsWith("]")) ip = ip.slice(1, -1);
  const halves = ip.split("::");
  if (halves.length > 2) return false;
  const parse = (s: string): number[] | null => {
    if (s === "") return [];
    const out: number[] = [];
    const groups = s.split(":");
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (g.includes(".") && i === groups.length - 1) {
        const b = g.split(".").map(Number);
        if (b.length !== 4 || b.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return null;
        out.push((b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !tail) return false;
  const total = head.length + tail.length;
  if (halves.length === 2 ? total > 7 : total !== 8) return false;
  const groups = new Array<number>(8).fill(0);
  head.forEach((g, i) => (groups[i] = g));
  tail.forEach((g, i) => (groups[8 - tail.length + i] = g));
  for (let i = 0; i < 8; i++) {
    u8[at + 2 * i] = groups[i]! >> 8;
    u8[at + 2 * i + 1] = groups[i]! & 0xff;
  }
  return true;
}

export function readIp(u8: Uint8Array, at: number, family: number): string {
  if (family === 4) return `${u8[at]}.${u8[at + 1]}.${u8[at + 2]}.${u8[at + 3]}`;
  if (family !== 6) return "";
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((u8[at + 2 * i]! << 8) | u8[at + 2 * i + 1]!);
  // RFC 5952: compress the longest run (>= 2) of zero groups.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return g.map((x) => x.toString(16)).join(":");
  const left = g.slice(0, best).map((x) => x.toString(16)).join(":");
  const right = g.slice(best + bestLen).map((x) => x.toString(16)).join(":");
  return `${left}::${right}`;
}

export function addressFromRecord(u8: Uint8Array, dv: DataView, rec: number): NetAddress | null {
  const family = u8[rec + 1]!;
  if (family !== 4 && family !== 6) return null;
  return { family, ip: readIp(u8, rec + 16, family), port: dv.getUint16(rec + 4, true) };
}
