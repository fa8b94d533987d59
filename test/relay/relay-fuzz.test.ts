// Fuzzing the relay with a fixed budget and a seeded PRNG, so a failure
// reproduces: RELAY_FUZZ_SEED=<seed> reruns the same inputs, and
// RELAY_FUZZ_EPISODE=<n> only the session episode that failed.
//  (a) the framing (stun.ts) on random bytes, truncations and bit flips of
//      messages made by StunBuilder: nothing throws, valid messages round-trip,
//      nothing the parser is given is changed;
//  (b) one RelaySession driven directly (fake host and socket, a clock the
//      test moves; Allocation.open binds real UDP sockets on 127.0.0.1, and no
//      datagram is sent: Allocation.send is recorded instead) with valid
//      authenticated requests, mutations of them, random bytes, text frames
//      and the sweep, checking the invariants after every step.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { crc32 } from "../../src/crypto/crc.js";
import type { NetAddress } from "../../src/net/address.js";
import { Allocation } from "../../src/relay/allocation.js";
import { createRelayCredentials } from "../../src/relay/credentials.js";
import { RelaySession } from "../../src/relay/session.js";
import {
  Attr, Class, MAGIC_COOKIE, Method, StunBuilder, attrValue, buildChannelData, checkIntegrity, findAttr, getString,
  getU32, getXorAddresses, looksLikeChannelData, parseChannelData, parseStun, unknownRequired, type StunMessage,
} from "../../src/relay/stun.js";
import { FAKE_REALM, FAKE_SECRET, FakeHost, FakeSocket } from "./fake-host.js";

const SEED = Number(process.env.RELAY_FUZZ_SEED ?? 0x7e1a7);
const ONLY_EPISODE = process.env.RELAY_FUZZ_EPISODE === undefined ? null : Number(process.env.RELAY_FUZZ_EPISODE);
const FRAMING_ITERATIONS = 20_000;
const SESSION_EPISODES = 400;
const TIME_BUDGET_MS = 7_000;  // per part; a slow machine runs fewer iterations (reported) rather than timing out
const seedText = `RELAY_FUZZ_SEED=0x${SEED.toString(16)}`;

// ---- PRNG ----------------------------------------------------------------

