// STUN (RFC 8489) and TURN (RFC 8656) messages as the relay server reads and
// writes them: a strict parser (every length checked, a bounded attribute
// count, nothing after FINGERPRINT) and a builder. Integrity and fingerprint
// are computed with @noble/hashes and our CRC-32 (no node: import: the same
// code serves the relay in Node and TURN on the virtual network in any runtime).
import { hmac } from "@noble/hashes/hmac";
import { sha1 } from "@noble/hashes/legacy";
import { crc32 } from "../crypto/crc.js";
import type { NetAddress } from "../net/address.js";

export const MAGIC_COOKIE = 0x2112a442;
const FINGERPRINT_XOR = 0x5354554e;
const HEADER = 20;
const MAX_ATTRIBUTES = 40;

export const Method = {
  Binding: 0x001,
  Allocate: 0x003,
  Refresh: 0x004,
  Send: 0x006,
  Data: 0x007,
  CreatePermission: 0x008,
  ChannelBind: 0x009,
} as const;

export const Class = { Request: 0, Indication: 1, Success: 2, Error: 3 } as const;
export type MessageClass = (typeof Class)[keyof typeof Class];

export const Attr = {
  MappedAddress: 0x0001,
  Username: 0x0006,
  MessageIntegrity: 0x0008,
  ErrorCode: 0x0009,
  UnknownAttributes: 0x000a,
  ChannelNumber: 0x000c,
  Lifetime: 0x000d,
  XorPeerAddress: 0x0012,
  Data: 0x0013,
  Realm: 0x0014,
  Nonce: 0x0015,
  XorRelayedAddress: 0x0016,
  RequestedAddressFamily: 0x0017,
  EvenPort: 0x0018,
  RequestedTransport: 0x0019,
  DontFragment: 0x001a,
  MessageIntegritySha256: 0x001c,
  XorMappedAddress: 0x0020,
  ReservationToken: 0x0022,
  Software: 0x8022,
  Fingerprint: 0x8028,
} as const;

/** Comprehension-required attributes (type < 0x8000) the relay understands (RFC 8489 §14, RFC 8656 §18). */
const KNOWN_REQUIRED = new Set<number>([
  Attr.Username, Attr.MessageIntegrity, Attr.ErrorCode, Attr.ChannelNumber, Attr.Lifetime, Attr.XorPeerAddress,
  Attr.Data, Attr.Realm, Attr.Nonce, Attr.RequestedAddressFamily, Attr.RequestedTransport, Attr.XorMappedAddress,
  Attr.MessageIntegritySha256,
]);

export interface StunAttribute {
  type: number;
  /** Offset of the value from the start of the message. */
  offset: number;
  length: number;
}

export interface StunMessage {
  method: number;
  cls: MessageClass;
  transactionId: Uint8Array;
  bytes: Uint8Array;
  attributes: StunAttribute[];
}

export type ParseResult = { ok: true; message: StunMessage } | { ok: false; reason: string };

/** RFC 7983 demultiplexing: STUN starts with 0b00, ChannelData with 0b01. */
export const looksLikeChannelData = (b: Uint8Array): boolean => b.length >= 1 && (b[0]! & 0xc0) === 0x40;

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Parses one message that fills `bytes` exactly. */
export function parseStun(bytes: Uint8Array): ParseResult {
  if (bytes.length < HEADER) return { ok: false, reason: "shorter than a STUN header" };
  const v = view(bytes);
  const type = v.getUint16(0);
  if (type & 0xc000) return { ok: false, reason: "the first two bits of a STUN message must be zero" };
  const length = v.getUint16(2);
  if (length % 4 !== 0) return { ok: false, reason: "STUN length is not a multiple of 4" };
  if (HEADER + length !== bytes.length) return { ok: false, reason: "STUN length does not match the frame" };
  if (v.getUint32(4) !== MAGIC_COOKIE) return { ok: false, reason: "no STUN magic cookie" };
  const attributes: StunAttribute[] = [];
  let off = HEADER;
  let sawIntegrity = false;
  let sawFingerprint = false;
  while (off < bytes.length) {
    if (bytes.length - off < 4) return { ok: false, reason: "truncated attribute header" };
    const at = v.getUint16(off);
    const alen = v.getUint16(off + 2);
    const padded = (alen + 3) & ~3;
    if (off + 4 + padded > bytes.length) return { ok: false, reason: `attribute 0x${at.toString(16)} overruns the message` };
    if (sawFingerprint) return { ok: false, reason: "attribute after FINGERPRINT" };
    if (sawIntegrity && at !== Attr.Fingerprint && at !== Attr.MessageIntegritySha256) {
      // RFC 8489 §14.5: attributes after MESSAGE-INTEGRITY are ignored; we refuse them instead of guessing.
      return { ok: false, reason: "attribute after MESSAGE-INTEGRITY" };
    }
    if (attributes.length >= MAX_ATTRIBUTES) return { ok: false, reason: "too many attributes" };
    attributes.push({ type: at, offset: off + 4, length: alen });
    if (at === Attr.MessageIntegrity) sawIntegrity = true;
    if (at === Attr.Fingerprint) sawFingerprint = true;
    off += 4 + padded;
  }
  return {
    ok: true,
    message: { method: (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2), cls: (((type >> 4) & 1) | ((type >> 7) & 2)) as MessageClass,
      transactionId: new Uint8Array(bytes.subarray(8, 20)), bytes, attributes },
  };
}

