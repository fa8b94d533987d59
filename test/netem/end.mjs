// The two halves of one netem end that do not depend on where they run, as
// self-contained functions (no imports, nothing from the module's scope), so
// the very same code runs in Node (peer-child.mjs) and, through
// Function.prototype.toString, in a Chromium page (chromium-child.mjs):
//
//   netemEnd(env)  the drive/echo logic: channels, payloads, checks, pacing,
//                  the done rule and the result (see peer-child.mjs's header).
//   w3cPeer(env)   a W3C RTCPeerConnection (node-datachannel's polyfill, or
//                  the browser's own) as the `peer` netemEnd drives.
//
// peer: { createChannel(label, init) -> chan, onChannel(cb), offer(), signal(msg), tick(), state(), close(), info() }
// chan: { label, open(), send(u8) -> bool, buffered(), onMessage(cb) }
// Signaling messages: { type: "sdp", kind, sdp } and { type: "cand", mid, index, cand }.

/**
 * env: { cfg: { stack, role, task, budgetMs }, peer, out(obj), now() (ms since
 * the end started), log(s), logs (the array log fills), errors (an array) }.
 * Starts the end (the drive end creates the channels and offers) and returns
 * { handle(msg) } for what the parent sends ({ sig } or { cmd: "report" }).
 */
export function netemEnd(env) {
  const { cfg, peer, out, now, log, logs, errors } = env;
  const task = cfg.task;

  // ------------------------------------------------------------ payloads
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

  // ------------------------------------------------------------ state
  const marks = {};
  let lastState = "";
  const modeIndex = new Map((task.modes ?? []).map((m, i) => [m.label, i]));
  const records = new Map();   // label -> record (what this end received)
  const senders = [];          // drive: { chan, mode, next, count }
  let reported = false;
  let connectedAt = null;
  let openAt = null;
  let doneAt = null;

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
    const reliableDone = task.modes.every((m) => {
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

  if (cfg.role === "drive") {
    const specs = task.kind === "throughput" ? [{ label: "bulk", init: {} }] : task.modes;
    for (const [i, spec] of specs.entries()) {
      const chan = peer.createChannel(spec.label, spec.init);
      chan.onMessage((u8) => onMessage(chan, u8));
      senders.push({ chan, mode: i, next: 0, bytes: 0, count: task.kind === "throughput" ? Infinity : task.count });
    }
    Promise.resolve(peer.offer()).catch((e) => errors.push(`offer: ${String(e?.stack ?? e).slice(0, 1500)}`));
  }

  // (A browser clamps this to 4 ms: enough, the echoes go out from the message events.)
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

  return {
    handle(m) {
      if (m.sig) Promise.resolve(peer.signal(m.sig)).catch((e) => log(`signal: ${e?.stack ?? e}`));
      else if (m.cmd === "report") report();
    },
  };
}

/**
 * env: { PC (the RTCPeerConnection class), config (its configuration), signal(msg),
 * log(s), error(s), info (a string), onlyAddress? }. With onlyAddress, every
 * gathered candidate must be on that address: others are errors and are not
 * signaled (a browser enumerates the interfaces itself).
 */
export function w3cPeer(env) {
  const pc = new env.PC(env.config);
  pc.onicecandidate = (e) => {
    const c = e.candidate;
    if (!c || !c.candidate) return;
    const line = String(c.candidate).replace(/^a=/, "");
    env.log(`gathered ${line}`);
    if (env.onlyAddress && line.split(/\s+/)[4] !== env.onlyAddress) {
      env.error(`gathered a candidate that is not on ${env.onlyAddress}: ${line}`);
      return;
    }
    env.signal({ type: "cand", mid: c.sdpMid ?? "0", index: c.sdpMLineIndex ?? 0, cand: line });
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
  const addCandidate = (c) => pc.addIceCandidate(c).catch((e) => env.log(`addIceCandidate: ${e}`));
  return {
    createChannel: (label, init) => wrap(pc.createDataChannel(label, init)),
    onChannel: (f) => (onChannel = f),
    offer: async () => {
      const o = await pc.createOffer();
      await pc.setLocalDescription(o);
      env.signal({ type: "sdp", kind: "offer", sdp: pc.localDescription.sdp });
    },
    signal: async (m) => {
      if (m.type === "sdp") {
        await pc.setRemoteDescription({ type: m.kind, sdp: m.sdp });
        remoteSet = true;
        for (const c of pending.splice(0)) await addCandidate(c);
        if (m.kind === "offer") {
          const a = await pc.createAnswer();
          await pc.setLocalDescription(a);
          env.signal({ type: "sdp", kind: "answer", sdp: pc.localDescription.sdp });
        }
      } else {
        const cand = m.cand.startsWith("candidate:") ? m.cand : `candidate:${m.cand}`;
        const c = { candidate: cand, sdpMid: m.mid, sdpMLineIndex: m.index };
        if (remoteSet) await addCandidate(c);
        else pending.push(c);
      }
    },
    tick: () => {},
    state: () => pc.connectionState,
    close: () => pc.close(),
    info: () => env.info,
  };
}