/** mulberry32: small, fast, and the same sequence everywhere. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    chance: (p: number) => next() < p,
    pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]!,
    bytes: (n: number) => {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = int(256);
      return b;
    },
  };
}
type Rng = ReturnType<typeof prng>;
const mix = (seed: number, n: number) => (seed ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0;
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

// ---- messages and mutations ----------------------------------------------

const KNOWN_REQUIRED = new Set<number>([0x0006, 0x0008, 0x0009, 0x000c, 0x000d, 0x0012, 0x0013, 0x0014, 0x0015, 0x0017, 0x0019, 0x0020, 0x001c]);
const XOR_TYPES = [Attr.XorPeerAddress, Attr.XorMappedAddress, Attr.XorRelayedAddress];
const U32_TYPES = [Attr.Lifetime, Attr.RequestedTransport, Attr.ChannelNumber];
const STRING_TYPES = [Attr.Username, Attr.Realm, Attr.Nonce, Attr.Software];
const TEXT = ["a", "Z", "0", ":", " ", "é", "ß", "€", "中", "😀", "\u0000"];

type AttrSpec =
  | { kind: "xor"; type: number; addr: NetAddress }
  | { kind: "u32"; type: number; value: number }
  | { kind: "string"; type: number; value: string }
  | { kind: "raw"; type: number; value: Uint8Array };

function randomAddress(r: Rng): NetAddress {
  if (r.chance(0.7)) return { family: 4, ip: [r.int(256), r.int(256), r.int(256), r.int(256)].join("."), port: r.int(65536) };
  const groups = Array.from({ length: 8 }, () => (r.chance(0.4) ? 0 : r.int(65536)));
  // The canonical text (RFC 5952) is what the parser returns; the URL parser makes it.
  const ip = new URL(`http://[${groups.map((g) => g.toString(16)).join(":")}]/`).hostname.slice(1, -1);
  return { family: 6, ip, port: r.int(65536) };
}

function randomAttr(r: Rng): AttrSpec {
  switch (r.int(4)) {
    case 0:
      return { kind: "xor", type: r.pick(XOR_TYPES), addr: randomAddress(r) };
    case 1:
      return { kind: "u32", type: r.pick(U32_TYPES), value: r.int(2 ** 32) };
    case 2:
      return { kind: "string", type: r.pick(STRING_TYPES), value: Array.from({ length: r.int(40) }, () => r.pick(TEXT)).join("") };
    default: {
      // DATA, or a type the relay does not know (comprehension-required or optional).
      const type = r.pick([Attr.Data, 0x0030 + r.int(0x7fd0), 0x8030 + r.int(0x7fd0)]);
      return { kind: "raw", type, value: r.bytes(r.int(70)) };
    }
  }
}

interface MessageSpec {
  method: number;
  cls: 0 | 1 | 2 | 3;
  tid: Uint8Array;
  attrs: AttrSpec[];
  key: Uint8Array | null;
}

function randomSpec(r: Rng): MessageSpec {
  const method = r.chance(0.5) ? r.pick(Object.values(Method)) : r.int(0x1000);
  return {
    method, cls: r.int(4) as 0 | 1 | 2 | 3, tid: r.bytes(12),
    attrs: Array.from({ length: r.int(12) }, () => randomAttr(r)),
    key: r.chance(0.6) ? r.bytes(16) : null,
  };
}

function build(spec: MessageSpec): Uint8Array {
  const b = new StunBuilder(spec.method, spec.cls, spec.tid);
  for (const a of spec.attrs) {
    if (a.kind === "xor") b.addXorAddress(a.type, a.addr);
    else if (a.kind === "u32") b.addU32(a.type, a.value);
    else if (a.kind === "string") b.addString(a.type, a.value);
    else b.add(a.type, a.value);
  }
  return b.build(spec.key ?? undefined);
}

type Mutation = { name: string; bytes: Uint8Array; flippedAt?: number };

/** One mutation of `b`: what a broken or hostile client could send instead. */
function mutate(r: Rng, b: Uint8Array, other: () => Uint8Array): Mutation {
  const out = new Uint8Array(b);
  const d = new DataView(out.buffer);
  switch (r.int(10)) {
    case 0:
      return { name: "truncate", bytes: b.slice(0, r.int(b.length)) };
    case 1: {
      if (!out.length) return { name: "empty", bytes: out };
      const at = r.int(out.length);
      out[at] ^= 1 << r.int(8);
      return { name: "bit flip", bytes: out, flippedAt: at };
    }
    case 2: {
      for (let n = 1 + r.int(8); n > 0 && out.length; n--) out[r.int(out.length)] = r.int(256);
      return { name: "random bytes", bytes: out };
    }
    case 3: {
      const at = r.int(b.length + 1);
      const junk = r.bytes(1 + r.int(12));
      return { name: "insert", bytes: new Uint8Array([...b.subarray(0, at), ...junk, ...b.subarray(at)]) };
    }
    case 4: {
      const at = r.int(b.length + 1);
      return { name: "delete", bytes: new Uint8Array([...b.subarray(0, at), ...b.subarray(at + 1 + r.int(8))]) };
    }
    case 5:
      if (out.length >= 4) d.setUint16(2, r.chance(0.5) ? r.int(65536) : (d.getUint16(2) + r.pick([-8, -4, 4, 8])) & 0xffff);
      return { name: "header length", bytes: out };
    case 6: {
      // An attribute's length, the header kept consistent, so the walk reaches it.
      const offs: number[] = [];
      for (let off = 20; off + 4 <= out.length; off += 4 + ((d.getUint16(off + 2) + 3) & ~3)) offs.push(off);
      if (offs.length) d.setUint16(r.pick(offs) + 2, r.chance(0.5) ? r.int(65536) : r.int(64));
      return { name: "attribute length", bytes: out };
    }
    case 7: {
      // An extra attribute before the rest, header length fixed up.
      if (out.length < 20) return { name: "short", bytes: out };
      const value = r.bytes(r.int(24));
      const type = r.pick([r.int(65536), Attr.MessageIntegrity, Attr.Fingerprint, Attr.XorPeerAddress, Attr.Lifetime, Attr.Username]);
      const a = new StunBuilder(0, 0, new Uint8Array(12)).add(type, value).build().subarray(20, -8);
      const joined = new Uint8Array([...out.subarray(0, 20), ...a, ...out.subarray(20)]);
      new DataView(joined.buffer).setUint16(2, (joined.length - 20) & 0xffff);
      return { name: "extra attribute", bytes: joined };
    }
    case 8:
      return { name: "two messages", bytes: new Uint8Array([...b, ...other()]) };
    default: {
      // A valid header (type, length, cookie) over random attribute bytes.
      const tail = r.bytes(r.int(20) * 4);
      const h = new Uint8Array(20 + tail.length);
      const hv = new DataView(h.buffer);
      hv.setUint16(0, r.int(0x4000));
      hv.setUint16(2, tail.length);
      hv.setUint32(4, MAGIC_COOKIE);
      h.set(r.bytes(12), 8);
      h.set(tail, 20);
      return { name: "random attributes", bytes: h };
    }
  }
}

/** Sometimes hands the bytes over as a Buffer from Node's pool (a nonzero byteOffset), as ws does. */
const asFrame = (r: Rng, b: Uint8Array): Uint8Array => (r.chance(0.5) ? Buffer.from(b) : b);

/** A check cheap enough for the inner loop (expect() is slow at this rate). */
function must(ok: boolean, what: string): asserts ok {
  if (!ok) throw new Error(what);
}
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const equalBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

/** Everything a session reads from a parsed message; none of it may throw or change the bytes. */
function readEverything(m: StunMessage, keys: Uint8Array[]): void {
  const types = new Set(m.attributes.map((a) => a.type));
  for (const t of types) {
    const a = findAttr(m, t)!;
    must(a.offset >= 24 && a.offset + a.length <= m.bytes.length, `attribute 0x${t.toString(16)} outside the message`);
    attrValue(m, a);
    getString(m, t);
    getString(m, t, 513);
    getU32(m, t);
    for (const x of getXorAddresses(m, t) ?? []) must(x.port >= 0 && x.port < 65536 && (x.family === 4 || x.family === 6), "bad address");
  }
  unknownRequired(m);
  for (const k of keys) checkIntegrity(m, k);
}

// ---- (a) framing -----------------------------------------------------------

