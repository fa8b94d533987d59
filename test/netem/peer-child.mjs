// One end of a data-channel run across an impaired link (test/netem/netns.ts
// starts it inside a namespace). argv[2] is JSON:
//   { stack: "ours" | "ndc", role: "drive" | "echo", ip, receiveWindow?, budgetMs,
//     task: { kind: "matrix", modes: [{ label, init }], count, maxSize, bound }
//         | { kind: "throughput", seconds, msgSize, bound } }
// "ours" is our engine through Godot's API (dist/index.js, initialize({ wasmrtc:
// { bind: [ip] } })); "ndc" is node-datachannel's W3C polyfill (bindAddress: ip).
// The drive end offers and creates the channels; the echo end answers.
// Signaling goes through the parent: lines {"sig": ...} on stdout, the other
// end's on stdin. matrix: the drive end sends `count` messages on each mode's
// channel (payload: seq, length, mode and a pattern of both), the echo end
// checks and sends each back, the drive end checks the echoes; both count
// delivered, duplicated, corrupted and out-of-order messages. throughput: the
// drive end keeps `bound` bytes buffered on one reliable channel for `seconds`,
// the echo end counts what arrives. Each end prints {"result": ...} when asked
// ({"cmd": "report"} on stdin) or when its budget runs out, and exits on
// {"cmd": "exit"} or when stdin closes.
import { createInterface } from "node:readline";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const cfg = JSON.parse(process.argv[2]);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const t0 = performance.now();
const now = () => performance.now() - t0;
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const logs = [];
const log = (s) => {
  logs.push(`${now().toFixed(0)} ${s}`);
  if (logs.length > 400) logs.splice(0, 200);
  if (process.env.WASMRTC_NETEM_VERBOSE === "1") process.stderr.write(`${cfg.stack}/${cfg.role}: ${s}\n`);
};
const errors = [];
process.on("uncaughtException", (e) => errors.push(String(e?.stack ?? e).slice(0, 1500)));
process.on("unhandledRejection", (e) => errors.push(String(e?.stack ?? e).slice(0, 1500)));

// ---------------------------------------------------------------- stacks
// peer: { createChannel(label, init) -> chan, onChannel(cb), offer(), signal(msg), tick(), state(), close(), info() }
// chan: { label, open(), send(u8) -> bool, buffered(), onMessage(cb) }

async function oursPeer(signal) {
  const distFile = process.env.WASMRTC_DIST ? resolve(process.env.WASMRTC_DIST) : resolve(repo, "dist/index.js");
  const w = await import(pathToFileURL(distFile).href);
  w.set_log_sink?.((level, m) => log(`godot ${level}: ${m}`));
  w.setEngineLogSink?.((level, m, layer) => log(`engine ${layer} ${["debug", "info", "warning", "error"][level] ?? level}: ${m}`));
  if (w.WebRTCPeerConnection.set_default_extension("WebRTCPeerConnectionEngine") !== 0) throw new Error("no engine extension");
  const pc = new w.WebRTCPeerConnection();
  const wasmrtc = { bind: [cfg.ip] };
  if (cfg.receiveWindow) wasmrtc.receiveWindow = cfg.receiveWindow;
  // Debugging: every datagram to DIR/ROLE-ours.pcapng (with SSLKEYLOGFILE, decryptable: docs/debugging.md).
  if (process.env.WASMRTC_NETEM_PCAP_DIR) wasmrtc.capture = w.createPcapngFileCapture(`${process.env.WASMRTC_NETEM_PCAP_DIR}/${cfg.role}-ours.pcapng`);
  if (pc.initialize({ iceServers: [], wasmrtc }) !== 0) throw new Error("initialize failed");
  pc.session_description_created.connect((type, sdp) => {
    pc.set_local_description(type, sdp);
    signal({ type: "sdp", kind: type, sdp });
  });
  pc.ice_candidate_created.connect((mid, index, cand) => signal({ type: "cand", mid, index, cand }));
  const chans = [];
  let onChannel = () => {};
  const wrap = (ch) => {
    let cb = () => {};
    const c = {
      get label() {
        return ch.get_label();
      },
      open: () => ch.get_ready_state() === 1,
      send: (u8) => ch.put_packet(u8) === 0,
      buffered: () => ch.get_buffered_amount(),
      onMessage: (f) => (cb = f),
      drain: () => {
        while (ch.get_available_packet_count() > 0) cb(ch.get_packet());
      },
    };
    chans.push(c);
    return c;
  };
  pc.data_channel_received.connect((ch) => onChannel(wrap(ch)));
  return {
    createChannel: (label, init) => {
      const ch = pc.create_data_channel(label, init);
      if (!ch) throw new Error(`create_data_channel(${label}) refused`);
      return wrap(ch);
    },
    onChannel: (f) => (onChannel = f),
    offer: () => {
      if (pc.create_offer() !== 0) throw new Error("create_offer failed");
    },
    signal: (m) => {
      if (m.type === "sdp") pc.set_remote_description(m.kind, m.sdp);
      else pc.add_ice_candidate(m.mid, m.index, m.cand);
    },
    tick: () => {
      pc.poll();
      for (const c of chans) c.drain();
    },
    state: () => ["new", "connecting", "connected", "disconnected", "failed", "closed"][pc.get_connection_state()] ?? "?",
    close: () => pc.close(),
    info: () => `wasmrtc ${w.VERSION ?? "?"} (engine, Godot API)`,
  };
}

