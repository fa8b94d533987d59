// The driver that runs in a browser page or worker: our engine through the
// relay (WebRTCPeerConnectionEngine, Godot API only) against echo peers the
// harness provides. For each job it connects (we offer or they offer), opens
// one in-band channel per reliability mode, sends text and binary messages of
// every size, and checks each echo by length and CRC-32. A "kill" job kills
// the relay mid-transfer and records how the connection ends, then proves the
// page still works with a fresh relay. Returns records; the test asserts.
// Self-contained: the harness appends `return await driver(wasmrtc, CONFIG)`.
async function driver(wasmrtc, CONFIG) {
  const { WebRTCPeerConnectionEngine, WebRTCDataChannel, WebRTCPeerConnection, Error: E, loadBrowserEngine, NobleCryptoProvider } = wasmrtc;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const now = () => performance.now();
  const T = new Uint32Array(256).map((_, i) => {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (d) => {
    let c = 0xffffffff;
    for (let i = 0; i < d.length; i++) c = T[(c ^ d[i]) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };

  // Crypto is synchronous @noble in the page; time spent inside it is the handshake's CPU cost.
  const base = new NobleCryptoProvider();
  let cryptoMs = 0;
  const timed = new Proxy(base, {
    get(t, k) {
      const v = t[k];
      if (typeof v !== "function") return v;
      return (...a) => {
        const s = now();
        try {
          return v.apply(t, a);
        } finally {
          cryptoMs += now() - s;
        }
      };
    },
  });
  await loadBrowserEngine({ crypto: timed });
  const logs = [];
  wasmrtc.set_log_sink((level, m) => logs.length < 200 && logs.push(`${level}: ${m}`));

  const sig = new WebSocket(CONFIG.signalUrl);
  await new Promise((res, rej) => {
    sig.onopen = res;
    sig.onerror = () => rej(new Error(`signaling WebSocket ${CONFIG.signalUrl} failed`));
  });
  const handlers = new Map();
  const replies = new Map();
  sig.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.t === "reply") replies.get(m.rid)?.(m);
    else handlers.get(m.conn)?.(m);
  };
  const send = (m) => sig.send(JSON.stringify(m));
  let rid = 0;
  const ask = (m) => new Promise((res) => {
    const id = ++rid;
    replies.set(id, res);
    send({ ...m, rid: id });
  });
  send({ t: "hello", who: "driver" });

  let relay = CONFIG.relay;
  let connId = 0;

  async function connect(remote, weOffer, extra = {}) {
    const conn = ++connId;
    const rec = { remote, weOffer, conn, setupMs: 0, setupCryptoMs: 0, states: [], remoteMms: 65536, errors: [], flows: [], localCandidates: [] };
    await ask({ t: "new", conn, remote, weOffer, modes: CONFIG.modes });
    const pc = new WebRTCPeerConnectionEngine();
    const t0 = now();
    const c0 = cryptoMs;
    const err = pc.initialize({ iceServers: [], wasmrtc: { relay, ...extra } });
    if (err !== E.OK) throw new Error(`initialize: ${err}`);
    const channels = new Map();
    const addChannel = (ch) => channels.set(ch.get_label(), { ch, got: [], cursor: 0 });
    let remoteSet = false;
    const early = [];
    pc.session_description_created.connect((type, sdp) => {
      pc.set_local_description(type, sdp);
      send({ t: "sdp", conn, type, sdp });
    });
    pc.ice_candidate_created.connect((mid, index, cand) => {
      rec.localCandidates.push(cand);
      send({ t: "cand", conn, mid, index, cand });
    });
    pc.data_channel_received.connect((ch) => addChannel(ch));
    handlers.set(conn, (m) => {
      if (m.t === "sdp") {
        const mm = /a=max-message-size:(\d+)/.exec(m.sdp);
        rec.remoteMms = mm ? Number(mm[1]) || Infinity : 65536;
        const r = pc.set_remote_description(m.type, m.sdp);
        if (r !== E.OK) rec.errors.push(`set_remote_description ${r}`);
        remoteSet = true;
        for (const c of early.splice(0)) pc.add_ice_candidate(c.mid, c.index, c.cand);
      } else if (m.t === "cand") {
        if (!remoteSet) early.push(m);
        else if (pc.add_ice_candidate(m.mid, m.index, m.cand) !== E.OK) rec.errors.push(`add_ice_candidate ${m.cand}`);
      } else if (m.t === "error") {
        rec.errors.push(`remote: ${m.message}`);
      }
    });
    if (weOffer) {
      for (const m of CONFIG.modes) addChannel(pc.create_data_channel(m.label, m.opts));
      pc.create_offer();
    } else {
      send({ t: "offer-now", conn, modes: CONFIG.modes });
    }
    const tick = () => {
      pc.poll();
      const s = pc.get_connection_state();
      if (rec.states[rec.states.length - 1] !== s) rec.states.push(s);
      for (const c of channels.values()) {
        while (c.ch.get_available_packet_count() > 0) {
          const data = c.ch.get_packet();
          c.got.push({ len: data.length, crc: crc32(data), str: c.ch.was_string_packet(), at: now() });
        }
      }
    };
    const until = async (cond, ms) => {
      const end = now() + ms;
      for (;;) {
        tick();
        if (cond()) return true;
        if (now() > end) return false;
        await sleep(1);
      }
    };
    const allOpen = () => channels.size === CONFIG.modes.length &&
      [...channels.values()].every((c) => c.ch.get_ready_state() === WebRTCDataChannel.STATE_OPEN);
    rec.open = await until(allOpen, 20000);
    rec.setupMs = now() - t0;
    rec.setupCryptoMs = cryptoMs - c0;
    return { pc, rec, channels, tick, until, conn };
  }

  function payload(size, seed, text) {
    const b = new Uint8Array(size);
    let x = (seed * 2654435761) >>> 0 || 1;
    for (let i = 0; i < size; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      b[i] = text ? 97 + ((x >>> 16) % 26) : x >>> 24;
    }
    return b;
  }

  async function flows(c) {
    let seed = 1;
    for (const mode of CONFIG.modes) {
      const entry = c.channels.get(mode.label);
      const reliable = mode.opts.maxRetransmits === undefined && mode.opts.maxPacketLifeTime === undefined;
      for (const size of CONFIG.sizes) {
        for (const text of [false, true]) {
          const f = { mode: mode.label, size, text, put: -1, attempts: 0, ok: false, ms: 0 };
          c.rec.flows.push(f);
          const data = payload(size, seed++, text);
          const want = crc32(data);
          const t0 = now();
          if (size > c.rec.remoteMms) {
            entry.ch.write_mode = text ? WebRTCDataChannel.WRITE_MODE_TEXT : WebRTCDataChannel.WRITE_MODE_BINARY;
            f.put = entry.ch.put_packet(data);
            f.oversize = true;
            f.ok = f.put !== E.OK;
            continue;
          }
          for (let a = 0; a < (reliable ? 1 : 4) && !f.ok; a++) {
            f.attempts++;
            entry.ch.write_mode = text ? WebRTCDataChannel.WRITE_MODE_TEXT : WebRTCDataChannel.WRITE_MODE_BINARY;
            f.put = entry.ch.put_packet(data);
            if (f.put !== E.OK) break;
            await c.until(() => {
              for (; entry.cursor < entry.got.length; entry.cursor++) {
                const g = entry.got[entry.cursor];
                if (g.len === size && g.crc === want) {
                  f.ok = true;
                  f.echoString = g.str;
                  entry.cursor++;
                  return true;
                }
              }
              return false;
            }, reliable ? 15000 : 2000);
          }
          f.ms = now() - t0;
        }
      }
    }
  }

  const results = [];
  for (const job of CONFIG.jobs) {
    if (job.kill) {
      results.push(await killJob(job));
      continue;
    }
    const c = await connect(job.remote, job.weOffer);
    if (c.rec.open) await flows(c);
    c.pc.close();
    send({ t: "close", conn: c.conn });
    handlers.delete(c.conn);
    results.push(c.rec);
  }

  async function killJob(job) {
    const c = await connect(job.remote, true, { disconnectedAfterMs: job.disconnectedAfterMs, failedAfterMs: job.failedAfterMs });
    const rec = c.rec;
    rec.kill = { echoesBefore: 0, echoesAfter: 0, disconnectedAfterMs: null, failedAfterMs: null, maxLoopGapMs: 0, reconnected: false };
    if (!rec.open) return rec;
    const entry = c.channels.get(CONFIG.modes[0].label);
    const chunk = payload(16384, 7, false);
    let killedAt = 0;
    let last = now();
    const end = now() + job.failedAfterMs + 10000;
    while (now() < end) {
      c.tick();
      const t = now();
      if (killedAt) rec.kill.maxLoopGapMs = Math.max(rec.kill.maxLoopGapMs, t - last);
      last = t;
      if (entry.ch.get_buffered_amount() < 256 * 1024 && entry.ch.get_ready_state() === WebRTCDataChannel.STATE_OPEN) entry.ch.put_packet(chunk);
      if (!killedAt) rec.kill.echoesBefore = entry.got.length;
      else rec.kill.echoesAfter = entry.got.length - rec.kill.echoesBefore;
      if (!killedAt && entry.got.length >= 50) {
        await ask({ t: "kill-relay" });
        killedAt = now();
        last = killedAt;
      }
      const s = c.pc.get_connection_state();
      if (killedAt && s === WebRTCPeerConnection.STATE_DISCONNECTED && rec.kill.disconnectedAfterMs === null) rec.kill.disconnectedAfterMs = now() - killedAt;
      if (killedAt && s === WebRTCPeerConnection.STATE_FAILED) {
        rec.kill.failedAfterMs = now() - killedAt;
        break;
      }
      await sleep(1);
    }
    rec.kill.channelStateAfter = entry.ch.get_ready_state();
    rec.kill.putAfter = entry.ch.put_packet(chunk);
    c.pc.close();
    send({ t: "close", conn: c.conn });
    // The page is still usable: a new relay, a new connection, a message and its echo.
    const fresh = await ask({ t: "new-relay" });
    relay = fresh.relay;
    const again = await connect(job.remote, true);
    if (again.rec.open) {
      const e2 = again.channels.get(CONFIG.modes[0].label);
      const msg = payload(1000, 9, false);
      e2.ch.put_packet(msg);
      rec.kill.reconnected = await again.until(() => e2.got.some((g) => g.crc === crc32(msg)), 10000);
    }
    rec.kill.reconnectSetupMs = again.rec.setupMs;
    again.pc.close();
    send({ t: "close", conn: again.conn });
    return rec;
  }

  sig.close();
  return { results, logs, inWorker: typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope,
    hasNodeGlobals: typeof process !== "undefined" || typeof Buffer !== "undefined", userAgent: navigator.userAgent };
}
