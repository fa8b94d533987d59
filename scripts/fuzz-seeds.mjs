#!/usr/bin/env node
// Seed corpora for the libFuzzer targets (docs/fuzzing.md).
//
//   npm run build && node scripts/fuzz-seeds.mjs            # generate, then minimise into fuzz/corpus/
//   node scripts/fuzz-seeds.mjs --no-merge [--out DIR]      # only write the raw seeds (default build/fuzz/seeds)
//   node scripts/fuzz-seeds.mjs --only stun_message_fuzz    # one target (repeatable)
//
// Real traffic first: two engine peers over UDP on 127.0.0.1, our engine against
// node-datachannel (libdatachannel/usrsctp/OpenSSL) on 127.0.0.1 (with our sends
// dropped for a while: FORWARD-TSN; and idle: usrsctp's HEARTBEAT), and two engine
// peers on the virtual network (through our TURN server; a lossy link with
// partially reliable channels and a long idle). Every datagram is taken from the
// engine's capture hook (`wasmrtc: { capture }`), the DTLS records decrypted with
// the engine's key log (`loadNodeEngineSync().setKeyLog`) into the plaintext SCTP
// packets, and those cut into chunks and DCEP messages. Candidates and SDPs come
// from native/sdp/testdata and the captures, DER from the certificates in the
// captured DTLS Certificate messages and from OpenSSL. The stateful targets get
// scripts written the way each one reads its input.
//
// The raw seeds go to build/fuzz/seeds/<target>/; then each target's binary
// (bash scripts/fuzz.sh --build-only) runs `-merge=1` with its max_len from
// fuzz/targets.tsv, and what it keeps is copied under its seed name into
// fuzz/corpus/<target>/ (the folder is replaced; regress-* files, kept findings, stay).
import { createCipheriv, createDecipheriv, createHash, createHmac } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const flag = (f) => argv.includes(f);
const opt = (f, d) => (argv.includes(f) ? argv[argv.indexOf(f) + 1] : d);
const OUT = path.resolve(opt("--out", path.join(ROOT, "build/fuzz/seeds")));
const ONLY = argv.flatMap((a, i) => (argv[i - 1] === "--only" ? [a] : []));
const log = (...a) => console.log("fuzz-seeds:", ...a);

// ---------------------------------------------------------------- bytes
const u8 = (...parts) => Buffer.concat(parts.map((p) => (typeof p === "number" ? Buffer.from([p]) : Buffer.from(p))));
const be16 = (v) => Buffer.from([(v >> 8) & 255, v & 255]);
const be32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); return b; };
const be64 = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(v)); return b; };
const str = (s) => Buffer.from(s, "utf8");
const hex = (h) => Buffer.from(h.replace(/[^0-9a-f]/gi, ""), "hex");
const rd16 = (b, o) => (b[o] << 8) | b[o + 1];
const rd24 = (b, o) => (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
const rd32 = (b, o) => b.readUInt32BE(o);
const pad4 = (n) => (n + 3) & ~3;
const sha1 = (b) => createHash("sha1").update(b).digest("hex");

const CRC32 = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
const crc32 = (b) => { let c = 0xffffffff; for (const x of b) c = CRC32[(c ^ x) & 255] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
const CRC32C = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
const crc32c = (b) => { let c = 0xffffffff; for (const x of b) c = CRC32C[(c ^ x) & 255] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };

// ---------------------------------------------------------------- STUN (RFC 8489)
const MAGIC = 0x2112a442;
const A = {
  MAPPED: 0x0001, USERNAME: 0x0006, MI: 0x0008, ERROR: 0x0009, UNKNOWN: 0x000a, CHANNEL: 0x000c, LIFETIME: 0x000d,
  XOR_PEER: 0x0012, DATA: 0x0013, REALM: 0x0014, NONCE: 0x0015, XOR_RELAYED: 0x0016, TRANSPORT: 0x0019,
  MI256: 0x001c, PWALG: 0x001d, USERHASH: 0x001e, XOR_MAPPED: 0x0020, PRIORITY: 0x0024, USE_CAND: 0x0025,
  PWALGS: 0x8002, ALT_DOMAIN: 0x8003, SOFTWARE: 0x8022, ALT_SERVER: 0x8023, FINGERPRINT: 0x8028,
  CONTROLLED: 0x8029, CONTROLLING: 0x802a,
};
const stunType = (method, cls) => ((method & 0xf80) << 2) | ((method & 0x70) << 1) | (method & 0xf) | ((cls & 2) << 7) | ((cls & 1) << 4);
const CLS = { request: 0, indication: 1, success: 2, error: 3 };
const tidOf = (s) => createHash("sha256").update(s).digest().subarray(0, 12);
function stunAttr(type, value) {
  const v = Buffer.from(value);
  return u8(be16(type), be16(v.length), v, Buffer.alloc(pad4(v.length) - v.length));
}
/** A STUN message; `mi` (HMAC-SHA1 key), `mi256` and `fingerprint` are appended as RFC 8489 §14.5/14.6/14.7 say. */
function stun(method, cls, tid, attrs, { mi, mi256, fingerprint } = {}) {
  let body = Buffer.concat(attrs.map(([t, v]) => stunAttr(t, v)));
  const header = (len) => u8(be16(stunType(method, cls)), be16(len), be32(MAGIC), tid);
  if (mi !== undefined) {
    const mac = createHmac("sha1", mi).update(u8(header(body.length + 24), body)).digest();
    body = u8(body, stunAttr(A.MI, mac));
  }
  if (mi256 !== undefined) {
    const mac = createHmac("sha256", mi256).update(u8(header(body.length + 36), body)).digest();
    body = u8(body, stunAttr(A.MI256, mac));
  }
  if (fingerprint) {
    const crc = (crc32(u8(header(body.length + 8), body)) ^ 0x5354554e) >>> 0;
    body = u8(body, stunAttr(A.FINGERPRINT, be32(crc)));
  }
  return u8(header(body.length), body);
}
function parseStun(b) {
  if (b.length < 20 || (b[0] & 0xc0) !== 0 || rd32(b, 4) !== MAGIC) return null;
  const len = rd16(b, 2);
  if (20 + len > b.length) return null;
  const attrs = [];
  for (let o = 20; o + 4 <= 20 + len;) {
    const t = rd16(b, o), l = rd16(b, o + 2);
    attrs.push([t, b.subarray(o + 4, o + 4 + l)]);
    o += 4 + pad4(l);
  }
  const type = rd16(b, 0);
  const method = (type & 0xf) | ((type >> 1) & 0x70) | ((type >> 2) & 0xf80);
  const cls = ((type >> 4) & 1) | ((type >> 7) & 2);
  return { type, method, cls, tid: b.subarray(8, 20), attrs };
}
const xorAddr4 = (ip, port) => u8(0, 1, be16(port ^ 0x2112), Buffer.from(ip.split(".").map((x, i) => Number(x) ^ ((MAGIC >>> (24 - 8 * i)) & 255))));
const xorAddr6 = (ip16, port, tid) => {
  const key = u8(be32(MAGIC), tid);
  return u8(0, 2, be16(port ^ 0x2112), Buffer.from(ip16.map((x, i) => x ^ key[i])));
};
const addr4 = (ip, port) => u8(0, 1, be16(port), Buffer.from(ip.split(".").map(Number)));
/** Removes integrity/fingerprint and re-signs with another key and username (the captured checks, for the ICE agent fuzzer's credentials). */
function resign(msg, username, key) {
  const m = parseStun(msg);
  const keep = m.attrs.filter(([t]) => t !== A.MI && t !== A.MI256 && t !== A.FINGERPRINT).map(([t, v]) => (t === A.USERNAME && username ? [t, str(username)] : [t, v]));
  return stun(m.method, m.cls, m.tid, keep, { mi: key, fingerprint: true });
}

// ---------------------------------------------------------------- DTLS 1.2 (RFC 6347) and its key schedule
function* dtlsRecords(dg) {
  for (let o = 0; o + 13 <= dg.length;) {
    const len = rd16(dg, o + 11);
    if (o + 13 + len > dg.length) return;
    yield { type: dg[o], version: rd16(dg, o + 1), epoch: rd16(dg, o + 3), seq: dg.readUIntBE(o + 5, 6), frag: dg.subarray(o + 13, o + 13 + len), whole: dg.subarray(o, o + 13 + len) };
    o += 13 + len;
  }
}
function prf(hash, secret, label, seed, n) {
  const s = u8(str(label), seed);
  const out = [];
  let a = s, got = 0;
  while (got < n) {
    a = createHmac(hash, secret).update(a).digest();
    const p = createHmac(hash, secret).update(u8(a, s)).digest();
    out.push(p);
    got += p.length;
  }
  return Buffer.concat(out).subarray(0, n);
}
const SUITES = { 0xc02b: ["sha256", 16], 0xc02f: ["sha256", 16], 0xc02c: ["sha384", 32], 0xc030: ["sha384", 32] };
function gcm(decrypt, key, iv4, rec, explicit, body, plainLen) {
  const alg = key.length === 16 ? "aes-128-gcm" : "aes-256-gcm";
  const nonce = u8(iv4, explicit);
  const seq6 = Buffer.alloc(6);
  seq6.writeUIntBE(rec.seq, 0, 6);
  const aad = u8(be16(rec.epoch), seq6, rec.type, be16(0xfefd), be16(plainLen));
  if (decrypt) {
    const d = createDecipheriv(alg, key, nonce);
    d.setAAD(aad);
    d.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]);
  }
  const c = createCipheriv(alg, key, nonce);
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(body), c.final()]);
  return u8(ct, c.getAuthTag());
}
/** A protected record as RecordCipher::seal writes it (explicit nonce = epoch || seq). */
function sealRecord(key, salt, type, epoch, seq, plain) {
  const seq6 = Buffer.alloc(6);
  seq6.writeUIntBE(seq, 0, 6);
  const explicit = u8(be16(epoch), seq6);
  const body = gcm(false, key, salt, { epoch, seq, type }, explicit, plain, plain.length);
  return u8(type, be16(0xfefd), be16(epoch), seq6, be16(8 + body.length), explicit, body);
}