async function ndcPeer(signal) {
  const { RTCPeerConnection } = await import("node-datachannel/polyfill");
  const pc = new RTCPeerConnection({ iceServers: [], bindAddress: cfg.ip });
  pc.onicecandidate = (e) => {
    if (!e.candidate?.candidate) return;
    signal({ type: "cand", mid: e.candidate.sdpMid ?? "0", index: e.candidate.sdpMLineIndex ?? 0, cand: String(e.candidate.candidate).replace(/^a=/, "") });
  };
  let onChannel = () => {};
  const wrap = (dc) => {
    let cb = () => {};
    dc.binaryType = "arraybuffer";
    dc.onmessage = (e) => cb(typeof e.data === "string" ? new TextEncoder().encode(e.data) : new Uint8Array(e.data));
    return {
      label: dc.label,
      open: () => dc.readyState === "open",
      send: (u8) => {
        dc.send(new Uint8Array(u8));
        return true;
      },
      buffered: () => dc.bufferedAmount ?? 0,
      onMessage: (f) => (cb = f),
    };
  };
  pc.ondatachannel = (e) => onChannel(wrap(e.channel));
  let remoteSet = false;
  const pending = [];
  return {
    createChannel: (label, init) => wrap(pc.createDataChannel(label, init)),
    onChannel: (f) => (onChannel = f),
    offer: async () => {
      const o = await pc.createOffer();
      await pc.setLocalDescription(o);
      signal({ type: "sdp", kind: "offer", sdp: pc.localDescription.sdp });
    },
    signal: async (m) => {
      if (m.type === "sdp") {
        await pc.setRemoteDescription({ type: m.kind, sdp: m.sdp });
        remoteSet = true;
        for (const c of pending.splice(0)) await pc.addIceCandidate(c).catch((e) => log(`addIceCandidate: ${e}`));
        if (m.kind === "offer") {
          const a = await pc.createAnswer();
          await pc.setLocalDescription(a);
          signal({ type: "sdp", kind: "answer", sdp: pc.localDescription.sdp });
        }
      } else {
        const c = { candidate: m.cand, sdpMid: m.mid, sdpMLineIndex: m.index };
        if (remoteSet) await pc.addIceCandidate(c).catch((e) => log(`addIceCandidate: ${e}`));
        else pending.push(c);
      }
    },
    tick: () => {},
    state: () => pc.connectionState,
    close: () => pc.close(),
    info: () => "node-datachannel (libdatachannel, polyfill)",
  };
}

// ---------------------------------------------------------------- payloads
const HEADER = 9;
const pattern = (seq, mode, i) => (seq * 31 + i * 7 + mode * 101 + (i >> 8)) & 0xff;
const sizeOf = (seq, maxSize) => {
  // 16 B .. maxSize: mostly small and single-packet, some a few packets, every 7th the largest.
  const steps = [16, 200, 1100, 1200, 2400, 700, 5000];
  if (seq % 7 === 6) return maxSize;
  return Math.max(HEADER, Math.min(maxSize, steps[seq % steps.length]));
};
function makeMessage(seq, mode, size) {
  const u8 = new Uint8Array(size);
  const dv = new DataView(u8.buffer);
  dv.setUint32(0, seq, true);
  dv.setUint32(4, size, true);
  u8[8] = mode;
  for (let i = HEADER; i < size; i++) u8[i] = pattern(seq, mode, i);
  return u8;
}
/** seq of an intact message of `mode`, or -1. */
function checkMessage(u8, mode) {
  if (u8.length < HEADER) return -1;
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const seq = dv.getUint32(0, true);
  if (dv.getUint32(4, true) !== u8.length || u8[8] !== mode) return -1;
  for (let i = HEADER; i < u8.length; i++) if (u8[i] !== pattern(seq, mode, i)) return -1;
  return seq;
}