describe("relay fuzz: framing", () => {
  it(`parseStun, parseChannelData, getXorAddresses, getString: ${FRAMING_ITERATIONS} seeded inputs (${seedText})`, () => {
    const t0 = performance.now();
    const counts: Record<string, number> = {};
    let i = 0;
    let current = "";
    try {
      for (; i < FRAMING_ITERATIONS && performance.now() - t0 < TIME_BUDGET_MS; i++) {
        const r = prng(mix(SEED, i));
        const spec = randomSpec(r);
        const valid = build(spec);
        current = `valid ${hex(valid)}`;
        const frame = asFrame(r, valid);
        const res = parseStun(frame);
        // Round trip: what StunBuilder makes parses back to the same message.
        must(res.ok, `a StunBuilder message does not parse: ${res.ok ? "" : res.reason}`);
        const m = res.message;
        must(m.method === spec.method && m.cls === spec.cls && equalBytes(m.transactionId, spec.tid), "method, class or transaction id changed");
        const expected = [...spec.attrs.map((a) => a.type), ...(spec.key ? [Attr.MessageIntegrity] : []), Attr.Fingerprint];
        must(same(m.attributes.map((a) => a.type), expected), "attribute types changed");
        spec.attrs.forEach((a, k) => {
          const v = attrValue(m, m.attributes[k]!);
          if (a.kind === "raw") must(equalBytes(v, a.value), "raw value changed");
          if (a.kind === "u32") must(new DataView(v.buffer, v.byteOffset, 4).getUint32(0) === a.value, "u32 changed");
        });
        for (const t of XOR_TYPES) {
          must(same(getXorAddresses(m, t), spec.attrs.flatMap((a) => (a.kind === "xor" && a.type === t ? [a.addr] : []))), `XOR addresses 0x${t.toString(16)} changed`);
        }
        for (const t of STRING_TYPES) {
          const first = spec.attrs.find((a) => a.type === t);
          must(getString(m, t) === (first?.kind === "string" ? first.value : null), `string 0x${t.toString(16)} changed`);
        }
        for (const t of U32_TYPES) {
          const first = spec.attrs.find((a) => a.type === t);
          if (first?.kind === "u32") must(getU32(m, t) === first.value, "getU32 differs");
        }
        const unknown = [...new Set(spec.attrs.filter((a) => a.type < 0x8000 && !KNOWN_REQUIRED.has(a.type)).map((a) => a.type))];
        must(same(unknownRequired(m), unknown), "unknownRequired differs");
        const fp = findAttr(m, Attr.Fingerprint)!;
        must(getU32(m, Attr.Fingerprint) === (crc32(m.bytes.subarray(0, fp.offset - 4)) ^ 0x5354554e) >>> 0, "FINGERPRINT wrong");
        const wrongKey = r.bytes(16);
        if (spec.key) must(checkIntegrity(m, spec.key) && !checkIntegrity(m, wrongKey), "MESSAGE-INTEGRITY does not verify (or verifies with another key)");
        must(equalBytes(frame, valid), "the parser or a getter changed the frame");

        // ChannelData round trip.
        const channel = 0x4000 + r.int(0x4000);
        const payload = r.bytes(r.int(80));
        const cdBytes = buildChannelData(channel, payload);
        const cd = parseChannelData(asFrame(r, cdBytes));
        must(looksLikeChannelData(cdBytes) && cd !== null && cd.channel === channel && equalBytes(cd.data, payload), "ChannelData round trip");

        // Mutations of both, and bytes from nowhere: never a throw, never an out-of-bounds attribute.
        const base = r.chance(0.8) ? valid : cdBytes;
        const mut = r.chance(0.1) ? { name: "random", bytes: r.bytes(r.int(120)) } as Mutation : mutate(r, base, () => build(randomSpec(r)));
        counts[mut.name] = (counts[mut.name] ?? 0) + 1;
        current = `${mut.name} of ${hex(base)}: ${hex(mut.bytes)}`;
        const input = asFrame(r, mut.bytes);
        const before = Buffer.from(input);
        const pr = parseStun(input);
        if (pr.ok) {
          counts["mutant parsed"] = (counts["mutant parsed"] ?? 0) + 1;
          must(pr.message.attributes.length <= 40, "more than 40 attributes");
          must(20 + new DataView(input.buffer, input.byteOffset, 4).getUint16(2) === input.length, "length does not match");
          readEverything(pr.message, spec.key ? [spec.key, wrongKey] : [wrongKey]);
          // A flipped bit anywhere before the end of MESSAGE-INTEGRITY breaks it; after it (FINGERPRINT) it does not.
          if (mut.flippedAt !== undefined && base === valid && spec.key) {
            const mi = m.attributes.find((a) => a.type === Attr.MessageIntegrity)!;
            must(checkIntegrity(pr.message, spec.key) === mut.flippedAt >= mi.offset + 20, `flip at ${mut.flippedAt}, MI at ${mi.offset}: integrity ${!(mut.flippedAt >= mi.offset + 20)}`);
          }
        } else {
          must(pr.reason.length > 0, "a refusal without a reason");
        }
        const pc = parseChannelData(input);
        if (pc) {
          must(pc.data.length === new DataView(input.buffer, input.byteOffset, 4).getUint16(2), "ChannelData length");
          must(input.length - 4 - pc.data.length <= 3, "ChannelData padding over 3");
        }
        looksLikeChannelData(input);
        must(equalBytes(input, before), "the parser or a getter changed the frame");
      }
    } catch (e) {
      throw new Error(`relay fuzz (framing) failed at iteration ${i} (${seedText}): ${(e as Error).message}\ninput: ${current}`);
    }
    const secs = (performance.now() - t0) / 1000;
    console.log(`relay fuzz, framing: ${i} iterations in ${secs.toFixed(2)} s (${Math.round(i / secs)}/s), ${seedText}; mutations ${JSON.stringify(counts)}`);
    expect(i).toBeGreaterThanOrEqual(Math.min(FRAMING_ITERATIONS, 5000));
    expect(counts["mutant parsed"]).toBeGreaterThan(100);  // the mutations reach the attribute walk
  });
});

// ---- (b) one session ---------------------------------------------------------