/**
 * One capture's DTLS session: handshake messages (by type, per direction) and,
 * with the key log, every protected record's plaintext.
 */
function dtlsSession(dgrams, keyLines) {
  const hs = [];  // { dir, type, body }
  let clientRandom, serverRandom, suite, clientDir;
  for (const d of dgrams) {
    if (d.kind !== "dtls") continue;
    for (const r of dtlsRecords(d.payload)) {
      if (r.type !== 22 || r.epoch !== 0) continue;
      for (let o = 0; o + 12 <= r.frag.length;) {
        const type = r.frag[o], len = rd24(r.frag, o + 1), off = rd24(r.frag, o + 6), flen = rd24(r.frag, o + 9);
        const body = r.frag.subarray(o + 12, o + 12 + flen);
        if (off === 0 && flen === len) hs.push({ dir: d.dir, type, body });
        else hs.push({ dir: d.dir, type, body, fragment: { off, len } });
        if (type === 1 && off === 0) { clientRandom = body.subarray(2, 34); clientDir = d.dir; }
        if (type === 2 && off === 0) {
          serverRandom = body.subarray(2, 34);
          const sidLen = body[34];
          suite = rd16(body, 35 + sidLen);
        }
        o += 12 + flen;
      }
    }
  }
  // Reassemble fragmented handshake messages (a large certificate chain).
  const whole = [];
  const partial = new Map();
  for (const h of hs) {
    if (!h.fragment) { whole.push(h); continue; }
    const k = `${h.dir}/${h.type}`;
    const buf = partial.get(k) ?? Buffer.alloc(h.fragment.len);
    h.body.copy(buf, h.fragment.off);
    partial.set(k, buf);
  }
  for (const [k, body] of partial) whole.push({ dir: k.split("/")[0], type: Number(k.split("/")[1]), body });
  const plain = [];  // { dir, type, epoch, seq, data }
  const line = clientRandom && keyLines.find((l) => l.startsWith(`CLIENT_RANDOM ${clientRandom.toString("hex")} `));
  if (line && SUITES[suite]) {
    const master = hex(line.split(" ")[2]);
    const [hash, klen] = SUITES[suite];
    const kb = prf(hash, master, "key expansion", u8(serverRandom, clientRandom), 2 * klen + 8);
    const keys = {
      client: [kb.subarray(0, klen), kb.subarray(2 * klen, 2 * klen + 4)],
      server: [kb.subarray(klen, 2 * klen), kb.subarray(2 * klen + 4, 2 * klen + 8)],
    };
    const seen = new Set();
    for (const d of dgrams) {
      if (d.kind !== "dtls") continue;
      for (const r of dtlsRecords(d.payload)) {
        if (r.epoch === 0 || r.frag.length < 24) continue;
        const id = `${d.dir}/${r.epoch}/${r.seq}`;
        if (seen.has(id)) continue;
        seen.add(id);
        const [key, iv] = keys[d.dir === clientDir ? "client" : "server"];
        try {
          const data = gcm(true, key, iv, r, r.frag.subarray(0, 8), r.frag.subarray(8), r.frag.length - 24);
          plain.push({ dir: d.dir, type: r.type, epoch: r.epoch, seq: r.seq, data });
        } catch {
          // not ours (another session's key): skip
        }
      }
    }
  }
  return { handshake: whole, plain, clientDir, suite, decrypted: !!line };
}

// ---------------------------------------------------------------- SCTP (RFC 9260)
function sctpChunks(pkt) {
  const out = [];
  for (let o = 12; o + 4 <= pkt.length;) {
    const len = rd16(pkt, o + 2);
    if (len < 4 || o + len > pkt.length) break;
    out.push({ type: pkt[o], flags: pkt[o + 1], value: pkt.subarray(o + 4, o + len), whole: pkt.subarray(o, Math.min(pkt.length, o + pad4(len))) });
    o += pad4(len);
  }
  return out;
}
const CHUNK_NAMES = {
  0: "data", 1: "init", 2: "init-ack", 3: "sack", 4: "heartbeat", 5: "heartbeat-ack", 6: "abort", 7: "shutdown",
  8: "shutdown-ack", 9: "error", 10: "cookie-echo", 11: "cookie-ack", 14: "shutdown-complete", 64: "i-data",
  128: "asconf-ack", 130: "re-config", 192: "forward-tsn", 193: "asconf", 194: "i-forward-tsn",
};
const chunkName = (t) => CHUNK_NAMES[t] ?? `chunk${t}`;
/** DCEP payloads (PPID 50) of the DATA / I-DATA chunks of a packet. */
function dcepPayloads(pkt) {
  const out = [];
  for (const c of sctpChunks(pkt)) {
    if (c.type === 0 && c.value.length >= 12 && rd32(c.value, 8) === 50) out.push(c.value.subarray(12));
    if (c.type === 64 && c.value.length >= 16 && (c.flags & 2) && rd32(c.value, 12) === 50) out.push(c.value.subarray(16));
  }
  return out;
}

// ---------------------------------------------------------------- captures
/** What a datagram carries: STUN, DTLS, TURN ChannelData (unwrapped), or a TURN Data/Send indication (unwrapped). */
function classify(data) {
  const b = Buffer.from(data);
  const out = [];
  if (b.length >= 4 && b[0] >= 0x40 && b[0] <= 0x7f) {
    out.push({ kind: "channeldata", payload: b });
    const inner = b.subarray(4, 4 + rd16(b, 2));
    out.push(...classify(inner).map((x) => ({ ...x, relayed: true })));
    return out;
  }
  if (b.length >= 20 && b[0] <= 3) {
    out.push({ kind: "stun", payload: b });
    const m = parseStun(b);
    const d = m?.attrs.find(([t]) => t === A.DATA);
    if (m && m.cls === CLS.indication && d) out.push(...classify(d[1]).map((x) => ({ ...x, relayed: true })));
    return out;
  }
  if (b.length >= 13 && b[0] >= 20 && b[0] <= 63) return [{ kind: "dtls", payload: b }];
  return [{ kind: "other", payload: b }];
}