function newRecord(label, ordered) {
  return { label, ordered, delivered: 0, bytes: 0, duplicates: 0, corrupt: 0, outOfOrder: 0, beyond: 0,
    firstAt: null, lastAt: null, maxGapMs: 0, seen: new Set(), last: -1 };
}
function account(rec, seq, len, limit) {
  const t = now();
  if (rec.lastAt !== null) rec.maxGapMs = Math.max(rec.maxGapMs, t - rec.lastAt);
  rec.firstAt ??= t;
  rec.lastAt = t;
  if (seq < 0) return void rec.corrupt++;
  if (limit !== undefined && seq >= limit) rec.beyond++;
  if (rec.seen.has(seq)) return void rec.duplicates++;
  rec.seen.add(seq);
  if (rec.ordered && seq < rec.last) rec.outOfOrder++;
  rec.last = Math.max(rec.last, seq);
  rec.delivered++;
  rec.bytes += len;
}
const publicRecord = (r) => {
  const { seen, last, ...rest } = r;
  return { ...rest, firstAt: r.firstAt === null ? null : Math.round(r.firstAt), lastAt: r.lastAt === null ? null : Math.round(r.lastAt), maxGapMs: Math.round(r.maxGapMs) };
};

// ---------------------------------------------------------------- run
const incoming = [];
let onIncoming = (m) => incoming.push(m);
const rl = createInterface({ input: process.stdin });
rl.on("line", (line) => {
  try {
    onIncoming(JSON.parse(line));
  } catch {
    /* ignore */
  }
});
rl.on("close", () => process.exit(0));

const peer = await (cfg.stack === "ours" ? oursPeer : ndcPeer)((sig) => out({ sig }));
const marks = {};
let lastState = "";
const task = cfg.task;
const modeIndex = new Map((task.modes ?? []).map((m, i) => [m.label, i]));
const records = new Map();   // label -> record (what this end received)
const senders = [];          // drive: { chan, mode, next, count }
let reported = false;
let connectedAt = null;
let openAt = null;
let doneAt = null;

function report(extra = {}) {
  if (reported) return;
  reported = true;
  const result = {
    stack: cfg.stack, role: cfg.role, info: peer.info(), state: peer.state(), marks, connectedAt, openAt, doneAt,
    records: [...records.values()].map(publicRecord),
    sent: senders.map((s) => ({ label: s.chan.label, sent: s.next, bytes: s.bytes, lastSendAt: s.lastSendAt === undefined ? null : Math.round(s.lastSendAt) })),
    errors, logs: logs.slice(-120), ...extra,
  };
  if (task.kind === "throughput" && cfg.role === "echo") result.throughput = throughputSummary();
  out({ result });
}

function handle(m) {
  if (m.sig) Promise.resolve(peer.signal(m.sig)).catch((e) => log(`signal: ${e?.stack ?? e}`));
  else if (m.cmd === "report") report();
  else if (m.cmd === "exit") {
    try {
      peer.close();
    } catch {
      /* closing */
    }
    setTimeout(() => process.exit(0), 50);
  }
}
for (const m of incoming.splice(0)) handle(m);
onIncoming = handle;

// throughput receiver: bytes per 100 ms bin since the first byte
const bins = [];
let bulkBytes = 0;
let bulkFirst = null;
let bulkLast = null;
function throughputSummary() {
  if (bulkFirst === null) return { bytes: 0 };
  const seconds = (bulkLast - bulkFirst) / 1000;
  // Steady state: the best 1 s window (after slow start) and the second half's mean.
  let best = 0;
  for (let i = 0; i + 10 <= bins.length; i++) best = Math.max(best, bins.slice(i, i + 10).reduce((a, b) => a + b, 0));
  const half = bins.slice(Math.floor(bins.length / 2));
  const halfMbit = half.length ? (half.reduce((a, b) => a + b, 0) * 8) / (half.length * 0.1) / 1e6 : 0;
  return { bytes: bulkBytes, seconds, mbit: (bulkBytes * 8) / seconds / 1e6, bestSecondMbit: (best * 8) / 1e6, secondHalfMbit: halfMbit, bins: bins.length };
}