const CLOSE_CODES = new Set([1000, 1002, 1003, 1008, 1011]);
const ALLOWED_PEERS: NetAddress[] = [
  { family: 4, ip: "198.51.100.1", port: 5000 }, { family: 4, ip: "198.51.100.1", port: 5001 },
  { family: 4, ip: "198.51.100.2", port: 5000 }, { family: 4, ip: "203.0.113.9", port: 6000 },
  { family: 4, ip: "198.51.100.3", port: 7 },
];
const REFUSED_PEERS: NetAddress[] = [
  { family: 4, ip: "127.0.0.1", port: 9 }, { family: 4, ip: "10.0.0.1", port: 9 }, { family: 4, ip: "224.0.0.251", port: 5353 },
  { family: 4, ip: "169.254.169.254", port: 80 }, { family: 4, ip: "0.0.0.0", port: 9 }, { family: 6, ip: "2001:db8::1", port: 9 },
];
const CHANNELS = [0x4000, 0x4001, 0x4002, 0x4fff, 0x3fff, 0x5000, 0x7fff];

interface Cred {
  username: string;
  password: string;
  valid: boolean;
}
const day = 86400;
const credOf = (user: string, secret = FAKE_SECRET, ttl = day, now = Date.now()): Cred => {
  const c = createRelayCredentials(secret, user, ttl, now);
  return { username: c.username, password: c.credential, valid: secret === FAKE_SECRET && c.expires * 1000 > Date.now() };
};
const CREDS: Cred[] = [
  credOf("alice"), credOf("alice", FAKE_SECRET, day + 5), credOf("bob"), credOf("carol"),
  { ...credOf("mallory"), password: "not-the-password", valid: false },
  credOf("eve", "another-secret"), credOf("old", FAKE_SECRET, 1, Date.now() - 60_000),
  { username: "no-expiry", password: "x", valid: false },
];
const VALID_CREDS = CREDS.filter((c) => c.valid);
const keyOf = (c: Cred) => createHash("md5").update(`${c.username}:${FAKE_REALM}:${c.password}`).digest();

interface Client {
  sock: FakeSocket;
  session: RelaySession;
  cred: Cred;
  nonce: string | null;
  /** The key the session authenticated with: every success after it is signed with it. */
  authKey: Uint8Array | null;
  /** Keys of valid credentials this client signed with. */
  usedKeys: Uint8Array[];
  tids: Set<string>;
  read: number;
  lastAllocate: Uint8Array | null;
  lastAllocation: Allocation | null;
}

const allocationOf = (s: RelaySession) => (s as unknown as { allocation: Allocation | null }).allocation;
interface Tables {
  permissions: Map<string, number>;
  channels: Map<number, { peerKey: string; expires: number }>;
  channelByPeer: Map<string, number>;
}
const tablesOf = (a: Allocation) => a as unknown as Tables;
const isClosed = (a: Allocation) => (a as unknown as { closed: boolean }).closed;

/** Live entries only (an expired one may be swept by any call): what a refused request must leave as it was. */
function snapshot(a: Allocation | null, now: number): string {
  if (!a) return "none";
  const t = tablesOf(a);
  const p = [...t.permissions].filter(([, e]) => e > now).sort();
  const c = [...t.channels].filter(([, ch]) => ch.expires > now).map(([n, ch]) => [n, ch.peerKey, ch.expires]).sort();
  return JSON.stringify({ p, c });
}