export const findAttr = (m: StunMessage, type: number): StunAttribute | undefined => m.attributes.find((a) => a.type === type);
export const attrValue = (m: StunMessage, a: StunAttribute): Uint8Array => m.bytes.subarray(a.offset, a.offset + a.length);

export function getString(m: StunMessage, type: number, max = 763): string | null {
  const a = findAttr(m, type);
  if (!a || a.length > max) return null;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(attrValue(m, a));
  } catch {
    return null;
  }
}

export function getU32(m: StunMessage, type: number): number | null {
  const a = findAttr(m, type);
  if (!a || a.length !== 4) return null;
  return view(m.bytes).getUint32(a.offset);
}

/** Comprehension-required attributes we do not understand (answered with 420). */
export const unknownRequired = (m: StunMessage): number[] =>
  [...new Set(m.attributes.filter((a) => a.type < 0x8000 && !KNOWN_REQUIRED.has(a.type)).map((a) => a.type))];

function xorAddress(m: StunMessage, a: StunAttribute): NetAddress | null {
  const d = view(m.bytes);
  if (a.length < 4) return null;
  const family = d.getUint8(a.offset + 1);
  const port = d.getUint16(a.offset + 2) ^ (MAGIC_COOKIE >>> 16);
  if (family === 1 && a.length === 8) {
    const x = (d.getUint32(a.offset + 4) ^ MAGIC_COOKIE) >>> 0;
    return { family: 4, ip: `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`, port };
  }
  if (family === 2 && a.length === 20) {
    const key = new Uint8Array(16);
    view(key).setUint32(0, MAGIC_COOKIE);
    key.set(m.transactionId, 4);
    const parts: string[] = [];
    for (let i = 0; i < 16; i += 2) {
      const hi = m.bytes[a.offset + 4 + i]! ^ key[i]!;
      const lo = m.bytes[a.offset + 5 + i]! ^ key[i + 1]!;
      parts.push(((hi << 8) | lo).toString(16));
    }
    return { family: 6, ip: compressIpv6(parts), port };
  }
  return null;
}

/** Every XOR-PEER-ADDRESS (CreatePermission may carry several); null when one is malformed. */
export function getXorAddresses(m: StunMessage, type: number): NetAddress[] | null {
  const out: NetAddress[] = [];
  for (const a of m.attributes) {
    if (a.type !== type) continue;
    const addr = xorAddress(m, a);
    if (!addr) return null;
    out.push(addr);
  }
  return out;
}

function compressIpv6(parts: string[]): string {
  // The longest run of zero groups becomes "::" (RFC 5952).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (parts[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && parts[j] === "0") j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return parts.join(":");
  return `${parts.slice(0, best).join(":")}::${parts.slice(best + bestLen).join(":")}`;
}

/**
 * Checks MESSAGE-INTEGRITY (HMAC-SHA1, §14.5): over the message up to the
 * attribute, with the header length covering it. SHA256 integrity is not
 * offered by the relay, so a message carrying only that fails.
 */
export function checkIntegrity(m: StunMessage, key: Uint8Array): boolean {
  const a = findAttr(m, Attr.MessageIntegrity);
  if (!a || a.length !== 20) return false;
  const start = a.offset - 4;
  // A copy: on a Buffer (what ws hands over) slice() is a view, and the length
  // rewrite below would change the client's frame.
  const prefix = new Uint8Array(m.bytes.subarray(0, start));
  view(prefix).setUint16(2, start + 24 - HEADER);
  const mac = hmac(sha1, key, prefix);
  return constantTimeEqual(mac, attrValue(m, a));
}