function recorder() {
  const dgrams = [];
  return {
    dgrams,
    datagram(dir, local, remote, data) {
      for (const c of classify(data)) dgrams.push({ dir, local: `${local.ip}:${local.port}`, remote: `${remote.ip}:${remote.port}`, ...c });
    },
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function realPump(pcs, done, ms) {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) {
    for (const p of pcs) p.poll();
    await sleep(2);
  }
  return done();
}

function wireGodot(a, b, sdps, candidates) {
  a.session_description_created.connect((t, s) => { sdps.push(s); a.set_local_description(t, s); b.set_remote_description(t, s); });
  b.session_description_created.connect((t, s) => { sdps.push(s); b.set_local_description(t, s); a.set_remote_description(t, s); });
  a.ice_candidate_created.connect((m, i, c) => { candidates.push(c); b.add_ice_candidate(m, i, c); });
  b.ice_candidate_created.connect((m, i, c) => { candidates.push(c); a.add_ice_candidate(m, i, c); });
}

/** Keeps every channel the other side announces (a channel without a listener is closed) and reads what arrives. */
function keepChannels(pc) {
  const chans = [];
  pc.data_channel_received.connect((c) => chans.push(c));
  return {
    chans,
    drain() { for (const c of chans) while (c.get_available_packet_count() > 0) c.get_packet(); },
  };
}

const bytesOf = (n, seed) => Uint8Array.from({ length: n }, (_, k) => (k * 31 + seed) & 255);

/** Two engine peers over UDP on 127.0.0.1: handshake, channels of every kind, messages, a channel close, the close. */
async function captureUdp(W) {
  const { WebRTCPeerConnection, WebRTCDataChannel } = W;
  const cap = recorder();
  const sdps = [], candidates = [];
  const a = new WebRTCPeerConnection(), b = new WebRTCPeerConnection();
  a.initialize({ wasmrtc: { bind: ["127.0.0.1"], capture: cap } });
  b.initialize({ wasmrtc: { bind: ["127.0.0.1"] } });
  wireGodot(a, b, sdps, candidates);
  const kb = keepChannels(b);
  const chat = a.create_data_channel("chat", { protocol: "proto-x" });
  const unordered = a.create_data_channel("unordered-rexmit0", { ordered: false, maxRetransmits: 0 });
  const timed = a.create_data_channel("timed", { maxPacketLifeTime: 150 });
  const neg = a.create_data_channel("negotiated", { negotiated: true, id: 9 });
  b.create_data_channel("negotiated", { negotiated: true, id: 9 });
  a.create_offer();
  const all = [chat, unordered, timed, neg];
  const open = () => all.every((c) => c.get_ready_state() === WebRTCDataChannel.STATE_OPEN) && kb.chans.length >= 3;
  if (!(await realPump([a, b], open, 8000))) throw new Error("udp: channels did not open");
  chat.write_mode = WebRTCDataChannel.WRITE_MODE_TEXT;
  chat.put_packet(str("hello fuzz"));
  chat.write_mode = WebRTCDataChannel.WRITE_MODE_BINARY;
  chat.put_packet(bytesOf(3000, 1));   // fragmented over several packets
  chat.put_packet(new Uint8Array(0));  // an empty message (PPID 57)
  unordered.put_packet(bytesOf(1500, 2));
  timed.put_packet(bytesOf(20, 3));
  neg.put_packet(bytesOf(40000, 4));   // many packets, SACKs
  for (const c of kb.chans) { c.put_packet(bytesOf(100, 5)); }
  await realPump([a, b], () => { kb.drain(); return false; }, 400);
  unordered.close();                   // RE-CONFIG: outgoing stream reset, and its response
  await realPump([a, b], () => { kb.drain(); return false; }, 300);
  a.close();                           // ABORT / SHUTDOWN and close_notify
  await realPump([b], () => false, 100);
  b.close();
  await sleep(50);
  return { name: "udp", dgrams: cap.dgrams, sdps, candidates };
}

/** Real UDP whose sends a `drop(datagram)` predicate may lose (after the capture saw them). */
class DroppingUdp {
  constructor(W) { this.inner = new W.NodeUdpTransport(); this.drop = null; }
  async bind(opts) {
    const s = await this.inner.bind(opts);
    const self = this;
    return {
      get local() { return s.local; },
      get stableBuffers() { return s.stableBuffers; },
      get onDatagram() { return s.onDatagram; },
      set onDatagram(f) { s.onDatagram = f; },
      send(d, to) { if (!self.drop?.(d)) s.send(d, to); },
      close() { s.close(); },
    };
  }
  localAddresses() { return this.inner.localAddresses(); }
  resolve(h) { return this.inner.resolve ? this.inner.resolve(h) : Promise.resolve(null); }
}

/** Our engine against node-datachannel (libdatachannel, libjuice, usrsctp, OpenSSL) on 127.0.0.1; node-datachannel offers. */
async function captureLibdatachannel(W) {
  let RTCPeerConnection;
  try {
    ({ RTCPeerConnection } = await import("node-datachannel/polyfill"));
  } catch {
    log("node-datachannel not installed: its capture skipped");
    return null;
  }
  const { WebRTCPeerConnection, WebRTCDataChannel } = W;
  const cap = recorder();
  const sdps = [], candidates = [];
  const a = new WebRTCPeerConnection();
  const transport = new DroppingUdp(W);
  a.initialize({ wasmrtc: { bind: ["127.0.0.1"], capture: cap, transport } });
  const ka = keepChannels(a);
  const n = new RTCPeerConnection({ iceServers: [], bindAddress: "127.0.0.1" });
  const early = [];
  let haveRemote = false;
  a.session_description_created.connect(async (t, s) => {
    sdps.push(s);
    a.set_local_description(t, s);
    await n.setRemoteDescription({ type: t, sdp: s });
    haveRemote = true;
    for (const c of early.splice(0)) await n.addIceCandidate(c);
  });
  a.ice_candidate_created.connect((m, i, c) => {
    candidates.push(c);
    const cand = { candidate: c.startsWith("candidate:") ? c : `candidate:${c}`, sdpMid: m, sdpMLineIndex: i };
    if (haveRemote) n.addIceCandidate(cand); else early.push(cand);
  });
  n.onicecandidate = (e) => {
    const c = e?.candidate?.candidate;
    if (!c) return;
    candidates.push(c);
    a.add_ice_candidate(e.candidate.sdpMid ?? "0", e.candidate.sdpMLineIndex ?? 0, c.replace(/^a=/, ""));
  };
  const opened = new Set();
  const dcs = [
    n.createDataChannel("ndc-chat", { protocol: "ndc-proto" }),
    n.createDataChannel("ndc-unordered", { ordered: false, maxRetransmits: 1 }),
    n.createDataChannel("ndc-timed", { ordered: false, maxPacketLifeTime: 100 }),
  ];
  for (const dc of dcs) dc.onopen = () => opened.add(dc.label);
  const offer = await n.createOffer();
  await n.setLocalDescription(offer);
  sdps.push(offer.sdp);
  a.set_remote_description("offer", n.localDescription?.sdp ?? offer.sdp);
  const ok = await realPump([a], () => opened.size === 3 && ka.chans.length === 3 && ka.chans.every((c) => c.get_ready_state() === WebRTCDataChannel.STATE_OPEN), 10000);
  if (!ok) {
    log("libdatachannel: channels did not open; using what was captured");
  } else {
    dcs[0].send("hello from usrsctp");
    dcs[0].send(Buffer.from(bytesOf(5000, 6)));
    dcs[1].send(Buffer.from(bytesOf(800, 7)));
    dcs[2].send(Buffer.from(bytesOf(60, 8)));
    for (const c of ka.chans) c.put_packet(bytesOf(1200, 9));
    await realPump([a], () => { ka.drain(); return false; }, 400);
    // Every other DTLS application-data datagram we send is lost for a while: the timed channel's
    // messages expire and we send FORWARD-TSN (plain: usrsctp does not offer I-DATA); SACKs with gaps.
    let k = 0;
    transport.drop = (d) => d[0] === 23 && k++ % 2 === 0;
    const timed = ka.chans.find((c) => c.get_label() === "ndc-timed");
    for (let i = 0; i < 12; i++) timed?.put_packet(bytesOf(300 + i, 12));
    await realPump([a], () => { ka.drain(); return false; }, 2500);
    transport.drop = null;
    await realPump([a], () => { ka.drain(); return false; }, 1500);
    dcs[1].close();
    await realPump([a], () => { ka.drain(); return false; }, 300);
    // Idle: usrsctp sends HEARTBEATs (libdatachannel sets a 10 s interval); ours answers, it never sends one.
    await realPump([a], () => { ka.drain(); return false; }, 14000);
  }
  n.close();
  await realPump([a], () => false, 300);
  a.close();
  await sleep(50);
  return { name: "ndc", dgrams: cap.dgrams, sdps, candidates };
}

async function virtualWorld(W, { loss = 0, seed = 1 } = {}) {
  const clock = new W.VirtualClock();
  const net = new W.VirtualNetwork(clock, { seed, defaultLink: { latencyMs: 10, loss } });
  const frame = async () => {
    clock.advance(5);
    for (let i = 0; i < 8; i++) await null;
  };
  const until = async (pcs, cond, ms) => {
    const end = clock.now() + ms;
    while (clock.now() < end) {
      for (const p of pcs) p.poll();
      if (cond()) return true;
      await frame();
    }
    return cond();
  };
  return { clock, net, until };
}

/** Two engine peers on the virtual network through our TURN server (relay only): Allocate, permissions, channels, ChannelData. */
async function captureTurn(W) {
  const { WebRTCPeerConnection, WebRTCDataChannel } = W;
  const { clock, net, until } = await virtualWorld(W);
  const SECRET = "fuzz-seeds-turn-secret", WALL = Date.UTC(2030, 0, 1);
  const server = await W.createTurnUdpServer({
    transport: net.addHost("192.0.2.100"), clock, listen: { ip: "192.0.2.100", port: 3478 }, secret: SECRET, realm: "fuzz",
    policy: { check: () => null }, wallClock: () => WALL,
  });
  const ice = (user) => { const c = W.createRelayCredentials(SECRET, user, 3600, WALL); return { urls: ["turn:192.0.2.100:3478"], username: c.username, credential: c.credential }; };
  const cap = recorder();
  const sdps = [], candidates = [];
  const a = new WebRTCPeerConnection(), b = new WebRTCPeerConnection();
  const cfg = (ip, extra) => ({ iceServers: [ice(ip)], iceTransportPolicy: "relay", wasmrtc: { transport: net.addHost(ip), clock, inputMode: "immediate", ...extra } });
  a.initialize(cfg("10.0.1.1", { capture: cap }));
  b.initialize(cfg("10.0.2.1", {}));
  wireGodot(a, b, sdps, candidates);
  const kb = keepChannels(b);
  const ch = a.create_data_channel("via-turn");
  a.create_offer();
  if (!(await until([a, b], () => ch.get_ready_state() === WebRTCDataChannel.STATE_OPEN && kb.chans.length === 1, 45000))) throw new Error("turn: did not connect");
  ch.put_packet(bytesOf(900, 10));
  kb.chans[0].put_packet(bytesOf(30, 11));
  await until([a, b], () => { kb.drain(); return false; }, 2000);
  a.close();
  await until([b], () => false, 500);
  b.close();
  server.close();
  return { name: "turn", dgrams: cap.dgrams, sdps, candidates };
}

/**
 * Two engine peers on a lossy virtual link: partially reliable channels lose
 * messages for good (FORWARD-TSN), retransmissions, SACK gaps, duplicates; a
 * long idle (HEARTBEAT, consent checks); one side closes (SHUTDOWN / ABORT).
 */
async function captureLossy(W) {
  const { WebRTCPeerConnection, WebRTCDataChannel } = W;
  const { net, until } = await virtualWorld(W, { seed: 7 });
  const cap = recorder();
  const sdps = [], candidates = [];
  const a = new WebRTCPeerConnection(), b = new WebRTCPeerConnection();
  const { clock } = net;
  const cfg = (ip, extra) => ({ iceServers: [], wasmrtc: { transport: net.addHost(ip), clock, inputMode: "immediate", ...extra } });
  a.initialize(cfg("10.0.1.1", { capture: cap }));
  b.initialize(cfg("10.0.2.1", {}));
  wireGodot(a, b, sdps, candidates);
  const kb = keepChannels(b);
  const rexmit0 = a.create_data_channel("rexmit0", { ordered: false, maxRetransmits: 0 });
  const lifetime = a.create_data_channel("lifetime", { ordered: true, maxPacketLifeTime: 50 });
  const reliable = a.create_data_channel("reliable");
  a.create_offer();
  const all = [rexmit0, lifetime, reliable];
  if (!(await until([a, b], () => all.every((c) => c.get_ready_state() === WebRTCDataChannel.STATE_OPEN) && kb.chans.length === 3, 20000))) throw new Error("lossy: did not connect");
  net.setLink("10.0.1.1", "10.0.2.1", { latencyMs: 10, loss: 0.3, duplicate: 0.05, jitterMs: 8, reorder: true });
  for (let i = 0; i < 30; i++) {
    rexmit0.put_packet(bytesOf(400 + i * 37, i));
    lifetime.put_packet(bytesOf(700, i));
    if (i % 3 === 0) reliable.put_packet(bytesOf(2500, i));
    await until([a, b], () => { kb.drain(); return false; }, 20);
  }
  await until([a, b], () => { kb.drain(); return false; }, 5000);
  net.setLink("10.0.1.1", "10.0.2.1", { latencyMs: 10 });
  await until([a, b], () => { kb.drain(); return false; }, 65000);  // idle: HEARTBEAT, consent freshness
  a.close();
  await until([b], () => false, 2000);
  b.close();
  return { name: "lossy", dgrams: cap.dgrams, sdps, candidates };
}

// ---------------------------------------------------------------- seeds
class Seeds {
  constructor() { this.by = new Map(); }
  add(target, name, bytes) {
    if (!this.by.has(target)) this.by.set(target, new Map());
    const m = this.by.get(target);
    const b = Buffer.from(bytes);
    const h = sha1(b);
    for (const v of m.values()) if (v.hash === h) return;
    let n = name.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 80) || "seed";
    if (m.has(n)) { let k = 2; while (m.has(`${n}-${k}`)) k++; n = `${n}-${k}`; }
    m.set(n, { bytes: b, hash: h });
  }
}

