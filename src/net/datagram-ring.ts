// A single-producer, single-consumer ring of datagrams in a SharedArrayBuffer:
// how the UDP thread (udp-thread.ts) and the main thread hand datagrams to
// each other without a message per datagram.
//
// Layout: `ctl` (Int32Array) holds the byte counters and the flags, `bytes`
// the records. A record is an 8-byte header — length (u16), port (u16),
// family (u8), IP text length (u8), two spare bytes — then the IP text and the
// datagram, each padded to 4 bytes. A record never wraps: when it does not fit
// before the end, a marker (length 0xffff) sends the reader back to the start.
// `written` and `read` count bytes from the start and wrap at 2^32 (the
// capacity is far below that), so their difference is what is in the ring.
//
// The UDP thread runs the same functions (their source text, see
// ringFunctionsSource): each is self-contained, so the layout's numbers are
// repeated inside them (RING_* below name them for everyone else).

export const RING_WRITTEN = 0;
export const RING_READ = 1;
/** Set by the producer when it wants a wake-up for the consumer; cleared by the consumer before it reads. */
export const RING_KICK = 2;
/** Datagrams the producer dropped because the ring was full. */
export const RING_DROPPED = 3;
export const RING_CTL_INTS = 4;

export const RECORD_HEADER = 8;

export interface DatagramRing {
  ctl: Int32Array;
  bytes: Uint8Array;
  dv: DataView;
}

export function createRing(capacity: number): DatagramRing {
  const cap = Math.max(4096, (capacity + 3) & ~3);
  return attachRing(new SharedArrayBuffer(RING_CTL_INTS * 4), new SharedArrayBuffer(cap));
}

export function attachRing(ctl: SharedArrayBuffer, bytes: SharedArrayBuffer): DatagramRing {
  return { ctl: new Int32Array(ctl), bytes: new Uint8Array(bytes), dv: new DataView(bytes) };
}

/**
 * Appends one datagram; false (and the drop counted) when the ring is full or the
 * datagram cannot be represented (over 65,534 bytes, an IP text over 255 bytes).
 * `ip` is ASCII (an IPv4 or IPv6 literal).
 */
export function ringWrite(r: DatagramRing, data: Uint8Array, family: number, ip: string, port: number): boolean {
  const cap = r.bytes.length;
  const ipLen = ip.length;
  if (data.length >= 0xffff || ipLen > 255) {
    Atomics.add(r.ctl, 3, 1);  // RING_DROPPED
    return false;
  }
  const ipPadded = (ipLen + 3) & ~3;
  const need = 8 + ipPadded + ((data.length + 3) & ~3);  // RECORD_HEADER + ...
  const written = Atomics.load(r.ctl, 0) >>> 0;  // RING_WRITTEN
  const used = (written - (Atomics.load(r.ctl, 1) >>> 0)) >>> 0;  // RING_READ
  let at = written % cap;
  const tail = cap - at;
  const skip = tail < need ? tail : 0;
  if (cap - used < need + skip) {
    Atomics.add(r.ctl, 3, 1);
    return false;
  }
  const dv = r.dv;
  if (skip) {
    dv.setUint16(at, 0xffff, true);  // the wrap marker
    at = 0;
  }
  dv.setUint16(at, data.length, true);
  dv.setUint16(at + 2, port, true);
  r.bytes[at + 4] = family;
  r.bytes[at + 5] = ipLen;
  for (let i = 0; i < ipLen; i++) r.bytes[at + 8 + i] = ip.charCodeAt(i);
  r.bytes.set(data, at + 8 + ipPadded);
  Atomics.store(r.ctl, 0, (written + skip + need) | 0);
  return true;
}

/** What ringRead hands to its visitor: `data` is a view into the ring, valid only during the call. */
export type RingVisitor = (data: Uint8Array, family: number, ipText: Uint8Array, port: number) => void;

/** Reads every record present now (at most `max`), oldest first; returns how many. */
export function ringRead(r: DatagramRing, visit: RingVisitor, max = Infinity): number {
  const cap = r.bytes.length;
  const written = Atomics.load(r.ctl, 0) >>> 0;  // RING_WRITTEN
  let read = Atomics.load(r.ctl, 1) >>> 0;  // RING_READ
  let n = 0;
  const dv = r.dv;
  while (read !== written && n < max) {
    let at = read % cap;
    if (dv.getUint16(at, true) === 0xffff) {  // the wrap marker
      read = (read + (cap - at)) >>> 0;
      at = 0;
    }
    const length = dv.getUint16(at, true);
    const ipLen = r.bytes[at + 5]!;
    const dataAt = at + 8 + ((ipLen + 3) & ~3);
    visit(r.bytes.subarray(dataAt, dataAt + length), r.bytes[at + 4]!, r.bytes.subarray(at + 8, at + 8 + ipLen), dv.getUint16(at + 2, true));
    read = (read + (dataAt - at) + ((length + 3) & ~3)) >>> 0;
    n++;
    // Each record is released as soon as it has been visited, so a slow reader frees space as it goes.
    Atomics.store(r.ctl, 1, read | 0);
  }
  return n;
}

/** Sets the kick flag; true when it was clear (the caller must wake the other side). */
export function ringKick(r: DatagramRing): boolean {
  return Atomics.compareExchange(r.ctl, 2, 0, 1) === 0;  // RING_KICK
}

/** Clears the kick flag before reading, so a record written after it brings a new wake-up. */
export function ringUnkick(r: DatagramRing): void {
  Atomics.store(r.ctl, 2, 0);  // RING_KICK
}

/**
 * Turns a record's IP text into a string, the previous string when the bytes are the same (a server hears
 * the same peers over and over: no string built per datagram for them).
 */
export function ipTextDecoder(): (text: Uint8Array) => string {
  let last = "";
  let lastBytes = new Uint8Array(0);
  return (text) => {
    if (text.length === lastBytes.length) {
      let same = true;
      for (let i = 0; same && i < text.length; i++) same = text[i] === lastBytes[i];
      if (same) return last;
    }
    last = String.fromCharCode(...text);
    lastBytes = text.slice();
    return last;
  };
}

/** The functions above as source text, for a thread started from a string (new Worker(src, { eval: true })). */
export function ringFunctionsSource(): string {
  const fns: [string, (...a: never[]) => unknown][] = [["ringWrite", ringWrite], ["ringRead", ringRead], ["ringKick", ringKick], ["ringUnkick", ringUnkick], ["ipTextDecoder", ipTextDecoder]];
  return fns.map(([name, f]) => `const ${name} = ${f.toString()};`).join("\n");
}