function onMessage(chan, u8) {
  if (task.kind === "throughput") {
    const t = now();
    bulkFirst ??= t;
    bulkLast = t;
    bulkBytes += u8.length;
    const bin = Math.floor((t - bulkFirst) / 100);
    while (bins.length <= bin) bins.push(0);
    bins[bin] += u8.length;
    return;
  }
  const mode = modeIndex.get(chan.label);
  const spec = task.modes[mode];
  let rec = records.get(chan.label);
  if (!rec) records.set(chan.label, (rec = newRecord(chan.label, spec?.init?.ordered !== false)));
  const seq = mode === undefined ? -1 : checkMessage(u8, mode);
  account(rec, seq, u8.length, task.count);
  if (cfg.role === "echo" && !chan.send(u8)) log(`echo send refused on ${chan.label}`);
}

peer.onChannel((chan) => {
  log(`channel ${chan.label} received`);
  chan.onMessage((u8) => onMessage(chan, u8));
});

if (cfg.role === "drive") {
  const specs = task.kind === "throughput" ? [{ label: "bulk", init: {} }] : task.modes;
  for (const [i, spec] of specs.entries()) {
    const chan = peer.createChannel(spec.label, spec.init);
    chan.onMessage((u8) => onMessage(chan, u8));
    senders.push({ chan, mode: i, next: 0, bytes: 0, count: task.kind === "throughput" ? Infinity : task.count });
  }
  await peer.offer();
}

const bulk = task.kind === "throughput" ? new Uint8Array(task.msgSize).map((_, i) => i & 0xff) : null;
let bulkUntil = null;
let quietSince = null;

function pump() {
  if (!openAt) {
    if (senders.length && senders.every((s) => s.chan.open())) {
      openAt = now();
      log("all channels open");
      if (bulk) bulkUntil = now() + task.seconds * 1000;
    } else return;
  }
  for (const s of senders) {
    if (bulk) {
      if (now() >= bulkUntil) continue;
      while (s.chan.buffered() + bulk.length <= task.bound) {
        if (!s.chan.send(bulk)) break;
        s.next++;
        s.bytes += bulk.length;
      }
      continue;
    }
    while (s.next < s.count) {
      const size = sizeOf(s.next, task.maxSize);
      if (s.chan.buffered() + size > task.bound) break;
      if (!s.chan.send(makeMessage(s.next, s.mode, size))) break;
      s.next++;
      s.bytes += size;
      s.lastSendAt = now();
    }
  }
}

// The drive end is done when every reliable channel got all echoes back and the
// partially reliable ones have sent everything, drained and been quiet for a while.
function checkDone() {
  if (cfg.role !== "drive" || doneAt !== null || !openAt) return;
  if (bulk) {
    if (now() >= bulkUntil && senders[0].chan.buffered() === 0) doneAt = now();
    else if (now() >= bulkUntil + 5000) doneAt = now();  // still buffered: report anyway
    if (doneAt !== null) out({ done: true });
    return;
  }
  const reliableDone = task.modes.every((m, i) => {
    const partial = m.init.maxRetransmits !== undefined || m.init.maxPacketLifeTime !== undefined;
    if (partial) return true;
    return (records.get(m.label)?.delivered ?? 0) >= task.count;
  });
  const sentAll = senders.every((s) => s.next >= s.count && s.chan.buffered() === 0);
  if (!reliableDone || !sentAll) {
    quietSince = null;
    return;
  }
  const lastArrival = Math.max(0, ...[...records.values()].map((r) => r.lastAt ?? 0));
  quietSince ??= now();
  if (now() - Math.max(quietSince, lastArrival) >= task.quietMs) {
    doneAt = now();
    out({ done: true });
  }
}

const timer = setInterval(() => {
  try {
    peer.tick();
    const st = peer.state();
    if (st !== lastState) {
      lastState = st;
      marks[st] ??= Math.round(now());
      log(`state ${st}`);
      if (st === "connected") connectedAt ??= now();
    }
    pump();
    checkDone();
  } catch (e) {
    errors.push(String(e?.stack ?? e).slice(0, 1500));
  }
  if (now() > cfg.budgetMs) {
    clearInterval(timer);
    report({ budgetExceeded: true });
  }
}, 1);