function readTargets() {
  const t = new Map();
  for (const l of fs.readFileSync(path.join(ROOT, "fuzz/targets.tsv"), "utf8").split("\n")) {
    if (!l.trim() || l.startsWith("#")) continue;
    const [name, maxLen, dict] = l.split("\t");
    t.set(name, { maxLen: Number(maxLen), dict: dict && dict !== "-" ? dict : null });
  }
  return t;
}

const STUN_NAMES = { 1: "binding", 3: "allocate", 4: "refresh", 6: "send", 7: "data", 8: "create-permission", 9: "channel-bind" };
const CLS_NAMES = ["request", "indication", "success", "error"];
const stunName = (m) => `${STUN_NAMES[m.method] ?? `method${m.method}`}-${CLS_NAMES[m.cls]}`;
const HS_NAMES = { 0: "hello-request", 1: "client-hello", 2: "server-hello", 3: "hello-verify-request", 11: "certificate", 12: "server-key-exchange", 13: "certificate-request", 14: "server-hello-done", 15: "certificate-verify", 16: "client-key-exchange", 20: "finished" };
const CT_NAMES = { 20: "ccs", 21: "alert", 22: "handshake", 23: "appdata" };

// --- STUN: every kind of message the captures hold, and those they do not (TURN errors, IPv6, integrity with the fuzzer's key "key").
function stunSeeds(S, caps) {
  const seen = new Set();
  for (const c of caps) {
    for (const d of c.dgrams) {
      if (d.kind !== "stun") continue;
      const m = parseStun(d.payload);
      const sig = `${m.type}/${m.attrs.map(([t]) => t).join(",")}`;
      if (seen.has(sig)) continue;
      seen.add(sig);
      S.add("stun_message_fuzz", `${c.name}-${stunName(m)}`, d.payload);
    }
  }
  const tid = tidOf("stun");
  const key = str("key");  // what the target checks integrity with
  const B = 1, req = CLS.request, ok = CLS.success, err = CLS.error;
  const hand = {
    "binding-request-integrity-key": stun(B, req, tid, [[A.USERNAME, str("abcd:efgh")], [A.PRIORITY, be32(0x6e7f00ff)], [A.CONTROLLING, be64(0x1122334455667788n)], [A.USE_CAND, Buffer.alloc(0)]], { mi: key, fingerprint: true }),
    "binding-request-integrity-sha256-key": stun(B, req, tid, [[A.USERNAME, str("abcd:efgh")], [A.CONTROLLED, be64(7n)]], { mi256: key, fingerprint: true }),
    "binding-request-bare": stun(B, req, tid, []),
    "binding-indication": stun(B, CLS.indication, tid, [], { fingerprint: true }),
    "binding-success-xor-v6": stun(B, ok, tid, [[A.XOR_MAPPED, xorAddr6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 54321, tid)], [A.SOFTWARE, str("fuzz")]], { mi: key, fingerprint: true }),
    "binding-success-mapped-v4": stun(B, ok, tid, [[A.MAPPED, addr4("192.0.2.1", 3478)], [A.XOR_MAPPED, xorAddr4("192.0.2.1", 3478)]], { fingerprint: true }),
    "binding-error-487-role-conflict": stun(B, err, tid, [[A.ERROR, u8(0, 0, 4, 87, str("Role Conflict"))]], { mi: key, fingerprint: true }),
    "binding-error-420-unknown": stun(B, err, tid, [[A.ERROR, u8(0, 0, 4, 20, str("Unknown Attribute"))], [A.UNKNOWN, u8(be16(0x0031), be16(0x7fff))]], { fingerprint: true }),
    "binding-request-unknown-required": stun(B, req, tid, [[0x0031, str("???")], [A.USERNAME, str("a:b")]], { mi: key }),
    "allocate-error-401": stun(3, err, tid, [[A.ERROR, u8(0, 0, 4, 1, str("Unauthorized"))], [A.REALM, str("example.org")], [A.NONCE, str("obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA")], [A.PWALGS, u8(be16(1), be16(0), be16(2), be16(0))]], { fingerprint: true }),
    "allocate-error-438-stale-nonce": stun(3, err, tid, [[A.ERROR, u8(0, 0, 4, 38, str("Stale Nonce"))], [A.REALM, str("r")], [A.NONCE, str("n2")]], {}),
    "allocate-success": stun(3, ok, tid, [[A.XOR_RELAYED, xorAddr4("198.51.100.7", 50000)], [A.XOR_MAPPED, xorAddr4("203.0.113.9", 40000)], [A.LIFETIME, be32(600)]], { mi: key, fingerprint: true }),
    "allocate-request-userhash": stun(3, req, tid, [[A.TRANSPORT, u8(17, 0, 0, 0)], [A.USERHASH, createHash("sha256").update("u:r").digest()], [A.REALM, str("r")], [A.NONCE, str("n")], [A.PWALG, u8(be16(2), be16(0))]], { mi256: key, fingerprint: true }),
    "allocate-error-300-alternate": stun(3, err, tid, [[A.ERROR, u8(0, 0, 3, 0, str("Try Alternate"))], [A.ALT_SERVER, addr4("192.0.2.2", 3478)], [A.ALT_DOMAIN, str("turn.example.org")]], {}),
    "channel-bind-request": stun(9, req, tid, [[A.CHANNEL, u8(0x40, 0x01, 0, 0)], [A.XOR_PEER, xorAddr4("10.0.0.2", 6000)]], { mi: key, fingerprint: true }),
    "data-indication": stun(7, CLS.indication, tid, [[A.XOR_PEER, xorAddr4("10.0.0.2", 6000)], [A.DATA, str("payload")]], {}),
  };
  for (const [n, b] of Object.entries(hand)) S.add("stun_message_fuzz", `hand-${n}`, b);
}