describe("relay fuzz: a session", () => {
  const realOpen = Allocation.open.bind(Allocation);
  const opened: Allocation[] = [];
  const inflight = new Set<Promise<unknown>>();
  let failNextOpen = false;
  let host: FakeHost;
  const sends: Array<{ ip: string; bytes: number; permitted: boolean }> = [];
  beforeAll(() => {
    vi.spyOn(Allocation, "open").mockImplementation((...args: Parameters<typeof Allocation.open>) => {
      const p = failNextOpen ? Promise.reject(new Error("fuzz: bind failed")) : realOpen(...args).then((a) => (opened.push(a), a));
      failNextOpen = false;
      inflight.add(p);
      p.then(() => inflight.delete(p), () => inflight.delete(p));
      return p;
    });
    // Recorded, not sent: the fuzz puts nothing on the network.
    vi.spyOn(Allocation.prototype, "send").mockImplementation(function (this: Allocation, data: Uint8Array, to: NetAddress) {
      sends.push({ ip: to.ip, bytes: data.length, permitted: this.hasPermission(to.ip, host.clock) && host.policy.check(to.ip) === null });
    });
  });
  afterAll(() => {
    vi.restoreAllMocks();
    for (const a of opened) a.close();
  });

  const settle = async () => {
    while (inflight.size) await Promise.allSettled([...inflight]);
    await new Promise((r) => setImmediate(r));
  };

  it(`${SESSION_EPISODES} seeded episodes of requests, mutations, garbage and time jumps (${seedText})`, async () => {
    const t0 = performance.now();
    const total = { steps: 0, episodes: 0, closes: {} as Record<string, number>, responses: {} as Record<string, number> };
    const agg = { allocationsCreated: 0, datagramsToPeers: 0, datagramsFromPeers: 0, droppedQuota: 0, droppedSlowClient: 0, channelDataToClient: 0, dataIndications: 0 };

    for (let e = 0; e < SESSION_EPISODES && performance.now() - t0 < TIME_BUDGET_MS; e++) {
      if (ONLY_EPISODE !== null && e !== ONLY_EPISODE) continue;
      const r = prng(mix(SEED ^ 0x5e55, e));
      host = new FakeHost({
        maxAllocations: 3, maxAllocationsPerUser: 2, maxPermissionsPerAllocation: 3, maxChannelsPerAllocation: 2,
        allocationQuota: { datagramsPerSecond: 6, bytesPerSecond: 6_000 }, totalQuota: { datagramsPerSecond: 10, bytesPerSecond: 9_000 },
        clientBufferBytes: 4096, maxAuthFailures: 3,
      });
      const openedBefore = opened.length;
      const clients: Client[] = [];
      const trail: string[] = [];
      const addClient = () => {
        const sock = new FakeSocket();
        const c: Client = {
          sock, session: new RelaySession(host, sock, { family: 4, ip: "192.0.2.10", port: 40000 + clients.length }),
          cred: r.chance(0.8) ? r.pick(VALID_CREDS) : r.pick(CREDS), nonce: null, authKey: null, usedKeys: [], tids: new Set(), read: 0, lastAllocate: null, lastAllocation: null,
        };
        clients.push(c);
      };
      for (let n = 1 + r.int(3); n > 0; n--) addClient();

      const fail = (step: number, msg: string): never => {
        throw new Error(`relay fuzz (session) failed: episode ${e}, step ${step} (${seedText} RELAY_FUZZ_EPISODE=${e}): ${msg}\nlast steps:\n  ${trail.slice(-12).join("\n  ")}`);
      };

      /** A request as the client would make it; signed once it knows the nonce. */
      const request = (c: Client, method: number, add: (b: StunBuilder) => void, o: { sign?: boolean; cred?: Cred; nonce?: string } = {}) => {
        const b = new StunBuilder(method, Class.Request, r.bytes(12));
        add(b);
        const cred = o.cred ?? c.cred;
        const sign = (o.sign ?? true) && c.nonce !== null;
        if (sign) b.addString(Attr.Username, cred.username).addString(Attr.Realm, FAKE_REALM).addString(Attr.Nonce, o.nonce ?? c.nonce!);
        const key = sign ? keyOf(cred) : undefined;
        if (key && cred.valid && !c.usedKeys.some((k) => Buffer.compare(k, key) === 0)) c.usedKeys.push(key);
        return b.build(key);
      };
      const peer = () => (r.chance(0.85) ? r.pick(ALLOWED_PEERS) : r.pick(REFUSED_PEERS));
      const channelAttr = (n: number) => {
        const v = new Uint8Array(4);
        new DataView(v.buffer).setUint16(0, n);
        return v;
      };

      // The frames a client sends; each returns bytes (not yet sent).
      const makers: Array<[number, string, (c: Client) => Uint8Array]> = [
        [8, "allocate", (c) => {
          const bytes = request(c, Method.Allocate, (b) => {
            if (r.chance(0.92)) b.addU32(Attr.RequestedTransport, (r.chance(0.9) ? 17 : 6) << 24);
            if (r.chance(0.3)) b.addU32(Attr.Lifetime, r.pick([0, 1, 599, 601, 5000, 0xffffffff]));
            if (r.chance(0.05)) b.add(Attr.RequestedAddressFamily, Uint8Array.of(r.pick([1, 2]), 0, 0, 0));
            if (r.chance(0.03)) b.add(Attr.EvenPort, Uint8Array.of(0x80));
          });
          c.lastAllocate = bytes;
          return bytes;
        }],
        [2, "retransmitted allocate", (c) => c.lastAllocate ?? request(c, Method.Allocate, (b) => b.addU32(Attr.RequestedTransport, 17 << 24))],
        [4, "refresh", (c) => request(c, Method.Refresh, (b) => {
          if (r.chance(0.6)) b.addU32(Attr.Lifetime, r.pick([0, 0, 1, 600, 5000]));
        })],
        [7, "create permission", (c) => request(c, Method.CreatePermission, (b) => {
          for (let n = r.chance(0.1) ? 0 : 1 + r.int(3); n > 0; n--) b.addXorAddress(Attr.XorPeerAddress, peer());
        })],
        [7, "channel bind", (c) => request(c, Method.ChannelBind, (b) => {
          if (r.chance(0.95)) b.add(Attr.ChannelNumber, channelAttr(r.pick(CHANNELS)));
          for (let n = r.chance(0.05) ? 2 : 1; n > 0; n--) b.addXorAddress(Attr.XorPeerAddress, peer());
        })],
        [7, "send indication", (c) => new StunBuilder(Method.Send, Class.Indication, r.bytes(12))
          .addXorAddress(Attr.XorPeerAddress, peer()).add(Attr.Data, r.bytes(r.pick([0, 1, 100, 1500, 1501]))).build()],
        [7, "channel data", (c) => {
          const data = buildChannelData(r.chance(0.85) ? r.pick(CHANNELS.slice(0, 3)) : r.pick(CHANNELS), r.bytes(r.pick([0, 1, 33, 1500, 1501])));
          return r.chance(0.2) ? new Uint8Array([...data, ...new Uint8Array(r.int(5))]) : data;
        }],
        [1, "binding", (c) => request(c, Method.Binding, () => undefined, { sign: false })],
        [1, "unknown method", (c) => request(c, 0x00a + r.int(0xff0), () => undefined)],
        [1, "unknown attribute", (c) => request(c, Method.Refresh, (b) => b.add(r.pick([0x0030, 0x7fff, 0x8030]), r.bytes(4)))],
        [1, "other credential", (c) => request(c, Method.Refresh, () => undefined, { cred: r.pick(CREDS) })],
        [1, "wrong nonce", (c) => request(c, Method.CreatePermission, (b) => b.addXorAddress(Attr.XorPeerAddress, peer()), { nonce: "0123456789abcdef01234567" })],
        [1, "client response", (c) => new StunBuilder(r.pick(Object.values(Method)), r.pick([Class.Success, Class.Error, Class.Indication]), r.bytes(12)).build()],
      ];
      const weightSum = makers.reduce((s, m) => s + m[0], 0);
      const pickMaker = () => {
        let x = r.next() * weightSum;
        for (const m of makers) if ((x -= m[0]) < 0) return m;
        return makers[0]!;
      };

      /** Checks every frame the session sent since the last look, and learns the nonce. */
      const readFrames = (step: number, c: Client) => {
        for (; c.read < c.sock.sent.length; c.read++) {
          const f = c.sock.sent[c.read]!;
          if (looksLikeChannelData(f)) {
            const cd = parseChannelData(f);
            if (!cd || cd.channel < 0x4000 || cd.channel > 0x4fff || f.length !== 4 + cd.data.length) return fail(step, `bad ChannelData sent: ${hex(f)}`);
            if (cd.data.length > host.options.maxDatagramBytes) fail(step, "ChannelData over the datagram cap");
            agg.channelDataToClient++;
            continue;
          }
          const p = parseStun(f);
          if (!p.ok) return fail(step, `the session sent a frame that does not parse (${p.reason}): ${hex(f)}`);
          const m = p.message;
          if (m.cls === Class.Request) fail(step, "the session sent a request");
          if (m.cls === Class.Indication) {
            const d = findAttr(m, Attr.Data);
            const from = getXorAddresses(m, Attr.XorPeerAddress);
            if (m.method !== Method.Data || !d || !from || from.length !== 1 || d.length > host.options.maxDatagramBytes) fail(step, `bad Data indication: ${hex(f)}`);
            agg.dataIndications++;
            continue;
          }
          if (!c.tids.has(hex(m.transactionId))) fail(step, `a response to a transaction the client never sent: ${hex(f)}`);
          const method = m.method <= Method.ChannelBind ? String(m.method) : "other";
          if (m.cls === Class.Success) {
            total.responses[`${method}/ok`] = (total.responses[`${method}/ok`] ?? 0) + 1;
            if (m.method === Method.Binding) continue;
            if (m.method === Method.Allocate || m.method === Method.Refresh) {
              // RFC 8656 §7.2, §8.2: never less than the default, never more than the maximum; 0 only deletes.
              const life = getU32(m, Attr.Lifetime);
              const o = host.options;
              const ok = life !== null && ((life === 0 && m.method === Method.Refresh) || (life >= o.defaultLifetimeSeconds && life <= o.maxLifetimeSeconds));
              if (!ok) fail(step, `LIFETIME ${life} in a ${m.method === Method.Allocate ? "Allocate" : "Refresh"} success`);
            }
            const signer = c.authKey ? (checkIntegrity(m, c.authKey) ? c.authKey : null) : c.usedKeys.find((k) => checkIntegrity(m, k)) ?? null;
            if (!signer) fail(step, `a success response not signed with the client's key: ${hex(f)}`);
            c.authKey = signer;
            continue;
          }
          const ec = findAttr(m, Attr.ErrorCode);
          if (!ec || ec.length < 4) return fail(step, `an error response without ERROR-CODE: ${hex(f)}`);
          const v = attrValue(m, ec);
          const code = v[2]! * 100 + v[3]!;
          total.responses[`${method}/${code}`] = (total.responses[`${method}/${code}`] ?? 0) + 1;
          if (code < 300 || code > 699) fail(step, `error code ${code} out of range`);
          if (code === 401 || code === 438) {
            if (getString(m, Attr.Realm) !== FAKE_REALM || !getString(m, Attr.Nonce)) fail(step, `${code} without REALM and NONCE`);
            c.nonce = getString(m, Attr.Nonce);
          }
          if (code === 420 && !findAttr(m, Attr.UnknownAttributes)) fail(step, "420 without UNKNOWN-ATTRIBUTES (RFC 8489 §14.9)");
        }
      };

      const check = (step: number) => {
        if (host.stats.internalErrors) fail(step, `internalErrors = ${host.stats.internalErrors}`);
        if (host.violations.length) fail(step, host.violations.join("; "));
        for (const [k, v] of Object.entries(host.stats)) if (typeof v === "number" && v < 0) fail(step, `stats.${k} = ${v}`);
        if (host.stats.allocations > host.options.maxAllocations) fail(step, `${host.stats.allocations} allocations > cap`);
        for (const [u, n] of host.perUser) if (n > host.options.maxAllocationsPerUser) fail(step, `user ${u} holds ${n} allocations > cap`);
        const mine = opened.slice(openedBefore);
        const live = mine.filter((a) => !isClosed(a));
        if (live.length + inflight.size !== host.stats.allocations) {
          fail(step, `host counts ${host.stats.allocations} allocations, ${live.length} sockets are open and ${inflight.size} binding`);
        }
        for (const a of live) {
          const t = tablesOf(a);
          if (t.permissions.size > host.options.maxPermissionsPerAllocation) fail(step, `${t.permissions.size} permissions > cap`);
          if (t.channels.size > host.options.maxChannelsPerAllocation) fail(step, `${t.channels.size} channels > cap`);
          if (t.channelByPeer.size !== t.channels.size) fail(step, "channel tables disagree");
        }
        for (const s of sends) if (!s.permitted || s.bytes > host.options.maxDatagramBytes) fail(step, `a datagram to ${s.ip} (${s.bytes} B) without permission or over the cap`);
        sends.length = 0;
        for (const c of clients) {
          if (c.sock.sentAfterClose) fail(step, "the session sent a frame after it was closed");
          if (c.sock.closes.length > 1) fail(step, "closed twice");
          const cl = c.sock.closes[0];
          if (cl) {
            if (!CLOSE_CODES.has(cl.code)) fail(step, `close code ${cl.code}`);
            if (!cl.reason || Buffer.byteLength(cl.reason) > 123) fail(step, `close reason '${cl.reason}' (${Buffer.byteLength(cl.reason)} B)`);
          }
          if ((cl || c.sock.ended) && allocationOf(c.session)) fail(step, "a closed session still holds its allocation");
          readFrames(step, c);
        }
      };

      const gone = (c: Client) => c.sock.closes.length > 0 || c.sock.ended;
      const steps = 30 + r.int(80);
      for (let step = 0; step < steps; step++) {
        // A closed client is mostly replaced by a new one, so an episode goes on past the first malformed frame.
        const alive = clients.filter((x) => !gone(x));
        if ((alive.length === 0 || (alive.length < 3 && r.chance(0.05))) && clients.length < 12) addClient();
        const c = r.chance(0.9) ? r.pick(clients.filter((x) => !gone(x)).concat(clients.slice(-1))) : r.pick(clients);
        const action = r.next();
        const deliver = (bytes: Uint8Array, binary = true) => {
          if (bytes.length >= 20) c.tids.add(hex(bytes.subarray(8, 20)));
          try {
            c.session.onFrame(asFrame(r, bytes), binary);
          } catch (err) {
            fail(step, `onFrame threw: ${(err as Error).stack}`);
          }
        };
        const alloc = allocationOf(c.session);
        if (alloc) c.lastAllocation = alloc;
        if (action < 0.7) {
          // Mostly what a client does next: the 401 dance and an Allocate first.
          const [, name, make] = !alloc && r.chance(0.5) ? makers[0]! : pickMaker();
          const bytes = make(c);
          trail.push(`${step}: ${name} ${hex(bytes).slice(0, 80)}`);
          const before = snapshot(alloc, host.clock);
          failNextOpen = r.chance(0.05);
          deliver(bytes);
          failNextOpen = false;
          // Now and then a burst of the same datagram: over the quotas.
          if ((name === "send indication" || name === "channel data") && r.chance(0.15)) for (let n = 0; n < 10; n++) deliver(bytes);
          // A refused CreatePermission or ChannelBind leaves both tables as they were (RFC 8656 §10.2, §12.2).
          if ((name === "create permission" || name === "channel bind") && alloc === allocationOf(c.session)) {
            const res = c.sock.sent.slice(c.read).map((f) => parseStun(f)).find((p) => p.ok && hex(p.message.transactionId) === hex(bytes.subarray(8, 20)));
            if (res?.ok && res.message.cls === Class.Error && snapshot(alloc, host.clock) !== before) {
              fail(step, `a refused ${name} changed the tables: ${before} → ${snapshot(alloc, host.clock)}`);
            }
          }
        } else if (action < 0.78) {
          const [, name, make] = pickMaker();
          const mut = mutate(r, make(c), () => make(c));
          trail.push(`${step}: ${mut.name} of ${name} ${hex(mut.bytes).slice(0, 80)}`);
          deliver(mut.bytes);
        } else if (action < 0.79) {
          const junk = r.bytes(r.int(64));
          if (junk.length && r.chance(0.5)) junk[0] = (junk[0]! & 0x3f) | 0x40;  // looks like ChannelData
          trail.push(`${step}: random ${hex(junk)}`);
          deliver(junk);
        } else if (action < 0.795) {
          trail.push(`${step}: text frame`);
          deliver(new TextEncoder().encode("hello"), false);
        } else if (action < 0.92) {
          const a = alloc ?? c.lastAllocation;
          const from = r.chance(0.85) ? r.pick(ALLOWED_PEERS) : r.pick(REFUSED_PEERS);
          const size = r.pick([1, 100, 1500, 1501]);
          trail.push(`${step}: datagram from ${from.ip}:${from.port} (${size} B)${a === alloc ? "" : " to an old allocation"}`);
          try {
            for (let n = r.chance(0.15) ? 10 : 1; n > 0; n--) a?.onDatagram?.(Buffer.from(r.bytes(size)), from);
          } catch (err) {
            fail(step, `a peer datagram threw: ${(err as Error).stack}`);
          }
        } else if (action < 0.965) {
          const jump = r.chance(0.85) ? r.pick([0, 5, 50, 200, 1000]) : r.pick([16_000, 121_000, 301_000, 601_000, 3_601_000]);
          host.clock += jump;
          trail.push(`${step}: +${jump} ms, sweep`);
          for (const x of clients) x.session.sweep(host.clock);
        } else if (action < 0.985) {
          c.sock.bufferedAmount = r.pick([0, 100, 5000, 1 << 20]);
          trail.push(`${step}: bufferedAmount ${c.sock.bufferedAmount}`);
        } else if (action < 0.993) {
          trail.push(`${step}: the client goes away`);
          c.sock.ended = true;
          c.session.ended();
        } else {
          // The server closing with a long, non-ASCII reason: the frame must still be valid.
          trail.push(`${step}: server closes the client`);
          c.session.close(1008, `fuzz: ${"é".repeat(r.int(100))}`);
        }
        total.steps++;
        check(step);
        if (inflight.size) {
          // Frames and sweeps while the relay socket binds: same order every run (the bind answers only after an await).
          for (let n = r.int(3); n > 0; n--) {
            const [, name, make] = pickMaker();
            trail.push(`${step}: while binding: ${name}`);
            deliver(make(c));
            if (r.chance(0.2)) c.session.sweep(host.clock);
            check(step);
          }
          await settle();
          check(step);
        }
      }
      // The end: every client leaves; nothing may remain reserved or open.
      for (const c of clients) {
        if (r.chance(0.5)) {
          c.sock.ended = true;
          c.session.ended();
        } else {
          c.session.close(1000, "fuzz: done");
        }
      }
      await settle();
      check(steps);
      if (host.stats.allocations !== 0 || host.perUser.size) fail(steps, `after every client left: ${host.stats.allocations} allocations reserved`);
      for (const a of opened.slice(openedBefore)) {
        if (!isClosed(a)) fail(steps, "an allocation's socket is still open after its client left");
        expect(() => (a as unknown as { socket: { sock: { address(): unknown } } }).socket.sock.address()).toThrow();
      }
      for (const c of clients) {
        const cl = c.sock.closes[0];
        const why = cl && `${cl.code} ${cl.reason.split(/[:(]/)[0]!.trim()}`;
        if (why) total.closes[why] = (total.closes[why] ?? 0) + 1;
      }
      for (const k of Object.keys(agg) as Array<keyof typeof agg>) {
        if (k in host.stats) agg[k] += host.stats[k as keyof typeof host.stats] as number;
      }
      total.episodes++;
    }
    const secs = (performance.now() - t0) / 1000;
    console.log(`relay fuzz, session: ${total.steps} steps in ${total.episodes} episodes, ${secs.toFixed(2)} s (${Math.round(total.steps / secs)} steps/s), ` +
      `${opened.length} UDP sockets opened and closed, ${seedText}\n  counters ${JSON.stringify(agg)}\n  responses (method/code) ${JSON.stringify(total.responses)}\n  closes ${JSON.stringify(total.closes)}`);
    if (ONLY_EPISODE !== null) return;
    // The fuzz must reach the deep states, or it proves little.
    expect(total.episodes).toBeGreaterThanOrEqual(Math.min(SESSION_EPISODES, 100));
    expect(agg.allocationsCreated).toBeGreaterThan(100);
    expect(agg.datagramsToPeers).toBeGreaterThan(50);
    expect(agg.datagramsFromPeers).toBeGreaterThan(50);
    expect(agg.channelDataToClient).toBeGreaterThan(5);
    expect(agg.dataIndications).toBeGreaterThan(20);
    expect(agg.droppedQuota + agg.droppedSlowClient).toBeGreaterThan(0);
    for (const k of ["3/401", "3/486", "3/437", "8/ok", "9/ok", "4/ok", "8/403", "8/508", "9/508", "4/441", "8/438", "4/420"]) {
      expect(total.responses[k], `response ${k} never seen`).toBeGreaterThan(0);
    }
    expect(opened.every(isClosed)).toBe(true);
  }, 30_000);
});

