// Hostile traffic for test/hostile/shared-port-hostile.test.ts, from a process
// of its own (forked with IPC). It binds many UDP sockets on 127.0.0.2 …
// 127.0.0.250 (all of 127/8 is local on Linux), each connected to the target,
// and sends a mix of datagrams at a given rate, or as fast as it can:
//   stun-random     Binding requests, random USERNAME, MESSAGE-INTEGRITY with a random key, valid FINGERPRINT
//   stun-ufrag      the same with a USERNAME whose first half is a real ufrag copied from the SDP
//                   (the core must check its MESSAGE-INTEGRITY: an HMAC per datagram)
//   dtls-hello      unsolicited DTLS 1.2 ClientHellos (well-formed record and handshake headers)
//   dtls-garbage    epoch-1 application_data records of random bytes (what "after the handshake" looks like)
//   truncated       STUN / DTLS / ChannelData headers cut short, and empty datagrams
//   random          random bytes, random first byte
//   channel-data    TURN ChannelData-looking (0x40..0x4f) random bytes
//   oversize        1,201 … 65,507 bytes with a STUN, DTLS or random first byte
// Half of the datagrams come from a few "heavy" sockets (what one flooding host looks like), half are
// spread over all the others (a distributed flood), and a few of the spread sockets are replaced by new
// ones (new ports) every half second, so the set of sources keeps changing.
//
// Messages in:  {type:"config", target:{ip,port}, ufrags:[...], ips, portsPerIp, heavy}
//               {type:"phase", rate: number | "max", sources?: "one"}   {type:"stop"}   {type:"exit"}
//               (sources "one": everything from a single socket, the flood the issue first measured)
// Messages out: {type:"ready", sockets}   {type:"stats", ...counters of the phase just stopped}
import * as dgram from "node:dgram";
import { randomInt } from "node:crypto";
import { MIX, buildPools } from "./hostile-datagrams.mjs";

const MAX_IN_FLIGHT = 4096;

let cfg = null;
const heavy = [];
const spread = [];
let phase = null;
let sourcesUsed = new Set();
let inFlight = 0;

let schedule = [];  // 1000 kinds, shuffled
let pools = null;

// --------------------------------------------------------------- sockets
function bindOne(ip) {
  return new Promise((resolve) => {
    const s = dgram.createSocket({ type: "udp4", sendBufferSize: 1 << 20 });
    s.on("error", () => {});
    s.bind(0, ip, () => {
      s.connect(cfg.target.port, cfg.target.ip, () => {
        const a = s.address();
        resolve({ s, key: `${a.address}:${a.port}`, ip });
      });
    });
  });
}

async function setup(c) {
  cfg = c;
  pools = buildPools(c.ufrags ?? []);
  for (const [kind, n] of MIX) for (let i = 0; i < n; i++) schedule.push(kind);
  for (let i = schedule.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [schedule[i], schedule[j]] = [schedule[j], schedule[i]];
  }
  const ips = Array.from({ length: c.ips }, (_, i) => `127.0.0.${2 + i}`);
  for (let i = 0; i < c.heavy; i++) heavy.push(await bindOne(ips[i % ips.length]));
  const all = [];
  for (const ip of ips) for (let p = 0; p < c.portsPerIp; p++) all.push(bindOne(ip));
  spread.push(...(await Promise.all(all)));
  process.send({ type: "ready", sockets: heavy.length + spread.length });
}

// --------------------------------------------------------------- sending
function newCounters(rate, one) {
  const byKind = {};
  for (const [k] of MIX) byKind[k] = 0;
  return { rate, one, sent: 0, bytes: 0, sendErrors: 0, byKind, heavySent: 0, startedAt: performance.now(), rotations: 0, cpu0: process.cpuUsage() };
}

let seq = 0;
function sendOne(st) {
  const kind = schedule[seq % schedule.length];
  const pool = pools[kind];
  const data = pool[(seq >>> 3) % pool.length];
  const useHeavy = st.one || ((seq & 1) === 0 && heavy.length > 0);
  const sock = st.one ? heavy[0] : useHeavy ? heavy[(seq >>> 1) % heavy.length] : spread[(seq >>> 1) % spread.length];
  seq++;
  inFlight++;
  try {
    sock.s.send(data, (err) => {
      inFlight--;
      if (err) st.sendErrors++;
    });
  } catch {
    inFlight--;
    st.sendErrors++;
    return;
  }
  st.sent++;
  st.bytes += data.length;
  st.byKind[kind]++;
  if (useHeavy) st.heavySent++;
  sourcesUsed.add(sock.key);
}

async function rotate(st) {
  // Replace 2% of the spread sockets with new ones (new ports) each half second.
  const n = Math.max(1, Math.floor(spread.length / 50));
  for (let i = 0; i < n; i++) {
    const at = randomInt(spread.length);
    const old = spread[at];
    spread[at] = await bindOne(old.ip);
    old.s.close();
    st.rotations++;
  }
}

function run(st) {
  let lastRotate = performance.now();
  const tick = () => {
    if (phase !== st) return;
    const now = performance.now();
    const target = st.rate === "max" ? Infinity : Math.floor(((now - st.startedAt) / 1000) * st.rate);
    // Bounded per tick, and never more than MAX_IN_FLIGHT sends waiting in libuv.
    for (let i = 0; i < 2000 && st.sent < target && inFlight < MAX_IN_FLIGHT; i++) sendOne(st);
    if (now - lastRotate > 500 && !st.one) {
      lastRotate = now;
      void rotate(st);
    }
    if (st.rate === "max" || st.sent < target) setImmediate(tick);
    else setTimeout(tick, 1);
  };
  tick();
}

process.on("message", (m) => {
  if (m.type === "config") void setup(m);
  else if (m.type === "phase") {
    sourcesUsed = new Set();
    phase = newCounters(m.rate, m.sources === "one");
    run(phase);
  } else if (m.type === "stop") {
    const st = phase;
    phase = null;
    if (!st) return process.send({ type: "stats", sent: 0 });
    const elapsedMs = performance.now() - st.startedAt;
    const cpu = process.cpuUsage(st.cpu0);
    process.send({
      type: "stats", ...st, elapsedMs, ratePerSecond: (st.sent / elapsedMs) * 1000, sources: sourcesUsed.size,
      cpuShare: (cpu.user + cpu.system) / 1000 / elapsedMs,
    });
  } else if (m.type === "exit") {
    for (const x of [...heavy, ...spread]) x.s.close();
    process.exit(0);
  }
});
// The test's process may die without saying goodbye: never outlive it.
process.on("disconnect", () => process.exit(0));
setTimeout(() => process.exit(3), 180_000).unref();
