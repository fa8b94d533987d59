// Load for the relay's capacity figures in `npm run bench:browser`, in a
// process of its own: TURN-over-WebSocket clients (the approach of
// test/relay/turn-ws-client.ts: Allocate with the 401 dance, ChannelBind, then
// ChannelData in binary frames), a UDP sink and a UDP source on 127.0.0.1.
//
// The clients speak WebSocket over a raw TCP socket with frames built once
// (masked, as RFC 6455 requires of clients): sending N datagrams is one
// socket.write of N prebuilt frames, so the generator costs far less CPU per
// datagram than the relay and the relay is what saturates.
//
//   client->peer: each client sends ChannelData (1000 B) to the sink; delivered = datagrams the sink read.
//   peer->client: the source sends 1000 B datagrams to each allocation's relayed address; delivered =
//                 ChannelData frames the clients read.
//
// IPC (from bench/browser.mjs):
//   { t: "setup", id, url, username, credential, clients, dir }  -> { t: "done", id, relayed: [...] }
//   { t: "rate", id, rate }       offered datagrams/s from now on (0 stops)
//   { t: "burst", id, n, rate }   exactly n datagrams at `rate`, then -> done
//   { t: "count", id }            -> { t: "done", id, sent, delivered, cpu, sinkDrops, backlogged }
//   { t: "teardown", id }         closes the clients
import { createHash, createHmac, randomBytes } from "node:crypto";
import * as dgram from "node:dgram";
import { readFileSync } from "node:fs";
import * as net from "node:net";

const PAYLOAD = 1000;
const CHANNEL = 0x4001;
const MAGIC = 0x2112a442;
const TICK_MS = 2;
const MAX_QUEUED = 1 << 20;  // bytes waiting in a client's TCP socket beyond which it is not offered more

// ------------------------------------------------------------------ STUN, just what a client needs
const M = { Allocate: 0x003, ChannelBind: 0x009 };
const A = { Username: 0x0006, MessageIntegrity: 0x0008, ErrorCode: 0x0009, ChannelNumber: 0x000c, XorPeerAddress: 0x0012,
  Realm: 0x0014, Nonce: 0x0015, XorRelayedAddress: 0x0016, RequestedTransport: 0x0019 };

function attr(type, value) {
  const b = Buffer.alloc(4 + ((value.length + 3) & ~3));
  b.writeUInt16BE(type, 0);
  b.writeUInt16BE(value.length, 2);
  value.copy(b, 4);
  return b;
}
function xorAddr(ip, port) {
  const b = Buffer.alloc(8);
  b[1] = 1;
  b.writeUInt16BE(port ^ (MAGIC >>> 16), 2);
  const n = ip.split(".").reduce((a, p) => ((a << 8) | Number(p)) >>> 0, 0);
  b.writeUInt32BE((n ^ MAGIC) >>> 0, 4);
  return b;
}
function stunRequest(method, tid, attrs, key) {
  const body = Buffer.concat(attrs);
  const header = Buffer.alloc(20);
  header.writeUInt16BE((method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2), 0);
  header.writeUInt16BE(body.length + (key ? 24 : 0), 2);
  header.writeUInt32BE(MAGIC, 4);
  tid.copy(header, 8);
  if (!key) return Buffer.concat([header, body]);
  const mac = createHmac("sha1", key).update(header).update(body).digest();
  return Buffer.concat([header, body, attr(A.MessageIntegrity, mac)]);
}
function parseStun(b) {
  if (b.length < 20) return null;
  const type = b.readUInt16BE(0);
  const cls = ((type >> 4) & 1) | ((type >> 7) & 2);
  const attrs = new Map();
  for (let off = 20; off + 4 <= b.length; ) {
    const t = b.readUInt16BE(off);
    const len = b.readUInt16BE(off + 2);
    if (!attrs.has(t)) attrs.set(t, b.subarray(off + 4, off + 4 + len));
    off += 4 + ((len + 3) & ~3);
  }
  return { cls, tid: b.subarray(8, 20).toString("hex"), attrs };
}
const errorCode = (m) => {
  const v = m.attrs.get(A.ErrorCode);
  return v ? v[2] * 100 + v[3] : 0;
};
function readXorAddr(v) {
  const port = v.readUInt16BE(2) ^ (MAGIC >>> 16);
  const x = (v.readUInt32BE(4) ^ MAGIC) >>> 0;
  return { ip: `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`, port };
}

// ------------------------------------------------------------------ WebSocket framing over a raw socket
function maskedFrame(payload, mask = randomBytes(4)) {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x82, 0x80 | n]) : Buffer.from([0x82, 0x80 | 126, n >> 8, n & 255]);
  const body = Buffer.alloc(n);
  for (let i = 0; i < n; i++) body[i] = payload[i] ^ mask[i & 3];
  return Buffer.concat([head, mask, body]);
}