/** Builds one message; attributes in the order added, integrity and fingerprint last. */
export class StunBuilder {
  private readonly parts: Uint8Array[] = [];
  private size = HEADER;

  constructor(private readonly method: number, private readonly cls: MessageClass, private readonly transactionId: Uint8Array) {}

  add(type: number, value: Uint8Array): this {
    const padded = (value.length + 3) & ~3;
    const a = new Uint8Array(4 + padded);
    view(a).setUint16(0, type);
    view(a).setUint16(2, value.length);
    a.set(value, 4);
    this.parts.push(a);
    this.size += a.length;
    return this;
  }

  addU32(type: number, v: number): this {
    const b = new Uint8Array(4);
    view(b).setUint32(0, v >>> 0);
    return this.add(type, b);
  }

  addString(type: number, s: string): this {
    return this.add(type, new TextEncoder().encode(s));
  }

  addError(code: number, reason: string): this {
    const r = new TextEncoder().encode(reason);
    const b = new Uint8Array(4 + r.length);
    b[2] = Math.floor(code / 100);
    b[3] = code % 100;
    b.set(r, 4);
    return this.add(Attr.ErrorCode, b);
  }

  addXorAddress(type: number, a: NetAddress): this {
    if (a.family === 4) {
      const b = new Uint8Array(8);
      const d = view(b);
      d.setUint8(1, 1);
      d.setUint16(2, a.port ^ (MAGIC_COOKIE >>> 16));
      const n = a.ip.split(".").reduce((acc, p) => ((acc << 8) | Number(p)) >>> 0, 0);
      d.setUint32(4, (n ^ MAGIC_COOKIE) >>> 0);
      return this.add(type, b);
    }
    const b = new Uint8Array(20);
    const d = view(b);
    d.setUint8(1, 2);
    d.setUint16(2, a.port ^ (MAGIC_COOKIE >>> 16));
    const key = new Uint8Array(16);
    view(key).setUint32(0, MAGIC_COOKIE);
    key.set(this.transactionId, 4);
    const raw = ipv6Bytes(a.ip);
    for (let i = 0; i < 16; i++) b[4 + i] = raw[i]! ^ key[i]!;
    return this.add(type, b);
  }

  private header(length: number): Uint8Array {
    const h = new Uint8Array(HEADER);
    const d = view(h);
    const m = this.method;
    const c = this.cls;
    d.setUint16(0, (m & 0x000f) | ((m & 0x0070) << 1) | ((m & 0x0f80) << 2) | ((c & 1) << 4) | ((c & 2) << 7));
    d.setUint16(2, length);
    d.setUint32(4, MAGIC_COOKIE);
    h.set(this.transactionId, 8);
    return h;
  }

  private concat(extra = 0): Uint8Array {
    const out = new Uint8Array(this.size + extra);
    out.set(this.header(this.size + extra - HEADER), 0);
    let off = HEADER;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }

  /** Finishes with MESSAGE-INTEGRITY (when a key is given) and FINGERPRINT. */
  build(key?: Uint8Array): Uint8Array {
    if (key) {
      const prefix = this.concat(24).subarray(0, this.size);
      const mac = hmac(sha1, key, prefix);
      this.add(Attr.MessageIntegrity, mac);
    }
    const before = this.concat(8).subarray(0, this.size);
    const crc = (crc32(before) ^ FINGERPRINT_XOR) >>> 0;
    this.addU32(Attr.Fingerprint, crc);
    return this.concat();
  }
}

function ipv6Bytes(ip: string): Uint8Array {
  const out = new Uint8Array(16);
  const [head, tail] = ip.includes("::") ? ip.split("::") as [string, string] : [ip, ""];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = [...h, ...new Array(8 - h.length - t.length).fill("0"), ...t];
  groups.forEach((g, i) => {
    const n = parseInt(g, 16) || 0;
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 255;
  });
  return out;
}

/** ChannelData (RFC 8656 §12.4): channel number, length, data; padding tolerated. */
export function parseChannelData(b: Uint8Array): { channel: number; data: Uint8Array } | null {
  if (b.length < 4) return null;
  const d = view(b);
  const channel = d.getUint16(0);
  const length = d.getUint16(2);
  if (length > b.length - 4 || b.length - 4 - length > 3) return null;
  return { channel, data: b.subarray(4, 4 + length) };
}

export function buildChannelData(channel: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + data.length);
  const d = view(out);
  d.setUint16(0, channel);
  d.setUint16(2, data.length);
  out.set(data, 4);
  return out;
}

/** Compares without an early exit, so the time does not tell how many bytes matched. */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
