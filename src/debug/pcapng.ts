// A packet capture of the engine's datagrams in pcapng (the format Wireshark
// and tshark read): one interface of raw IP packets, each datagram wrapped in
// IPv4/IPv6 and UDP headers built from its addresses, with its direction
// (epb_flags) and its time. Portable: it produces bytes; a sink stores them.
import type { NetAddress } from "../net/address.js";

export type Direction = "in" | "out";

/** What the engine's pump calls for every datagram (EndpointOptions.capture, wasmrtc.capture). */
export interface DatagramCapture {
  datagram(direction: Direction, local: NetAddress, remote: NetAddress, data: Uint8Array, timeMs: number): void;
}

const LINKTYPE_RAW = 101;  // raw IPv4/IPv6, version from the first nibble
const pad4 = (n: number) => (n + 3) & ~3;

function block(type: number, body: Uint8Array): Uint8Array {
  const total = 12 + pad4(body.length);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, total, true);
  out.set(body, 8);
  v.setUint32(total - 4, total, true);
  return out;
}

function option(code: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + pad4(value.length));
  const v = new DataView(out.buffer);
  v.setUint16(0, code, true);
  v.setUint16(2, value.length, true);
  out.set(value, 4);
  return out;
}

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/** Section header and one raw-IP interface: the start of every capture. */
export function pcapngHeader(interfaceName = "wasmrtc"): Uint8Array {
  const shb = new Uint8Array(16);
  const s = new DataView(shb.buffer);
  s.setUint32(0, 0x1a2b3c4d, true);  // byte-order magic
  s.setUint16(4, 1, true);
  s.setUint16(6, 0, true);
  s.setBigInt64(8, -1n, true);  // section length unknown
  const idbFixed = new Uint8Array(8);
  const i = new DataView(idbFixed.buffer);
  i.setUint16(0, LINKTYPE_RAW, true);
  i.setUint32(4, 0, true);  // no snap length limit
  const name = option(2, new TextEncoder().encode(interfaceName));
  const tsresol = option(9, Uint8Array.of(6));  // microseconds
  return concat([block(0x0a0d0d0a, concat([shb, new Uint8Array(4)])), block(1, concat([idbFixed, name, tsresol, new Uint8Array(4)]))]);
}

function ipBytes(a: NetAddress): Uint8Array {
  if (a.family === 4) return Uint8Array.from(a.ip.split(".").map(Number));
  const out = new Uint8Array(16);
  const [head, tail] = a.ip.includes("::") ? (a.ip.split("::") as [string, string]) : [a.ip, ""];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  [...h, ...new Array(8 - h.length - t.length).fill("0"), ...t].forEach((g, k) => {
    const n = parseInt(g, 16) || 0;
    out[k * 2] = n >> 8;
    out[k * 2 + 1] = n & 255;
  });
  return out;
}

/** The datagram as an IP packet from `src` to `dst` (UDP checksum 0: not computed). */
export function ipUdpPacket(src: NetAddress, dst: NetAddress, data: Uint8Array): Uint8Array {
  const udpLen = 8 + data.length;
  const v6 = src.family === 6;
  const ipLen = v6 ? 40 : 20;
  const out = new Uint8Array(ipLen + udpLen);
  const v = new DataView(out.buffer);
  if (v6) {
    v.setUint32(0, 0x60000000);
    v.setUint16(4, udpLen);
    out[6] = 17;
    out[7] = 64;
    out.set(ipBytes(src), 8);
    out.set(ipBytes(dst), 24);
  } else {
    out[0] = 0x45;
    v.setUint16(2, ipLen + udpLen);
    v.setUint16(6, 0x4000);  // don't fragment
    out[8] = 64;
    out[9] = 17;
    out.set(ipBytes(src), 12);
    out.set(ipBytes(dst), 16);
    let sum = 0;
    for (let k = 0; k < 20; k += 2) sum += v.getUint16(k);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    v.setUint16(10, ~sum & 0xffff);
  }
  v.setUint16(ipLen, src.port);
  v.setUint16(ipLen + 2, dst.port);
  v.setUint16(ipLen + 4, udpLen);
  out.set(data, ipLen + 8);
  return out;
}

/** One Enhanced Packet Block. `timeUs` is microseconds since the Unix epoch. */
export function pcapngPacket(direction: Direction, local: NetAddress, remote: NetAddress, data: Uint8Array, timeUs: number): Uint8Array {
  const pkt = direction === "in" ? ipUdpPacket(remote, local, data) : ipUdpPacket(local, remote, data);
  const fixed = new Uint8Array(20);
  const v = new DataView(fixed.buffer);
  const t = BigInt(Math.max(0, Math.round(timeUs)));
  v.setUint32(0, 0, true);  // interface 0
  v.setUint32(4, Number(t >> 32n), true);
  v.setUint32(8, Number(t & 0xffffffffn), true);
  v.setUint32(12, pkt.length, true);
  v.setUint32(16, pkt.length, true);
  const flags = new Uint8Array(4);
  new DataView(flags.buffer).setUint32(0, direction === "in" ? 1 : 2, true);  // epb_flags: inbound / outbound
  const padded = new Uint8Array(pad4(pkt.length));
  padded.set(pkt);
  return block(6, concat([fixed, padded, option(2, flags), new Uint8Array(4)]));
}

/**
 * A capture kept in memory (pages, workers, tests): `bytes()` is a pcapng
 * file. `maxBytes` bounds it; later datagrams are counted, not kept.
 */
export class PcapngRecorder implements DatagramCapture {
  private readonly chunks: Uint8Array[] = [pcapngHeader()];
  private size = this.chunks[0]!.length;
  dropped = 0;
  packets = 0;
  /** Maps the clock's milliseconds to wall time (the virtual clock starts at 0). */
  constructor(private readonly maxBytes = 64 * 1024 * 1024, private readonly epochOffsetMs = 0) {}

  datagram(direction: Direction, local: NetAddress, remote: NetAddress, data: Uint8Array, timeMs: number): void {
    const b = pcapngPacket(direction, local, remote, data, (timeMs + this.epochOffsetMs) * 1000);
    if (this.size + b.length > this.maxBytes) {
      this.dropped++;
      return;
    }
    this.chunks.push(b);
    this.size += b.length;
    this.packets++;
  }

  bytes(): Uint8Array {
    return concat(this.chunks);
  }
}