// ---- regressions, on one session --------------------------------------------

describe("relay session: regressions", () => {
  const signedAllocate = (nonce: string, cred: Cred) =>
    new StunBuilder(Method.Allocate, Class.Request, new Uint8Array(12).fill(7)).addU32(Attr.RequestedTransport, 17 << 24)
      .addString(Attr.Username, cred.username).addString(Attr.Realm, FAKE_REALM).addString(Attr.Nonce, nonce).build(keyOf(cred));

  it("an error while answering an Allocate after the socket is bound closes that client (1011), with no unhandled rejection", async () => {
    const host = new FakeHost();
    const sock = new FakeSocket();
    const session = new RelaySession(host, sock, { family: 4, ip: "192.0.2.1", port: 1 });
    session.onFrame(new StunBuilder(Method.Allocate, Class.Request, new Uint8Array(12)).addU32(Attr.RequestedTransport, 17 << 24).build(), true);
    const challenge = parseStun(sock.sent[0]!);
    const nonce = challenge.ok ? getString(challenge.message, Attr.Nonce)! : "";
    // The socket fails underneath exactly when the success response goes out (after the await in onAllocate).
    sock.failSend = (f) => {
      const p = parseStun(f);
      return p.ok && p.message.cls === Class.Success;
    };
    session.onFrame(signedAllocate(nonce, VALID_CREDS[0]!), true);
    await new Promise((r) => setTimeout(r, 50));
    expect(sock.closes).toEqual([{ code: 1011, reason: "internal error" }]);
    expect(host.stats.internalErrors).toBe(1);
    expect(host.stats.allocations).toBe(0);
    expect(session.hasAllocation).toBe(false);
  });

  it("a close reason longer than a close frame holds is cut to 123 bytes of UTF-8 at a character boundary", () => {
    for (let pad = 0; pad < 4; pad++) {
      const host = new FakeHost();
      const sock = new FakeSocket();
      const session = new RelaySession(host, sock, { family: 4, ip: "192.0.2.1", port: 1 });
      const long = `refused${"!".repeat(pad)}: ${"é😀".repeat(60)}`;
      session.close(1008, long);
      const reason = sock.closes[0]!.reason;
      expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(123);
      expect(Buffer.byteLength(reason)).toBeGreaterThan(116);
      expect(reason).not.toMatch(/[\uD800-\uDBFF]$/);  // no half of a surrogate pair
      expect(long.startsWith(reason)).toBe(true);
    }
  });

  it("checkIntegrity leaves the frame as it was when it is a Buffer (as ws hands them over)", () => {
    const key = keyOf(VALID_CREDS[0]!);
    const bytes = new StunBuilder(Method.Refresh, Class.Request, new Uint8Array(12)).addString(Attr.Username, "u").build(key);
    const frame = Buffer.from(bytes);
    const p = parseStun(frame);
    expect(p.ok && checkIntegrity(p.message, key)).toBe(true);
    expect(frame.equals(Buffer.from(bytes))).toBe(true);
  });
});