// --- DTLS records: captured datagrams as they are, and the decrypted records sealed again with record_fuzz's fixed key.
const FUZZ_KEY = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
const FUZZ_SALT = Buffer.from([9, 9, 9, 9]);
function recordSeeds(S, caps, sessions) {
  for (const c of caps) {
    const seen = new Set();
    for (const d of c.dgrams) {
      if (d.kind !== "dtls") continue;
      const recs = [...dtlsRecords(d.payload)];
      const sig = `${d.dir}/${recs.map((r) => `${r.type}.${r.epoch}`).join(",")}`;
      if (seen.has(sig)) continue;
      seen.add(sig);
      S.add("record_fuzz", `${c.name}-${d.dir}-${recs.map((r) => CT_NAMES[r.type] ?? r.type).join("+")}`, d.payload);
    }
    const s = sessions.get(c.name);
    const seenPlain = new Set();
    const sealed = [];
    for (const p of s.plain) {
      const sig = p.type === 23 ? `23/${sctpChunks(p.data).map((x) => x.type).join(",")}` : `${p.type}`;
      if (seenPlain.has(sig)) continue;
      seenPlain.add(sig);
      const r = sealRecord(FUZZ_KEY, FUZZ_SALT, p.type, p.epoch, p.seq, p.data);
      sealed.push(r);
      const what = p.type === 23 ? `sctp-${sctpChunks(p.data).map((x) => chunkName(x.type)).join("+")}` : CT_NAMES[p.type];
      S.add("record_fuzz", `${c.name}-sealed-${what}`, r);
    }
    // Several records in one datagram: in order, a replay, an old one, a new epoch.
    if (sealed.length >= 3) S.add("record_fuzz", `${c.name}-sealed-several-with-replay`, u8(sealed[1], sealed[2], sealed[1], sealed[0]));
  }
  S.add("record_fuzz", "hand-sealed-epoch2-max-seq", sealRecord(FUZZ_KEY, FUZZ_SALT, 23, 2, 2 ** 48 - 1, str("x")));
  S.add("record_fuzz", "hand-dtls10-handshake", u8(22, be16(0xfeff), be16(0), Buffer.alloc(6), be16(4), 1, 0, 0, 0));
}

// --- The DTLS handshake target: one side's datagrams in order, 0xFE 0xFE between them (both parities: odd sizes turn the server's cookie on).
function handshakeSeeds(S, caps, sessions) {
  const SEP = Buffer.from([0xfe, 0xfe]);
  const join = (ds) => Buffer.concat(ds.flatMap((d, i) => (i ? [SEP, d] : [d])));
  const both = (name, b) => {
    S.add("handshake_fuzz", `${name}-${b.length & 1 ? "odd" : "even"}`, b);
    const flipped = u8(b, SEP, 0);  // one more (1-byte) datagram flips the parity
    S.add("handshake_fuzz", `${name}-${flipped.length & 1 ? "odd" : "even"}`, flipped);
  };
  for (const c of caps) {
    const s = sessions.get(c.name);
    for (const role of ["client", "server"]) {
      const dir = role === "client" ? s.clientDir : s.clientDir === "in" ? "out" : "in";
      const seen = new Set();
      const ds = [];
      for (const d of c.dgrams) {
        if (d.kind !== "dtls" || d.dir !== dir) continue;
        const h = sha1(d.payload);
        if (seen.has(h)) continue;
        seen.add(h);
        if (d.payload.includes(SEP)) continue;  // would be cut in two
        ds.push(d.payload);
      }
      const hsOnly = ds.filter((d) => [...dtlsRecords(d)].every((r) => r.type !== 23));
      if (!hsOnly.length) continue;
      both(`${c.name}-${role}-flights`, join(hsOnly));
      both(`${c.name}-${role}-first-flight`, hsOnly[0]);
      if (ds.length > hsOnly.length) both(`${c.name}-${role}-flights-then-appdata`, join(ds.slice(0, Math.min(ds.length, hsOnly.length + 3))));
    }
  }
  // A HelloVerifyRequest (engine peers do not use cookies) and an alert.
  const hvrBody = u8(be16(0xfeff), 20, Buffer.alloc(20, 0xab));
  const hvr = u8(22, be16(0xfeff), be16(0), Buffer.alloc(6), be16(12 + hvrBody.length), 3, 0, 0, hvrBody.length, 0, 0, 0, 0, 0, 0, 0, hvrBody.length, hvrBody);
  S.add("handshake_fuzz", "hand-hello-verify-request", hvr);
  S.add("handshake_fuzz", "hand-fatal-alert", u8(21, be16(0xfefd), be16(0), Buffer.alloc(6), be16(2), 2, 40));
}

