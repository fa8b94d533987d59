// The page side of `npm run bench:browser` (runs in Chromium; the page imports
// dist/browser.js and calls install(wasmrtc)). Two stacks against our engine
// in Node (bench/browser/node-peer.mjs), signaled over a WebSocket:
//   "ours":   WebRTCPeerConnectionEngine through the Godot API, reaching Node through the relay;
//   "native": Chromium's own RTCPeerConnection, direct UDP on 127.0.0.1.
// The page offers, creates one channel ("setup", "tput" or "echo") and measures.
//
// Our engine is polled on every turn of the page's event loop (a MessageChannel
// message: setTimeout(0) would be clamped to 4 ms); a game would poll once per
// frame (16 ms). Chromium's stack needs no polling.
export function install(wasmrtc) {
  const { WebRTCPeerConnectionEngine, WebRTCDataChannel, NobleCryptoProvider, loadBrowserEngine, Error: E } = wasmrtc;
  const now = () => performance.now();
  const OPEN = WebRTCDataChannel.STATE_OPEN;

  // One event-loop turn: a message to ourselves (runs after the tasks already queued, e.g. WebSocket messages).
  const mc = new MessageChannel();
  let turnResolve = null;
  mc.port1.onmessage = () => {
    const r = turnResolve;
    turnResolve = null;
    r?.();
  };
  const turn = () => new Promise((r) => {
    turnResolve = r;
    mc.port2.postMessage(0);
  });
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // @noble crypto with a switchable stopwatch per method (off: one extra call through the proxy).
  const cr = { on: false, ms: 0, calls: 0, byName: {} };
  const base = new NobleCryptoProvider();
  const wrapped = new Map();
  const crypto = new Proxy(base, {
    get(t, k) {
      const v = t[k];
      if (typeof v !== "function") return v;
      let f = wrapped.get(k);
      if (!f) {
        f = (...a) => {
          if (!cr.on) return v.apply(t, a);
          const s = now();
          try {
            return v.apply(t, a);
          } finally {
            const d = now() - s;
            cr.ms += d;
            cr.calls++;
            const e = (cr.byName[k] ??= { ms: 0, calls: 0 });
            e.ms += d;
            e.calls++;
          }
        };
        wrapped.set(k, f);
      }
      return f;
    },
  });
  const resetCrypto = (on) => {
    cr.on = on;
    cr.ms = 0;
    cr.calls = 0;
    cr.byName = {};
  };

  // The "wake" poll mode: instead of polling on every turn, the loop sleeps until the relay
  // WebSocket delivered a frame (or 1 ms passed, for the engine's timers).
  let wakeResolve = null;
  const wakeNow = () => {
    const r = wakeResolve;
    wakeResolve = null;
    r?.();
  };
  const waitWake = () => new Promise((r) => {
    wakeResolve = r;
    setTimeout(wakeNow, 1);
  });

  // The relay WebSocket (given to the engine as wasmrtc.relay.WebSocket) with a stopwatch on what
  // the engine does per incoming frame and per send (profile runs), and the wake-up of "wake" mode.
  const ws = { inMs: 0, inFrames: 0, sendMs: 0, sendFrames: 0, lastInAt: 0 };
  class BenchWebSocket extends WebSocket {
    get onmessage() {
      return super.onmessage;
    }
    set onmessage(fn) {
      super.onmessage = fn ? (ev) => {
        const s = now();
        try {
          fn(ev);
        } finally {
          ws.inMs += now() - s;
          ws.inFrames++;
          ws.lastInAt = s;
          wakeNow();
        }
      } : null;
    }
    send(d) {
      const s = now();
      super.send(d);
      ws.sendMs += now() - s;
      ws.sendFrames++;
    }
  }

  let sig = null;
  const handlers = new Map();
  let connId = 0;
  let relay = null;
  const sendSig = (m) => sig.send(JSON.stringify(m));

  async function init(cfg) {
    relay = cfg.relay;
    // Chromium gathers host candidates (127.0.0.1 here) only for a page with media permission: ask
    // once (the browser runs with a fake device and auto-accepts), then stop the track.
    let media = "not asked";
    try {
      const s = await navigator.mediaDevices.getUserMedia({ audio: true });
      for (const t of s.getTracks()) t.stop();
      media = "granted";
    } catch (e) {
      media = `refused: ${e?.name ?? e}`;
    }
    const t0 = now();
    await loadBrowserEngine({ crypto });
    const loadMs = now() - t0;
    wasmrtc.set_log_sink?.(() => {});
    sig = new WebSocket(cfg.signalUrl);
    await new Promise((res, rej) => {
      sig.onopen = res;
      sig.onerror = () => rej(new Error(`signaling WebSocket ${cfg.signalUrl} failed`));
    });
    sig.onmessage = (e) => {
      const m = JSON.parse(e.data);
      handlers.get(m.conn)?.(m);
    };
    return { loadMs, media, userAgent: navigator.userAgent, crossOriginIsolated: globalThis.crossOriginIsolated === true };
  }

  /** Opens conn on the Node side and routes its messages to `on`; resolves when Node has its peer. */
  function openRemote(kind, expect, on) {
    const conn = ++connId;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("the Node peer did not answer 'new'")), 10000);
      handlers.set(conn, (m) => {
        if (m.t === "ready") {
          clearTimeout(t);
          resolve(conn);
        } else on(m);
      });
      sendSig({ t: "new", conn, kind, expect });
    });
  }
  const closeRemote = (conn) => {
    sendSig({ t: "close", conn });
    handlers.delete(conn);
  };

  /** Our engine: { setupMs, cryptoMs, ch, pc, poll, close, remote } with the channel open. */
  async function connectOurs(kind, { expect = 0, profiled = false, timeoutMs = 20000 } = {}) {
    const rx = { tput: null, errors: [] };
    const at = { candidate: NaN, answer: NaN, connected: NaN };  // ms after t0
    let t0 = 0;
    let pc = null;
    let remoteSet = false;
    const early = [];
    const conn = await openRemote(kind, expect, (m) => {
      if (m.t === "sdp") {
        at.answer = now() - t0;
        if (pc.set_remote_description(m.type, m.sdp) !== E.OK) rx.errors.push("set_remote_description");
        remoteSet = true;
        for (const c of early.splice(0)) pc.add_ice_candidate(c.mid, c.index, c.cand);
      } else if (m.t === "cand") {
        if (!remoteSet) early.push(m);
        else pc.add_ice_candidate(m.mid, m.index, m.cand);
      } else if (m.t === "tput") rx.tput = m;
      else if (m.t === "error") rx.errors.push(m.message);
    });
    const c0 = cr.ms;
    t0 = now();
    pc = new WebRTCPeerConnectionEngine();
    const r = pc.initialize({ iceServers: [], wasmrtc: { relay: profiled ? { ...relay, WebSocket: BenchWebSocket } : relay } });
    if (r !== E.OK) throw new Error(`initialize: ${r}`);
    pc.session_description_created.connect((type, sdp) => {
      pc.set_local_description(type, sdp);
      sendSig({ t: "sdp", conn, type, sdp });
    });
    pc.ice_candidate_created.connect((mid, index, cand) => {
      if (Number.isNaN(at.candidate)) at.candidate = now() - t0;
      sendSig({ t: "cand", conn, mid, index, cand });
    });
    const ch = pc.create_data_channel(kind, { ordered: true });
    if (pc.create_offer() !== E.OK) throw new Error("create_offer failed");
    const end = t0 + timeoutMs;
    while (ch.get_ready_state() !== OPEN) {
      if (now() > end) {
        pc.close();
        closeRemote(conn);
        throw new Error(`ours: channel not open within ${timeoutMs} ms (state ${pc.get_connection_state()}; ${rx.errors.join(", ")})`);
      }
      pc.poll();
      if (Number.isNaN(at.connected) && pc.get_connection_state() === wasmrtc.WebRTCPeerConnection.STATE_CONNECTED) at.connected = now() - t0;
      await turn();
    }
    const setupMs = now() - t0;
    return { setupMs, at, cryptoMs: cr.ms - c0, pc, ch, rx, close: () => { pc.close(); closeRemote(conn); }, conn };
  }

  /** Chromium's RTCPeerConnection: same shape, the channel open. */
  async function connectNative(kind, { expect = 0, timeoutMs = 20000 } = {}) {
    const rx = { tput: null, errors: [], onTput: null };
    const at = { candidate: NaN, answer: NaN, connected: NaN };
    let t0 = 0;
    let pc = null;
    let chain = Promise.resolve();
    const conn = await openRemote(kind, expect, (m) => {
      if (m.t === "sdp" && Number.isNaN(at.answer)) at.answer = now() - t0;
      if (m.t === "sdp") chain = chain.then(() => pc.setRemoteDescription({ type: m.type, sdp: m.sdp })).catch((e) => rx.errors.push(String(e)));
      else if (m.t === "cand") chain = chain.then(() => pc.addIceCandidate({ candidate: m.cand, sdpMid: m.mid, sdpMLineIndex: m.index })).catch((e) => rx.errors.push(String(e)));
      else if (m.t === "tput") {
        rx.tput = m;
        rx.onTput?.();
      } else if (m.t === "error") rx.errors.push(m.message);
    });
    t0 = now();
    pc = new RTCPeerConnection({ iceServers: [] });
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "connected" && Number.isNaN(at.connected)) at.connected = now() - t0;
    };
    pc.onicecandidate = (e) => {
      if (e.candidate && Number.isNaN(at.candidate)) at.candidate = now() - t0;
      if (e.candidate && e.candidate.candidate) sendSig({ t: "cand", conn, mid: e.candidate.sdpMid ?? "0", index: e.candidate.sdpMLineIndex ?? 0, cand: e.candidate.candidate });
    };
    const dc = pc.createDataChannel(kind, { ordered: true });
    dc.binaryType = "arraybuffer";
    const opened = new Promise((r) => (dc.onopen = r));
    await pc.setLocalDescription(await pc.createOffer());
    sendSig({ t: "sdp", conn, type: "offer", sdp: pc.localDescription.sdp });
    const ok = await Promise.race([opened.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!ok) {
      pc.close();
      closeRemote(conn);
      throw new Error(`native: channel not open within ${timeoutMs} ms (${pc.connectionState}; ${rx.errors.join(", ")})`);
    }
    const setupMs = now() - t0;
    return { setupMs, at, pc, dc, rx, close: () => { pc.close(); closeRemote(conn); }, conn };
  }

  const connect = (stack, kind, o) => (stack === "ours" ? connectOurs(kind, o) : connectNative(kind, o));

  /** The first connection of the page (cold: compilation, JIT, first key generation) apart, then `runs` more. */
  async function setup({ stack, runs }) {
    resetCrypto(true);
    const out = [];
    for (let i = 0; i <= runs; i++) {
      const c = await connect(stack, "setup");
      out.push({ ms: c.setupMs, cryptoMs: c.cryptoMs ?? null, ...c.at });
      c.close();
      await sleep(50);
    }
    resetCrypto(false);
    return { cold: out[0], runs: out.slice(1) };
  }

  /** Waits for the Node side's report (it sends one when `expect` bytes are in), asks for a partial one after `ms`. */
  async function receiverReport(c, ms, poll) {
    const end = now() + ms;
    while (!c.rx.tput && now() < end) {
      poll?.();
      await (poll ? turn() : sleep(5));
    }
    if (!c.rx.tput) {
      sendSig({ t: "tput?", conn: c.conn });
      const end2 = now() + 2000;
      while (!c.rx.tput && now() < end2) await sleep(10);
    }
    return c.rx.tput;
  }

  async function tput({ stack, total, size, bound, seconds, profile = false, poll = "turn" }) {
    const msg = new Uint8Array(size).map((_, i) => i & 0xff);
    const c = await connect(stack, "tput", { expect: total, profiled: profile || poll === "wake" });
    const wait = poll === "wake" ? waitWake : turn;
    const p = { pollMs: 0, putMs: 0, turns: 0, busy: 0 };
    try {
      let sent = 0;
      let maxBuffered = 0;
      const t0 = now();
      const stop = t0 + seconds * 1000;
      if (profile) {
        resetCrypto(true);
        Object.assign(ws, { inMs: 0, inFrames: 0, sendMs: 0, sendFrames: 0 });
      }
      if (stack === "ours") {
        const { pc, ch } = c;
        while (sent < total && now() < stop) {
          let s = profile ? now() : 0;
          pc.poll();
          if (profile) {
            const t = now();
            p.pollMs += t - s;
            s = t;
          }
          while (sent < total && ch.get_buffered_amount() + size <= bound) {
            if (ch.put_packet(msg) !== E.OK) {
              p.busy++;
              break;
            }
            sent += size;
          }
          if (profile) p.putMs += now() - s;
          maxBuffered = Math.max(maxBuffered, ch.get_buffered_amount());
          p.turns++;
          await wait();
        }
      } else {
        const { dc } = c;
        dc.bufferedAmountLowThreshold = bound / 2;
        while (sent < total && now() < stop) {
          while (sent < total && dc.bufferedAmount + size <= bound) {
            dc.send(msg);
            sent += size;
          }
          maxBuffered = Math.max(maxBuffered, dc.bufferedAmount);
          p.turns++;
          await Promise.race([new Promise((r) => (dc.onbufferedamountlow = r)), sleep(200)]);
        }
      }
      const sendMs = now() - t0;
      const pageBusy = { ...p };
      const report = await receiverReport(c, 15000, stack === "ours" ? () => c.pc.poll() : null);
      const wallMs = now() - t0;
      const prof = profile ? { crypto: { ms: cr.ms, calls: cr.calls, byName: cr.byName }, ws: { ...ws }, loop: pageBusy, wallMs, sendMs } : null;
      resetCrypto(false);
      const bytes = report?.bytes ?? 0;
      const complete = bytes >= sent && sent > 0;
      // MB/s at the receiver: bytes after the first message over the time from the first to the last one.
      const mbPerS = report && report.ms > 0 ? (bytes - report.firstSize) / 1e6 / (report.ms / 1000) : NaN;
      return { sent, received: bytes, complete, mbPerS, receiverMs: report?.ms ?? NaN, sendMs, maxBuffered, busy: p.busy, setupMs: c.setupMs, prof, errors: c.rx.errors };
    } finally {
      c.close();
    }
  }

  async function rtt({ stack, pings, warmup, size, seconds, profile = false, poll = "turn" }) {
    const c = await connect(stack, "echo", { profiled: profile || poll === "wake" });
    const wait = poll === "wake" ? waitWake : turn;
    const ping = new Uint8Array(size).fill(7);
    const rtts = [];
    // Profile: when the relay WebSocket delivered the frame that carried the echo, and crypto per ping.
    const split = { toPageUs: [], inPageUs: [], turns: 0 };
    if (profile) {
      resetCrypto(true);
      Object.assign(ws, { inMs: 0, inFrames: 0, sendMs: 0, sendFrames: 0, lastInAt: 0 });
    }
    try {
      const end = now() + seconds * 1000;
      if (stack === "ours") {
        const { pc, ch } = c;
        for (let i = 0; i < pings + warmup && now() < end; i++) {
          const t = now();
          if (ch.put_packet(ping) !== E.OK) throw new Error("put_packet failed");
          const limit = t + 5000;
          for (;;) {
            pc.poll();
            if (ch.get_available_packet_count() > 0) {
              ch.get_packet();
              break;
            }
            if (now() > limit) throw new Error("no echo within 5 s");
            split.turns++;
            await wait();
          }
          const seen = now();
          if (i >= warmup) {
            rtts.push((seen - t) * 1000);
            if (profile) {
              split.toPageUs.push((ws.lastInAt - t) * 1000);
              split.inPageUs.push((seen - ws.lastInAt) * 1000);
            }
          }
        }
      } else {
        const { dc } = c;
        let got = null;
        dc.onmessage = () => got?.();
        for (let i = 0; i < pings + warmup && now() < end; i++) {
          const t = now();
          const echoed = new Promise((r) => (got = r));
          dc.send(ping);
          const ok = await Promise.race([echoed.then(() => true), sleep(5000).then(() => false)]);
          if (!ok) throw new Error("no echo within 5 s");
          if (i >= warmup) rtts.push((now() - t) * 1000);
        }
      }
      const prof = profile ? { split, crypto: { ms: cr.ms, calls: cr.calls, byName: cr.byName }, ws: { inMs: ws.inMs, inFrames: ws.inFrames, sendMs: ws.sendMs, sendFrames: ws.sendFrames } } : null;
      resetCrypto(false);
      return { rttsUs: rtts, setupMs: c.setupMs, prof };
    } finally {
      c.close();
    }
  }

  /** @noble AES-GCM as the engine calls it (a key once, then seal per record), µs per call. */
  function cryptoMicro({ size, n }) {
    const key = base.aeadKeyNew("aes-128-gcm", new Uint8Array(16).fill(1));
    const nonce = new Uint8Array(12);
    const aad = new Uint8Array(13);
    const pt = new Uint8Array(size);
    for (let i = 0; i < 200; i++) base.aeadSeal(key, nonce, aad, pt);
    const t = now();
    for (let i = 0; i < n; i++) base.aeadSeal(key, nonce, aad, pt);
    return ((now() - t) * 1000) / n;
  }

  return { init, setup, tput, rtt, cryptoMicro };
}