class RawTurnClient {
  constructor(sock) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.waiters = new Map();
    this.peerFrames = 0;  // ChannelData frames received (peer -> client)
    this.closed = false;
    sock.on("data", (d) => this.onData(d));
    sock.on("error", () => undefined);
    sock.on("close", () => (this.closed = true));
  }

  static connect(url) {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: u.hostname, port: Number(u.port), noDelay: true });
      const timer = setTimeout(() => (sock.destroy(), reject(new Error("relay upgrade timed out"))), 5000);
      sock.once("error", (e) => (clearTimeout(timer), reject(e)));
      sock.once("connect", () => {
        sock.write(`GET ${u.pathname || "/"} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      });
      let head = Buffer.alloc(0);
      const onData = (d) => {
        head = Buffer.concat([head, d]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        clearTimeout(timer);
        sock.off("data", onData);
        const status = head.subarray(0, head.indexOf("\r\n")).toString();
        if (!/^HTTP\/1\.1 101/.test(status)) {
          sock.destroy();
          return reject(new Error(`relay refused the upgrade: ${status}`));
        }
        const c = new RawTurnClient(sock);
        if (head.length > end + 4) c.onData(head.subarray(end + 4));
        resolve(c);
      };
      sock.on("data", onData);
    });
  }

  onData(d) {
    let b = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    let off = 0;
    while (b.length - off >= 2) {
      const op = b[off] & 0x0f;
      let len = b[off + 1] & 0x7f;
      let hdr = 2;
      if (len === 126) {
        if (b.length - off < 4) break;
        len = b.readUInt16BE(off + 2);
        hdr = 4;
      } else if (len === 127) {
        if (b.length - off < 10) break;
        len = Number(b.readBigUInt64BE(off + 2));
        hdr = 10;
      }
      if (b.length - off < hdr + len) break;
      const p = b.subarray(off + hdr, off + hdr + len);
      off += hdr + len;
      if (op === 2) {
        if ((p[0] & 0xc0) === 0x40) this.peerFrames++;
        else this.onStun(p);
      } else if (op === 9) {
        this.sock.write(maskedFrame(p).fill(0x8a, 0, 1));
      } else if (op === 8) {
        this.closed = true;
      }
    }
    this.buf = off < b.length ? Buffer.from(b.subarray(off)) : Buffer.alloc(0);
  }

  onStun(p) {
    const m = parseStun(p);
    if (!m) return;
    this.waiters.get(m.tid)?.(m);
    this.waiters.delete(m.tid);
  }

  request(method, attrs, signed) {
    const tid = randomBytes(12);
    const extra = signed ? [attr(A.Username, Buffer.from(this.username)), attr(A.Realm, Buffer.from(this.realm)), attr(A.Nonce, Buffer.from(this.nonce))] : [];
    const msg = stunRequest(method, tid, [...attrs, ...extra], signed ? this.key : null);
    return new Promise((resolve, reject) => {
      const id = tid.toString("hex");
      const t = setTimeout(() => (this.waiters.delete(id), reject(new Error(`no answer to TURN method ${method}`))), 5000);
      this.waiters.set(id, (m) => (clearTimeout(t), resolve(m)));
      this.sock.write(maskedFrame(msg));
    });
  }

  async allocate(username, password) {
    const transport = attr(A.RequestedTransport, Buffer.from([17, 0, 0, 0]));
    const first = await this.request(M.Allocate, [transport], false);
    if (errorCode(first) !== 401) throw new Error(`Allocate: expected 401, got ${errorCode(first)}`);
    this.realm = first.attrs.get(A.Realm).toString();
    this.nonce = first.attrs.get(A.Nonce).toString();
    this.username = username;
    this.key = createHash("md5").update(`${username}:${this.realm}:${password}`).digest();
    const res = await this.request(M.Allocate, [transport], true);
    if (res.cls !== 2) throw new Error(`Allocate failed: ${errorCode(res)}`);
    this.relayed = readXorAddr(res.attrs.get(A.XorRelayedAddress));
  }

  async bindChannel(ip, port) {
    const res = await this.request(M.ChannelBind, [attr(A.ChannelNumber, Buffer.from([CHANNEL >> 8, CHANNEL & 255, 0, 0])), attr(A.XorPeerAddress, xorAddr(ip, port))], true);
    if (res.cls !== 2) throw new Error(`ChannelBind failed: ${errorCode(res)}`);
  }

  close() {
    try {
      this.sock.write(Buffer.from([0x88, 0x80, 0, 0, 0, 0]));
    } catch {
      // gone
    }
    this.sock.destroy();
  }
}

// ------------------------------------------------------------------ load
const cd = Buffer.alloc(4 + PAYLOAD);
cd.writeUInt16BE(CHANNEL, 0);
cd.writeUInt16BE(PAYLOAD, 2);
randomBytes(PAYLOAD).copy(cd, 4);
const FRAME = maskedFrame(cd);
const BATCH = 1024;
const frames = Buffer.concat(Array.from({ length: BATCH }, () => FRAME));  // BATCH identical masked frames
const datagram = randomBytes(PAYLOAD);

const sink = dgram.createSocket({ type: "udp4", recvBufferSize: 16 << 20 });
let sinkCount = 0;
sink.on("message", () => sinkCount++);
await new Promise((r) => sink.bind(0, "127.0.0.1", r));
const source = dgram.createSocket({ type: "udp4", sendBufferSize: 16 << 20 });
source.on("error", () => undefined);
await new Promise((r) => source.bind(0, "127.0.0.1", r));

let clients = [];
let dir = "c2p";
let rate = 0;
let sent = 0;
let backlogged = 0;  // ticks a client's socket was too full to take its share
let plan = null;  // { t0, base, rate, limit, done }

function udpErrors() {
  // Udp: line of /proc/net/snmp (this network namespace): RcvbufErrors at the sink, SndbufErrors at the source.
  try {
    const lines = readFileSync("/proc/net/snmp", "utf8").split("\n").filter((l) => l.startsWith("Udp:"));
    const k = lines[0].split(/\s+/);
    const v = lines[1].split(/\s+/).map(Number);
    const get = (n) => v[k.indexOf(n)] ?? 0;
    return { rcvbuf: get("RcvbufErrors"), sndbuf: get("SndbufErrors") };
  } catch {
    return { rcvbuf: 0, sndbuf: 0 };
  }
}

function sendSome(n) {
  if (dir === "c2p") {
    // Spread over the clients; a client whose socket is backed up is skipped this tick.
    const each = Math.ceil(n / clients.length);
    let done = 0;
    for (const c of clients) {
      let k = Math.min(each, n - done);
      if (k <= 0) break;
      if (c.closed || c.sock.writableLength > MAX_QUEUED) {
        backlogged++;
        continue;
      }
      done += k;
      while (k > 0) {
        const m = Math.min(k, BATCH);
        c.sock.write(m === BATCH ? frames : frames.subarray(0, m * FRAME.length));
        k -= m;
      }
    }
    return done;
  }
  for (let i = 0; i < n; i++) {
    const c = clients[i % clients.length];
    source.send(datagram, c.relayed.port, c.relayed.ip);
  }
  return n;
}

function pump() {
  if (!plan) return;
  const due = Math.floor(((performance.now() - plan.t0) / 1000) * plan.rate) - plan.sent;
  const want = plan.limit === undefined ? due : Math.min(due, plan.limit - plan.sent);
  if (want > 0) {
    const k = sendSome(want);
    plan.sent += k;
    sent += k;
  }
  if (plan.limit !== undefined && plan.sent >= plan.limit) {
    const p = plan;
    plan = null;
    p.done?.();
  }
}
setInterval(pump, TICK_MS);

const delivered = () => (dir === "c2p" ? sinkCount : clients.reduce((a, c) => a + c.peerFrames, 0));

process.on("message", async (m) => {
  const reply = (x) => process.send({ t: "done", id: m.id, ...x });
  try {
    if (m.t === "setup") {
      dir = m.dir;
      clients = [];
      for (let i = 0; i < m.clients; i++) {
        const c = await RawTurnClient.connect(m.url);
        await c.allocate(m.username, m.credential);
        const to = dir === "c2p" ? sink.address() : source.address();
        await c.bindChannel("127.0.0.1", to.port);
        clients.push(c);
      }
      reply({ relayed: clients.map((c) => c.relayed) });
    } else if (m.t === "rate") {
      plan = m.rate > 0 ? { t0: performance.now(), rate: m.rate, sent: 0 } : null;
      reply({});
    } else if (m.t === "burst") {
      await new Promise((done) => (plan = { t0: performance.now(), rate: m.rate, sent: 0, limit: m.n, done }));
      reply({});
    } else if (m.t === "count") {
      const e = udpErrors();
      reply({ sent, delivered: delivered(), cpu: process.cpuUsage(), sinkDrops: e.rcvbuf, sourceDrops: e.sndbuf, backlogged });
    } else if (m.t === "teardown") {
      plan = null;
      for (const c of clients) c.close();
      clients = [];
      reply({});
    } else if (m.t === "exit") {
      process.exit(0);
    }
  } catch (e) {
    process.send({ t: "done", id: m.id, error: String(e?.message ?? e) });
  }
});
process.on("disconnect", () => process.exit(0));
process.send({ t: "ready" });