// --- DER: the captured certificates and signatures, and OpenSSL-made certificates and keys.
function asn1Seeds(S, caps, sessions) {
  for (const c of caps) {
    const s = sessions.get(c.name);
    for (const h of s.handshake) {
      if (h.type === 11) {
        const total = rd24(h.body, 0);
        for (let o = 3, k = 0; o + 3 <= 3 + total && o + 3 <= h.body.length; k++) {
          const l = rd24(h.body, o);
          S.add("asn1_fuzz", `${c.name}-${h.dir}-certificate-${k}`, h.body.subarray(o + 3, o + 3 + l));
          o += 3 + l;
        }
      }
      if (h.type === 15) S.add("asn1_fuzz", `${c.name}-certificate-verify-signature`, h.body.subarray(4, 4 + rd16(h.body, 2)));
      if (h.type === 12) {
        const o = 4 + h.body[3];
        S.add("asn1_fuzz", `${c.name}-server-key-exchange-signature`, h.body.subarray(o + 4, o + 4 + rd16(h.body, o + 2)));
      }
    }
  }
  if (spawnSync("openssl", ["version"]).status !== 0) { log("no openssl: its DER skipped"); return; }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fuzz-seeds-der-"));
  const ssl = (...a) => execFileSync("openssl", a, { stdio: ["ignore", "pipe", "ignore"] });
  try {
    const keys = {
      "ec-p256": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
      "ec-p384": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp384r1"],
      "rsa-1024": ["-newkey", "rsa:1024"],
      ed25519: ["-newkey", "ed25519"],
    };
    for (const [n, k] of Object.entries(keys)) {
      const key = path.join(tmp, `${n}.key`);
      const cert = ssl("req", "-x509", ...k, "-keyout", key, "-nodes", "-subj", "/CN=fuzz.example/O=wasmrtc", "-days", "30", "-sha256", "-outform", "DER");
      S.add("asn1_fuzz", `openssl-${n}-certificate`, cert);
      S.add("asn1_fuzz", `openssl-${n}-spki`, ssl("pkey", "-in", key, "-pubout", "-outform", "DER"));
      S.add("asn1_fuzz", `openssl-${n}-private-key`, ssl("pkey", "-in", key, "-outform", "DER"));
    }
    const key = path.join(tmp, "ec-p256.key");
    S.add("asn1_fuzz", "openssl-ec-p256-csr", ssl("req", "-new", "-key", key, "-subj", "/CN=csr", "-outform", "DER"));
    fs.writeFileSync(path.join(tmp, "m"), "message");
    S.add("asn1_fuzz", "openssl-ecdsa-signature", ssl("dgst", "-sha256", "-sign", key, path.join(tmp, "m")));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// --- SDPs and candidate lines: the fixtures and the captures' own, and variants the fixtures lack.
function sdpSeeds(S, caps) {
  const dir = path.join(ROOT, "native/sdp/testdata");
  const texts = [];
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".sdp")).sort()) {
    const t = fs.readFileSync(path.join(dir, f), "utf8");
    texts.push(t);
    S.add("session_description_fuzz", `fixture-${f.replace(/\.sdp$/, "")}`, str(t));
  }
  for (const c of caps) c.sdps.forEach((t, i) => { texts.push(t); S.add("session_description_fuzz", `${c.name}-${i ? "answer" : "offer"}`, str(t)); });
  const base = caps.find((c) => c.name === "udp")?.sdps[0] ?? texts[0];
  S.add("session_description_fuzz", "variant-lf-line-ends", str(base.replace(/\r\n/g, "\n")));
  S.add("session_description_fuzz", "variant-ice-lite-session-fingerprint", str(base.replace("t=0 0\r\n", "t=0 0\r\na=ice-lite\r\na=fingerprint:sha-256 " + Array.from({ length: 32 }, (_, i) => (i * 7 & 255).toString(16).padStart(2, "0").toUpperCase()).join(":") + "\r\n")));
  S.add("session_description_fuzz", "variant-audio-then-application", str(base.replace("a=group:BUNDLE 0", "a=group:BUNDLE 1 0").replace(/m=application/, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=rtpmap:111 opus/48000/2\r\na=inactive\r\nm=application")));
  S.add("session_description_fuzz", "variant-sctpmap-draft", str(base.replace("UDP/DTLS/SCTP webrtc-datachannel", "DTLS/SCTP 5000").replace(/a=sctp-port:\d+/, "a=sctpmap:5000 webrtc-datachannel 1024")));
  S.add("session_description_fuzz", "variant-ipv6-candidates-end", str(base.replace(/a=candidate:[^\r]*\r\n/g, "a=candidate:1 1 udp 2130706431 ::1 50000 typ host\r\na=candidate:2 1 udp 1694498815 2001:db8::1 50001 typ srflx raddr ::1 rport 50000\r\na=end-of-candidates\r\n")));

  const lines = new Set();
  for (const t of texts) for (const m of t.matchAll(/^a=(candidate:[^\r\n]*)/gm)) lines.add(m[1]);
  for (const c of caps) for (const l of c.candidates) lines.add(l.replace(/^a=/, ""));
  let i = 0;
  for (const l of lines) S.add("candidate_fuzz", `line-${++i}`, str(l));
  const hand = [
    "a=candidate:1 1 UDP 2122260223 192.168.1.2 5000 typ host",
    "candidate:2 1 udp 1686052607 203.0.113.7 61000 typ srflx raddr 192.168.1.2 rport 5000 generation 0 ufrag abcd network-id 1 network-cost 10",
    "candidate:3 1 udp 41885439 198.51.100.9 3478 typ relay raddr 203.0.113.7 rport 61000",
    "candidate:4 1 udp 1853824767 10.0.0.9 6000 typ prflx raddr 0.0.0.0 rport 0",
    "candidate:5 1 tcp 1518280447 192.168.1.2 9 typ host tcptype active",
    "candidate:6 1 tcp 1518280446 192.168.1.2 443 typ host tcptype passive",
    "candidate:7 2 tcp 1518280445 192.168.1.2 5001 typ host tcptype so",
    "candidate:8 1 udp 2122262783 2001:db8::5 5000 typ host",
    "candidate:9 1 udp 2122260223 1f4712db-ea17-4bcf-a596-105139dfd8bf.local 54321 typ host",
  ];
  hand.forEach((l, k) => S.add("candidate_fuzz", `hand-${k + 1}`, str(l)));
}

// --- SCTP packets, chunks and DCEP messages, from the decrypted captures.
function sctpSeeds(S, caps, sessions) {
  const packets = [];
  for (const c of caps) {
    const perSig = new Map();
    for (const p of sessions.get(c.name).plain) {
      if (p.type !== 23 || p.data.length < 12) continue;
      const chunks = sctpChunks(p.data);
      const sig = chunks.map((x) => `${x.type}.${x.flags}`).join(",");
      const n = perSig.get(sig) ?? 0;
      if (n >= 2) continue;
      perSig.set(sig, n + 1);
      packets.push({ cap: c.name, data: p.data, chunks });
      S.add("sctp_packet_fuzz", `${c.name}-${chunks.map((x) => chunkName(x.type)).join("+")}`, p.data);
    }
  }
  const perType = new Map();
  for (const p of packets) {
    for (const ch of p.chunks) {
      const k = `${ch.type}.${ch.flags}`;
      const seen = perType.get(k) ?? new Set();
      const lenClass = ch.value.length < 32 ? "short" : ch.value.length < 600 ? "medium" : "long";
      if (seen.has(lenClass)) continue;
      seen.add(lenClass);
      perType.set(k, seen);
      S.add("sctp_chunk_fuzz", `${p.cap}-${chunkName(ch.type)}-f${ch.flags}-${lenClass}`, u8(ch.type, ch.flags, ch.value));
    }
    for (const m of dcepPayloads(p.data)) S.add("dcep_message_fuzz", `${p.cap}-${m[0] === 3 ? "open" : m[0] === 2 ? "ack" : `type${m[0]}`}`, m);
  }
  // Chunks our engine never sends, or that the captures did not hold, under a captured header.
  const header = packets[0]?.data.subarray(0, 12) ?? u8(be16(5000), be16(5000), be32(1), be32(0));
  const param = (t, v) => { const b = Buffer.from(v); return u8(be16(t), be16(4 + b.length), b, Buffer.alloc(pad4(b.length) - b.length)); };
  const chunk = (t, f, v) => { const b = Buffer.from(v); return u8(t, f, be16(4 + b.length), b, Buffer.alloc(pad4(b.length) - b.length)); };
  const hand = {
    heartbeat: [4, 0, param(1, str("heartbeat-info-0123456789"))],
    "heartbeat-ack": [5, 0, param(1, str("heartbeat-info-0123456789"))],
    "forward-tsn": [192, 0, u8(be32(1000), be16(1), be16(5), be16(2), be16(7))],
    "i-forward-tsn": [194, 0, u8(be32(1000), be16(1), be16(1), be32(5))],
    "shutdown-complete": [14, 1, Buffer.alloc(0)],
    "error-causes": [9, 0, u8(param(1, u8(be16(3), be16(0))), param(3, be32(100)), param(6, u8(0x99, 0, 0, 4)), param(13, str("protocol violation")))],
    "abort-user-initiated": [6, 0, param(12, str("fuzz"))],
    "re-config-add-streams": [130, 0, u8(param(17, u8(be32(10), be16(4), be16(0))), param(18, u8(be32(11), be16(2), be16(0))))],
    "re-config-ssn-tsn-reset": [130, 0, param(15, be32(12))],
    "re-config-incoming-reset": [130, 0, param(14, u8(be32(13), be16(1), be16(3)))],
    "sack-gaps-dups": [3, 0, u8(be32(100), be32(65536), be16(2), be16(1), be16(2), be16(4), be16(6), be16(8), be32(99))],
    "data-unordered-begin-end": [0, 7, u8(be32(5), be16(1), be16(0), be32(51), str("unordered"))],
    "i-data-middle-fragment": [64, 0, u8(be32(6), be16(2), be16(0), be32(3), be32(1), str("middle"))],
    "init-zero-checksum-forward-tsn": [1, 0, u8(be32(0x11223344), be32(131072), be16(1024), be16(1024), be32(1), param(0xc000, Buffer.alloc(0)), param(0x8008, u8(130, 192, 64, 194)), param(0x8001, be32(1)), param(0x8002, Buffer.alloc(32, 7)), param(0x8004, u8(193, 128)), param(0x8003, be16(1)))],
    "unknown-chunk-skip-report": [0xc7, 0, str("unknown")],
  };
  for (const [n, [t, f, v]] of Object.entries(hand)) {
    S.add("sctp_chunk_fuzz", `hand-${n}`, u8(t, f, v));
    const pkt = Buffer.from(u8(header, chunk(t, f, v)));
    pkt.writeUInt32LE(crc32c(u8(pkt.subarray(0, 8), Buffer.alloc(4), pkt.subarray(12))), 8);
    S.add("sctp_packet_fuzz", `hand-${n}`, pkt);
  }
  S.add("sctp_packet_fuzz", "hand-bundle-cookie-echo-data-zero-checksum", u8(header.subarray(0, 8), Buffer.alloc(4), chunk(10, 0, Buffer.alloc(40, 1)), chunk(0, 3, u8(be32(1), be16(0), be16(0), be32(50), hex("0300000000000000000000000000")))));
  const open = (type, prio, rel, label, proto) => u8(3, type, be16(prio), be32(rel), be16(Buffer.byteLength(label)), be16(Buffer.byteLength(proto)), str(label), str(proto));
  const dcep = {
    "reliable": open(0x00, 256, 0, "chat", ""), "reliable-unordered": open(0x80, 128, 0, "u", "p"),
    "rexmit": open(0x01, 512, 3, "rexmit", "json"), "rexmit-unordered": open(0x81, 256, 0, "game-state", "binary"),
    "timed": open(0x02, 1024, 150, "timed", ""), "timed-unordered": open(0x82, 256, 65535, "", ""),
    "long-label": open(0x00, 256, 0, "l".repeat(300), "p".repeat(40)), "unknown-type": open(0x03, 256, 0, "x", "y"),
  };
  for (const [n, b] of Object.entries(dcep)) S.add("dcep_message_fuzz", `hand-${n}`, b);
  return packets;
}

// --- sctp_association_fuzz: mode byte, seed, then operations (see the target).
class AssocScript {
  constructor(mode, seed = 0x01020304) { this.b = [mode, ...be32(seed)]; }
  op(kind, side, ...rest) { this.b.push((kind << 1) | side, ...rest.flatMap((x) => (typeof x === "number" ? [x] : [...x]))); return this; }
  /** a captured packet (index into the last 32), mutated as `how` says, to `side` */
  inject(side, idx, how, extra = []) { return this.op(0, side, idx, how, ...extra); }
  raw(side, body) { return this.op(2, side, be16(body.length), body); }
  send(side, stream, size, { unordered = false, maxRetransmits, lifetimeMs } = {}) {
    const sz = size > 3999 ? [0x80, be32(size - 1)] : [0, be16(size - 1)];
    let f = unordered ? 1 : 0;
    if (maxRetransmits !== undefined) f |= 2 | (maxRetransmits << 5);
    if (lifetimeMs !== undefined) f |= 4;
    return this.op(3, side, be16(stream), ...sz, f, ...(lifetimeMs !== undefined ? [Math.min(255, lifetimeMs >> 2)] : []));
  }
  deliver(side, n = 16) { return this.op(5, side, (n - 1) % 16); }
  drop(side) { return this.op(5, side, 210); }
  dup(side) { return this.op(5, side, 240); }
  advance(ms) { return this.op(7, 0, be16(ms)); }
  reset(side, stream) { return this.op(9, side, be16(stream)); }
  consume(side, n) { return this.op(10, side, 1, be32(n)); }
  threshold(side, stream, v) { return this.op(10, side, 0, be16(stream), be16(v)); }
  shutdown(side) { return this.op(11, side, 0); }
  abort(side) { return this.op(11, side, 16, 0); }
  both(n = 16) { return this.deliver(0, n).deliver(1, n); }
  bytes() { return Buffer.from(this.b); }
}
function associationSeeds(S, packets) {
  // mode: bit 0 the application owns delivered bytes, bit 1 a 16 KiB window, bits 2-3: 0/3 both offer I-DATA, 1 neither, 2 one end.
  for (const [tag, mode] of [["idata", 0], ["data", 4], ["mixed", 8]]) {
    const add = (n, s) => S.add("sctp_association_fuzz", `${tag}-${n}`, s.bytes());
    add("messages-both-ways", new AssocScript(mode).send(0, 0, 100).send(1, 1, 1200).send(0, 2, 3000).both().advance(200).both());
    add("partial-reliability-loss", new AssocScript(mode).send(0, 1, 2000, { unordered: true, maxRetransmits: 0 }).send(0, 1, 500, { unordered: true, maxRetransmits: 0 }).drop(1).drop(1).deliver(1).advance(1500).both().advance(2500).both().advance(200).both());
    add("lifetime-expiry", new AssocScript(mode).send(0, 2, 5000, { lifetimeMs: 40 }).send(0, 2, 100, { lifetimeMs: 40 }).drop(1).advance(100).both().advance(1200).both());
    add("stream-reset", new AssocScript(mode).send(0, 3, 10).both().reset(0, 3).both().both().send(0, 3, 10).both().reset(1, 1).both().both());
  }
  const add = (n, s) => S.add("sctp_association_fuzz", n, s.bytes());
  add("large-message-consumed", new AssocScript(1).send(0, 0, 150000).both().both().advance(50).both().consume(1, 150000).both().advance(50).both());
  add("small-window-unread", new AssocScript(2).send(0, 0, 30000).send(0, 1, 30000).both().both().advance(300).both().advance(3000).both());
  add("shutdown", new AssocScript(0).send(0, 0, 100).shutdown(0).both().both().both());
  add("shutdown-with-data-in-flight", new AssocScript(4).send(1, 0, 9000).shutdown(1).deliver(0, 1).drop(0).advance(1500).both().both());
  add("abort", new AssocScript(0).send(0, 0, 100).abort(1).both());
  add("retransmit-timeouts", new AssocScript(0).send(0, 0, 1000).drop(1).advance(1000).drop(1).advance(2000).drop(1).advance(2999).both().advance(2999).both());
  add("duplicates-reordering", new AssocScript(0).send(0, 0, 3000).send(0, 1, 300).dup(1).dup(1).drop(1).deliver(1, 4).dup(1).both().advance(500).both());
  add("buffered-amount-threshold", new AssocScript(0).threshold(0, 0, 1000).send(0, 0, 20000).both().advance(100).both());
  add("long-idle", new AssocScript(0).advance(2999).advance(2999).advance(2999).advance(2999).both().advance(2999).both());
  // Mutated captured packets (bit flips, truncation, chunk splices, overwrites, a bad checksum).
  add("mutate-flip", new AssocScript(0).send(0, 0, 500).inject(1, 1, 1, [2, be16(20), 3, be16(30), 0, be16(40), 7]).both());
  add("mutate-truncate", new AssocScript(0).send(0, 0, 500).inject(1, 2, 2, [be16(10)]).both());
  add("mutate-splice", new AssocScript(0).send(0, 0, 500).inject(0, 3, 4, [1, 0]).inject(1, 4, 4, [0, 1]).both());
  add("mutate-overwrite", new AssocScript(0).send(1, 1, 500).inject(0, 5, 8, [be16(4), 4, 0, 0, 0, 1]).both());
  add("mutate-bad-checksum", new AssocScript(0).inject(1, 0, 16).both());
  // Real chunks from the captures as raw chunk bodies under a real header.
  const seen = new Set();
  for (const p of packets) {
    for (const ch of p.chunks) {
      if (seen.has(ch.type) || ch.whole.length > 1400) continue;
      seen.add(ch.type);
      add(`raw-${chunkName(ch.type)}`, new AssocScript(ch.type === 64 || ch.type === 194 ? 0 : 4).raw(1, ch.whole).both().advance(100).both());
    }
  }
  const hb = u8(4, 0, be16(4 + 4 + 8), be16(1), be16(12), str("hb-info!"));
  add("raw-heartbeat", new AssocScript(0).raw(1, hb).both());
}

// --- ice_agent_fuzz: byte 0 (bit 0: controlling), then [op][len16][bytes] (op % 4: 0 STUN from op's address, 1 a signed check with one fuzzed attribute, 2 data, 3 time).
class IceScript {
  constructor(controlling) { this.b = [controlling ? 1 : 0]; }
  op(op, body = Buffer.alloc(0)) { this.b.push(op, ...be16(body.length), ...body); return this; }
  // op 0: from 10.0.0.2:6000 (the remote candidate); op 16: from 10.0.0.2:6001 (a peer-reflexive address)
  stun(msg, fromPeer = true) { return this.op(fromPeer ? 0 : 16, msg); }
  check(attrType, value) { return this.op(1, u8(be16(attrType), value)); }
  data(bytes, op = 2) { return this.op(op, bytes); }
  time(ms) { return this.op(Math.max(3, Math.min(255, ms)) | 3); }
  bytes() { return Buffer.from(this.b); }
}
function iceSeeds(S, caps) {
  const USER = "fuzzufrag:peerufrag", PWD = "fuzzpasswordfuzzpassword";
  // The captured checks, re-signed with the target's credentials.
  const checks = [];
  const responses = [];
  for (const c of caps) for (const d of c.dgrams) {
    if (d.kind !== "stun") continue;
    const m = parseStun(d.payload);
    if (m.method === 1 && m.cls === CLS.request && m.attrs.some(([t]) => t === A.USERNAME)) checks.push({ cap: c.name, m, b: resign(d.payload, USER, str(PWD)) });
    if (m.method === 1 && m.cls === CLS.success) responses.push(d.payload);
  }
  const byRole = (role) => checks.find((x) => x.m.attrs.some(([t]) => t === role));
  const controlling = byRole(A.CONTROLLING)?.b, controlled = byRole(A.CONTROLLED)?.b;
  const withUse = checks.find((x) => x.m.attrs.some(([t]) => t === A.USE_CAND))?.b;
  const tid = tidOf("ice");
  const req = (attrs, k = 0) => stun(1, CLS.request, tidOf(`ice${k}`), [[A.USERNAME, str(USER)], ...attrs], { mi: str(PWD), fingerprint: true });
  const prio = [A.PRIORITY, be32(0x6e7f1eff)];
  const add = (n, s) => S.add("ice_agent_fuzz", n, s.bytes());
  const pad = (s, steps) => { for (let i = 0; i < steps; i++) s.time(60); return s; };
  // Controlled agent, the peer controls and nominates.
  add("controlled-checks-then-nomination", pad(new IceScript(false).stun(controlling ?? req([prio, [A.CONTROLLING, be64(5n)]])).time(60), 3).stun(withUse ?? req([prio, [A.CONTROLLING, be64(5n)], [A.USE_CAND, Buffer.alloc(0)]], 1)).time(200).time(255));
  add("controlling-checks", pad(new IceScript(true).stun(controlled ?? req([prio, [A.CONTROLLED, be64(5n)]])), 4).time(255));
  // Role conflicts both ways (tie-breakers above and below any random one).
  add("role-conflict-controlling-high", new IceScript(true).stun(req([prio, [A.CONTROLLING, be64(0xffffffffffffffffn)]], 2)).time(100).time(100));
  add("role-conflict-controlling-low", new IceScript(true).stun(req([prio, [A.CONTROLLING, be64(0n)]], 3)).time(100).time(100));
  add("role-conflict-controlled", new IceScript(false).stun(req([prio, [A.CONTROLLED, be64(1n)]], 4)).time(100));
  // A check from an unknown address (peer reflexive), bad integrity, wrong username, a response we never asked for, an error.
  add("peer-reflexive-check", new IceScript(false).stun(req([prio, [A.CONTROLLING, be64(9n)], [A.USE_CAND, Buffer.alloc(0)]], 5), false).time(60).time(60));
  add("bad-integrity", new IceScript(false).stun(stun(1, CLS.request, tid, [[A.USERNAME, str(USER)], prio], { mi: str("wrong"), fingerprint: true })));
  add("wrong-username", new IceScript(false).stun(stun(1, CLS.request, tid, [[A.USERNAME, str("other:peerufrag")], prio], { mi: str(PWD), fingerprint: true })));
  if (responses[0]) add("unsolicited-response", new IceScript(true).time(60).stun(responses[0]).time(60));
  add("error-response-487", new IceScript(true).time(60).stun(stun(1, CLS.error, tid, [[A.ERROR, u8(0, 0, 4, 87, str("Role Conflict"))]], { mi: str("peerpasswordpeerpassword"), fingerprint: true })));
  // Checks built by the target with one attribute from the input.
  add("signed-checks-attributes", new IceScript(false).check(A.CONTROLLING, be64(3n)).check(A.PRIORITY, u8(be32(0x7effffff), 0, 0)).check(A.XOR_MAPPED, xorAddr4("10.0.0.3", 6000)).check(A.USE_CAND, Buffer.alloc(6)).time(60).time(60));
  // Data on the path (DTLS, TURN ChannelData), then long silence: checks time out, the agent fails.
  const dtls = caps.flatMap((c) => c.dgrams).find((d) => d.kind === "dtls")?.payload;
  add("data-then-silence", pad(new IceScript(true).data(dtls ?? str("x")).data(u8(0x40, 0, 0, 4, str("abcd"))), 40));
  add("timers-only-to-failure", pad(new IceScript(false), 80));
}

// --- peer_connection_fuzz: byte 0 (bit 0: linked, a real peer answers a's offer), then steps op % 10 (see the target).
const SDP_PIECES = [
  "v=0", "o=", "s=t=", "group", "m=application", "m=audio", "c=", "ice-ufrag", "ice-pwd", "ice-lite", "fingerprint", "setup:actpass",
  "setup:active", "setup:passive", "mid", "sctp-port", "max-message-size:0", "max-message-size:1", "cand-udp", "cand-tcp", "cand-mdns",
  "end-of-candidates", "sctpmap",
];
class PcScript {
  constructor(linked) { this.b = [linked ? 1 : 0]; }
  push(...x) { for (const v of x) typeof v === "number" ? this.b.push(v) : this.b.push(...v); return this; }
  text(s) { const b = Buffer.from(s); return this.push(be16(b.length), b); }
  description(pieces, raw, type) { return this.push(0, pieces.length, ...pieces.map((p) => SDP_PIECES.indexOf(p))).text(raw).push(type); }
  candidate(mid, line) { return this.push(1).text(mid).text(line); }
  channel({ label = "c", protocol = "", ordered = true, negotiated = false, id = 0, maxRetransmits, lifetime }) {
    const f = (ordered ? 1 : 0) | (negotiated ? 2 : 0) | (maxRetransmits !== undefined ? 4 : 0) | (lifetime !== undefined ? 8 : 0);
    this.push(2).text(label).text(protocol).push(f);
    if (negotiated) this.push(be16(id));
    if (maxRetransmits !== undefined) this.push(be16(maxRetransmits));
    if (lifetime !== undefined) this.push(be16(lifetime));
    return this;
  }
  send(msg, ch, binary) { return this.push(3).text(msg).push(ch, binary ? 1 : 0); }
  close(ch) { return this.push(4, ch); }
  offer() { return this.push(5); }
  datagram(d, fromA = true, port = 7000) { this.push(fromA ? 136 : 6).text(d); return fromA ? this : this.push(be16(port)); }
  consume(n, stream, thr) { return this.push(7, be16(n), stream, be16(thr)); }
  time(units) { return this.push(8, be16(units)); }  // units of 100 µs
  closePeer() { return this.push(9, 0xff); }
  steps(n, units) { for (let i = 0; i < n; i++) this.time(units); return this; }
  bytes() { return Buffer.from(this.b); }
}
function peerConnectionSeeds(S, caps) {
  const add = (n, s) => S.add("peer_connection_fuzz", n, s.bytes());
  const connect = (s) => s.offer().steps(30, 200);  // 20 ms steps: ICE, DTLS, SCTP, DCEP
  add("linked-handshake", connect(new PcScript(true).channel({ label: "chat", protocol: "p" })));
  add("linked-handshake-messages-close", connect(new PcScript(true).channel({ label: "chat", protocol: "json" }).channel({ label: "lossy", ordered: false, maxRetransmits: 0 }))
    .send("hello", 1, false).send("x".repeat(3000), 2, true).steps(3, 200).consume(5000, 1, 100).close(1).steps(4, 200).closePeer().steps(2, 200));
  add("linked-negotiated-timed", connect(new PcScript(true).channel({ label: "neg", negotiated: true, id: 3 }).channel({ label: "timed", lifetime: 100 }))
    .send("y".repeat(1200), 1, true).send("z", 2, false).steps(3, 200).steps(10, 60000));
  add("linked-offer-twice-then-silence", connect(new PcScript(true).channel({ label: "c" })).offer().steps(4, 200).steps(20, 65535));
  // Unlinked: b is offered a description built from the target's pieces, then sees raw datagrams from a's address.
  const offer = ["v=0", "o=", "s=t=", "group", "m=application", "c=", "ice-ufrag", "ice-pwd", "fingerprint", "setup:actpass", "mid", "sctp-port", "cand-udp", "end-of-candidates"];
  const dtls = [], stuns = [];
  for (const c of caps) for (const d of c.dgrams) {
    if (d.kind === "stun" && d.dir === "out" && stuns.length < 2 && parseStun(d.payload).cls === CLS.request) stuns.push(d.payload);
    if (d.kind === "dtls" && d.payload[0] === 22 && dtls.length < 2 && d.payload.length < 1500) dtls.push(d.payload);
  }
  add("unlinked-remote-offer-and-datagrams", new PcScript(false).description(offer, "a=ice-options:trickle\r\n", 0).steps(3, 200)
    .datagram(stuns[0] ?? str("x")).datagram(dtls[0] ?? str("y")).steps(3, 200).datagram(dtls[1] ?? str("z"), false, 7000).steps(2, 200));
  add("unlinked-offer-answer", new PcScript(false).offer().steps(2, 200).description(offer.map((p) => (p === "setup:actpass" ? "setup:active" : p)), "", 1).steps(5, 200));
  add("unlinked-ice-lite-tcp-mdns", new PcScript(false).description([...offer.slice(0, 4), "ice-lite", ...offer.slice(4), "cand-tcp", "cand-mdns", "max-message-size:1"], "", 0)
    .candidate("0", "candidate:9 1 udp 1 10.0.0.2 6001 typ host").candidate("0", "").steps(3, 200));
  add("unlinked-rollback-pranswer-audio", new PcScript(false).description([...offer.slice(0, 4), "m=audio", ...offer.slice(4)], "a=sendrecv\r\n", 0)
    .description([], "", 3).description(offer, "", 2).steps(2, 200));
  const chrome = fs.readFileSync(path.join(ROOT, "native/sdp/testdata/chromium-offer.sdp"), "utf8");
  add("unlinked-raw-fixture-head", new PcScript(false).description([], chrome.slice(0, 256), 0).steps(2, 200));
}

// ---------------------------------------------------------------- merge into fuzz/corpus
function fuzzerBin(name) { return path.join(ROOT, "build/fuzz", name); }
function merge(targets, S) {
  const r = spawnSync("bash", [path.join(ROOT, "scripts/fuzz.sh"), "--build-only"], { stdio: "inherit" });
  if (r.status !== 0) throw new Error("fuzz.sh --build-only failed");
  const summary = [];
  for (const [name, t] of targets) {
    if (ONLY.length && !ONLY.includes(name)) continue;
    const seeds = S.by.get(name);
    if (!seeds) { log(`${name}: no seeds`); continue; }
    const raw = path.join(OUT, name);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `merge-${name}-`));
    const res = spawnSync(fuzzerBin(name), ["-merge=1", `-max_len=${t.maxLen}`, tmp, raw], { encoding: "utf8" });
    if (res.status !== 0) { console.error(res.stderr); throw new Error(`${name}: merge failed`); }
    const kept = new Set(fs.readdirSync(tmp));
    fs.rmSync(tmp, { recursive: true, force: true });
    const dest = path.join(ROOT, "fuzz/corpus", name);
    // Regression inputs (regress-*: findings kept after their fix, docs/fuzzing.md) stay.
    const regress = fs.existsSync(dest) ? fs.readdirSync(dest).filter((f) => f.startsWith("regress-")).map((f) => [f, fs.readFileSync(path.join(dest, f))]) : [];
    fs.rmSync(dest, { recursive: true, force: true });
    fs.mkdirSync(dest, { recursive: true });
    for (const [f, b] of regress) fs.writeFileSync(path.join(dest, f), b);
    let bytes = 0;
    for (const [n, v] of seeds) {
      if (!kept.has(v.hash)) continue;
      fs.writeFileSync(path.join(dest, n), v.bytes);
      bytes += v.bytes.length;
    }
    const cov = /MERGE-OUTER: (\d+) new files with (\d+) new features added; (\d+) new coverage edges/.exec(res.stderr);
    summary.push(`${name}: ${seeds.size} seeds -> ${kept.size} kept (${bytes} bytes)${regress.length ? ` + ${regress.length} regress-*` : ""}${cov ? `, ${cov[2]} features, ${cov[3]} edges` : ""}`);
  }
  for (const l of summary) log(l);
}

// ---------------------------------------------------------------- main
const targets = readTargets();
const W = await import(path.join(ROOT, "dist/index.js"));
const keys = [];
const engine = W.loadNodeEngineSync();
engine.setKeyLog((l) => keys.push(l));
const caps = [];
try {
  for (const f of [captureUdp, captureLibdatachannel, captureTurn, captureLossy]) {
    const c = await f(W);
    if (c) caps.push(c);
  }
} finally {
  engine.setKeyLog(null);
}
const sessions = new Map(caps.map((c) => [c.name, dtlsSession(c.dgrams, keys)]));
for (const c of caps) {
  const s = sessions.get(c.name);
  log(`capture ${c.name}: ${c.dgrams.length} datagrams, ${s.plain.length} records decrypted${s.decrypted ? "" : " (NO KEY LOG LINE)"}`);
}
const S = new Seeds();
stunSeeds(S, caps);
recordSeeds(S, caps, sessions);
handshakeSeeds(S, caps, sessions);
asn1Seeds(S, caps, sessions);
sdpSeeds(S, caps);
const packets = sctpSeeds(S, caps, sessions);
associationSeeds(S, packets);
iceSeeds(S, caps);
peerConnectionSeeds(S, caps);

fs.rmSync(OUT, { recursive: true, force: true });
for (const [name, seeds] of S.by) {
  if (!targets.has(name)) throw new Error(`${name} is not in fuzz/targets.tsv`);
  const max = targets.get(name).maxLen;
  fs.mkdirSync(path.join(OUT, name), { recursive: true });
  for (const [n, v] of seeds) {
    if (v.bytes.length > max) { log(`${name}/${n}: ${v.bytes.length} bytes > max_len ${max}, left out`); seeds.delete(n); continue; }
    fs.writeFileSync(path.join(OUT, name, n), v.bytes);
  }
  log(`${name}: ${seeds.size} raw seeds in ${path.relative(ROOT, path.join(OUT, name))}`);
}
for (const name of targets.keys()) if (!S.by.has(name)) log(`${name}: no generator (add one)`);
if (!flag("--no-merge")) merge(targets, S);
process.exit(0);
