// Data-channel benchmark, side by side in one run: each stack talks to itself
// on 127.0.0.1 (werift <-> werift, @roamhq/wrtc <-> wrtc, node-datachannel <->
// node-datachannel, pion <-> pion in the Go echo peer of test/interop/pion when
// go and Debian's pion sources are there, and ours <-> ours through the Godot
// API of dist/index.js when the WebRTCPeerConnectionEngine extension is there).
// Numbers and ratios against node-datachannel, never pass/fail. See bench/README.md.
//
//   node bench/datachannel.mjs            # whole table (re-runs itself in a private netns)
//   node bench/datachannel.mjs --json     # also print the results as one JSON line
//   BENCH_STACKS=wrtc,ours node bench/datachannel.mjs
//
// Each stack runs in its own child process (inside the same namespace) so that
// memory figures are not polluted by the others.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..");
const require = createRequire(import.meta.url);
const MARK = "@@BENCH@@";
const ALL = ["node-datachannel", "wrtc", "werift", "pion", "ours"];
const cfg = {
  setupRuns: Number(process.env.BENCH_SETUP_RUNS ?? 10),
  tputSeconds: Number(process.env.BENCH_TPUT_SECONDS ?? 3),
  tputMaxBytes: 64 * 1024 * 1024,
  tputMessage: 16 * 1024,
  tputBufferBound: 1024 * 1024,
  pings: Number(process.env.BENCH_PINGS ?? 2000),
  pingSeconds: 10,
  memConnections: Number(process.env.BENCH_MEM_CONNECTIONS ?? 50),
};
const args = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tick = () => new Promise((r) => setImmediate(r));
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN; };
const pct = (a, p) => { const s = [...a].sort((x, y) => x - y); return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN; };

// ------------------------------------------------------------------ stacks
// Every stack is wrapped as makePair() -> { setupMs, a, b, close() } where a/b
// are channels { send(u8), buffered(), onmessage(cb) }.

async function w3cStack(name) {
  let PC;
  let config;
  let toSend = (u8) => u8;
  if (name === "wrtc") {
    PC = require("@roamhq/wrtc").RTCPeerConnection;
    config = { iceServers: [] };
  } else if (name === "werift") {
    PC = (await import("werift")).RTCPeerConnection;
    config = { iceServers: [], iceAdditionalHostAddresses: ["127.0.0.1"] };
    toSend = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
  } else {
    PC = (await import("node-datachannel/polyfill")).RTCPeerConnection;
    config = { iceServers: [], bindAddress: "127.0.0.1" };
  }
  const version = pkgVersion(name === "wrtc" ? "@roamhq/wrtc" : name);
  const wrap = (dc) => {
    let cb = () => {};
    dc.binaryType = "arraybuffer";
    dc.onmessage = (e) => cb(e.data);
    return {
      send: (u8) => dc.send(toSend(u8)),
      buffered: () => dc.bufferedAmount ?? 0,
      onmessage: (f) => { cb = f; },
      size: (d) => (typeof d === "string" ? d.length : d.byteLength),
    };
  };
  async function makePair() {
    const pa = new PC(config);
    const pb = new PC(config);
    const t0 = performance.now();
    pa.onicecandidate = (e) => e.candidate && pb.addIceCandidate(normal(e.candidate)).catch(() => {});
    pb.onicecandidate = (e) => e.candidate && pa.addIceCandidate(normal(e.candidate)).catch(() => {});
    const dca = pa.createDataChannel("bench");
    const openA = new Promise((r) => (dca.onopen = r));
    const gotB = new Promise((r) => (pb.ondatachannel = (e) => (e.channel.readyState === "open" ? r(e.channel) : (e.channel.onopen = () => r(e.channel)))));
    const offer = await pa.createOffer();
    await pa.setLocalDescription(offer);
    await pb.setRemoteDescription({ type: "offer", sdp: offer.sdp });
    const answer = await pb.createAnswer();
    await pb.setLocalDescription(answer);
    await pa.setRemoteDescription({ type: "answer", sdp: answer.sdp });
    const dcb = await withTimeout(gotB, 15000, `${name}: channel not announced`);
    await withTimeout(openA, 15000, `${name}: channel not open`);
    const setupMs = performance.now() - t0;
    return { setupMs, a: wrap(dca), b: wrap(dcb), close: () => { pa.close(); pb.close(); }, pump: null };
  }
  return { name, version, makePair };
}

// node-datachannel's candidates lack sdpMLineIndex and start with "a=".
function normal(c) {
  const s = String(c.candidate).replace(/^a=/, "");
  return { candidate: s, sdpMid: c.sdpMid ?? "0", sdpMLineIndex: typeof c.sdpMLineIndex === "number" ? c.sdpMLineIndex : 0 };
}

async function oursStack() {
  const distFile = process.env.WASMRTC_DIST ? resolve(process.env.WASMRTC_DIST) : resolve(repo, "dist/index.js");
  if (!existsSync(distFile)) return { skip: `${distFile} not built (npm run build)` };
  const w = await import(pathToFileURL(distFile).href);
  w.set_log_sink?.(() => {});
  if (w.WebRTCPeerConnection.set_default_extension("WebRTCPeerConnectionEngine") !== 0) {
    return { skip: "the WebRTCPeerConnectionEngine extension is not registered in dist/index.js" };
  }
  const pollers = new Set();
  let pumping = false;
  // Poll as often as the event loop allows (a game polls once per frame; this measures the engine, not the frame rate).
  const pump = async () => {
    if (pumping) return;
    pumping = true;
    while (pollers.size) {
      for (const p of pollers) p();
      await tick();
    }
    pumping = false;
  };
  const wrap = (ch) => {
    let cb = () => {};
    const drain = () => {
      while (ch.get_available_packet_count() > 0) cb(ch.get_packet());
    };
    return {
      ch, drain,
      send: (u8) => {
        const r = ch.put_packet(u8);
        if (r !== 0) throw new Error(`put_packet returned ${r}`);
      },
      buffered: () => ch.get_buffered_amount(),
      onmessage: (f) => { cb = f; },
      size: (d) => d.byteLength,
    };
  };
  async function makePair() {
    const conf = { iceServers: [], wasmrtc: { bind: ["127.0.0.1"] } };
    const pa = new w.WebRTCPeerConnection();
    const pb = new w.WebRTCPeerConnection();
    if (pa.initialize(conf) !== 0 || pb.initialize(conf) !== 0) throw new Error("initialize failed");
    const t0 = performance.now();
    pa.session_description_created.connect((t, s) => { pa.set_local_description(t, s); pb.set_remote_description(t, s); });
    pb.session_description_created.connect((t, s) => { pb.set_local_description(t, s); pa.set_remote_description(t, s); });
    pa.ice_candidate_created.connect((m, i, n) => pb.add_ice_candidate(m, i, n));
    pb.ice_candidate_created.connect((m, i, n) => pa.add_ice_candidate(m, i, n));
    let chb = null;
    pb.data_channel_received.connect((c) => { chb = c; });
    const cha = pa.create_data_channel("bench");
    const a = wrap(cha);
    let b = null;
    const poll = () => {
      pa.poll();
      pb.poll();
      a.drain();
      if (chb && !b) b = wrap(chb);
      b?.drain();
    };
    pollers.add(poll);
    pump();
    if (pa.create_offer() !== 0) throw new Error("create_offer failed");
    const end = performance.now() + 15000;
    while (!(cha.get_ready_state() === 1 && chb && chb.get_ready_state() === 1)) {
      if (performance.now() > end) throw new Error("ours: channel not open within 15 s");
      await tick();
    }
    const setupMs = performance.now() - t0;
    return { setupMs, a, b: b ?? wrap(chb), close: () => { pollers.delete(poll); pa.close(); pb.close(); } };
  }
  return { name: "ours", version: `wasmrtc ${w.VERSION ?? "?"} (WebRTCPeerConnectionEngine, Godot API)`, makePair };
}

function pkgVersion(name) {
  let dir = dirname(require.resolve(name));
  for (let i = 0; i < 8; i++, dir = dirname(dir)) {
    const f = resolve(dir, "package.json");
    if (existsSync(f)) {
      const p = require(f);
      if (p.name === name) return `${name} ${p.version}`;
    }
  }
  return name;
}

function withTimeout(p, ms, what) {
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`timeout: ${what}`)), ms);
    p.then((v) => (clearTimeout(t), res(v)), (e) => (clearTimeout(t), rej(e)));
  });
}

// ------------------------------------------------------------------ measurements
async function measureSetup(stack) {
  const times = [];
  for (let i = 0; i < cfg.setupRuns; i++) {
    const p = await stack.makePair();
    times.push(p.setupMs);
    p.close();
    await sleep(20);
  }
  return { medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times) };
}

async function measureThroughput(stack) {
  const p = await stack.makePair();
  try {
    const msg = new Uint8Array(cfg.tputMessage).map((_, i) => i & 0xff);
    let received = 0;
    let tFirst = 0;
    let tLast = 0;
    p.b.onmessage((d) => {
      const now = performance.now();
      if (!tFirst) tFirst = now;
      tLast = now;
      received += p.b.size(d);
    });
    let sent = 0;
    let maxBuffered = 0;
    const t0 = performance.now();
    const stopAt = t0 + cfg.tputSeconds * 1000;
    while (sent < cfg.tputMaxBytes && performance.now() < stopAt) {
      // Backpressure: keep the sender's buffered amount under the bound.
      while (p.a.buffered() + msg.length <= cfg.tputBufferBound && sent < cfg.tputMaxBytes) {
        p.a.send(msg);
        sent += msg.length;
      }
      maxBuffered = Math.max(maxBuffered, p.a.buffered());
      await tick();
    }
    const drainEnd = performance.now() + 10000;
    while (received < sent && performance.now() < drainEnd) await tick();
    const seconds = (tLast - t0) / 1000;
    return { mbPerS: received / 1e6 / seconds, sentMiB: sent / 1048576, receivedMiB: received / 1048576, complete: received === sent, maxBuffered, seconds };
  } finally {
    p.close();
  }
}

async function measureRtt(stack) {
  const p = await stack.makePair();
  try {
    const ping = new Uint8Array(100).fill(7);
    p.b.onmessage((d) => p.b.send(d instanceof Uint8Array ? d : new Uint8Array(d)));
    const rtts = [];
    let resolveEcho = null;
    p.a.onmessage(() => resolveEcho?.());
    const end = performance.now() + cfg.pingSeconds * 1000;
    for (let i = 0; i < cfg.pings + 50 && performance.now() < end; i++) {
      const t = performance.now();
      const got = new Promise((r) => (resolveEcho = r));
      p.a.send(ping);
      await withTimeout(got, 5000, "echo");
      if (i >= 50) rtts.push((performance.now() - t) * 1000);  // first 50 are warm-up
    }
    return { medianUs: median(rtts), p99Us: pct(rtts, 99), n: rtts.length };
  } finally {
    p.close();
  }
}

async function measureMemory(stack) {
  const gc = globalThis.gc ?? (() => {});
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await sleep(50);
    }
    return process.memoryUsage();
  };
  (await stack.makePair()).close();  // load everything once
  await sleep(200);
  const before = await settle();
  const pairs = [];
  for (let i = 0; i < cfg.memConnections; i += 10) {
    pairs.push(...(await Promise.all(Array.from({ length: Math.min(10, cfg.memConnections - i) }, () => stack.makePair()))));
  }
  await sleep(300);
  const after = await settle();
  for (const p of pairs) p.close();
  const n = pairs.length;
  return {
    connections: n,
    rssKiBPerConnection: (after.rss - before.rss) / 1024 / n,
    heapKiBPerConnection: (after.heapUsed - before.heapUsed) / 1024 / n,
    externalKiBPerConnection: (after.external + after.arrayBuffers - before.external - before.arrayBuffers) / 1024 / n,
  };
}

// pion/webrtc 3.1.56 (Go) against itself: the same measurements, made inside the Go process by the
// echo peer's `bench` command (test/interop/pion/echo/bench.go); memory is that process's RSS and Go heap.
async function pionBench() {
  const { ensurePionEcho, pionUnavailable } = await import("../test/interop/pion/build.mjs");
  const why = pionUnavailable();
  if (why) return { name: "pion", skip: why };
  let bin;
  try {
    bin = ensurePionEcho((l) => process.stderr.write(`${l}\n`));
  } catch (e) {
    return { name: "pion", skip: String(e?.message ?? e).split("\n")[0] };
  }
  const r = spawnSync(bin, ["bench", "-setup-runs", String(cfg.setupRuns), "-tput-seconds", String(cfg.tputSeconds),
    "-pings", String(cfg.pings), "-mem-connections", String(cfg.memConnections)], { encoding: "utf8", timeout: 170000, maxBuffer: 1 << 24 });
  const line = (r.stdout ?? "").trim().split("\n").pop();
  if (r.status !== 0 || !line) return { name: "pion", skip: `pion bench failed (exit ${r.status ?? r.signal}): ${String(r.stderr ?? "").slice(-300)}` };
  return JSON.parse(line);
}

async function runOne(name) {
  if (name === "pion") return pionBench();
  const stack = name === "ours" ? await oursStack() : await w3cStack(name);
  if (stack.skip) return { name, skip: stack.skip };
  const out = { name, version: stack.version };
  for (const [k, f] of [["setup", measureSetup], ["throughput", measureThroughput], ["rtt", measureRtt], ["memory", measureMemory]]) {
    try {
      out[k] = await f(stack);
    } catch (e) {
      out[k] = { error: String(e?.message ?? e) };
    }
  }
  return out;
}

// ------------------------------------------------------------------ driver
function table(results) {
  const base = results.find((r) => r.name === "node-datachannel" && !r.skip);
  const f = (v, d = 1) => (typeof v === "number" && Number.isFinite(v) ? v.toFixed(d) : "—");
  const ratio = (v, b) => (typeof v === "number" && typeof b === "number" && b ? `${(v / b).toFixed(2)}x` : "—");
  const rows = {};
  for (const r of results) {
    if (r.skip) {
      rows[r.name] = { note: `skipped: ${r.skip}` };
      continue;
    }
    rows[r.name] = {
      "setup ms (median)": r.setup?.error ? r.setup.error : f(r.setup?.medianMs),
      "MB/s 16 KiB": r.throughput?.error ? r.throughput.error : `${f(r.throughput?.mbPerS)}${r.throughput?.complete === false ? " (incomplete)" : ""}`,
      "RTT µs median": r.rtt?.error ? r.rtt.error : f(r.rtt?.medianUs, 0),
      "RTT µs p99": f(r.rtt?.p99Us, 0),
      "RSS KiB/conn": r.memory?.error ? r.memory.error : f(r.memory?.rssKiBPerConnection, 0),
      "heap KiB/conn": f(r.memory?.heapKiBPerConnection, 0),
    };
  }
  console.log(`\nData channels on 127.0.0.1, each stack against itself (private network namespace). Setup: offer to open, median of ${cfg.setupRuns}; throughput: ${cfg.tputMessage / 1024} KiB messages, bufferedAmount kept <= ${cfg.tputBufferBound / 1048576} MiB, ${cfg.tputSeconds} s or ${cfg.tputMaxBytes / 1048576} MiB; RTT: ${cfg.pings} pings of 100 B echoed; memory: ${cfg.memConnections} open connections (both ends in this process), after GC.`);
  console.table(rows);
  if (base) {
    const rr = {};
    for (const r of results) {
      if (r.skip || r === base) continue;
      rr[`${r.name} / node-datachannel`] = {
        setup: ratio(r.setup?.medianMs, base.setup?.medianMs),
        throughput: ratio(r.throughput?.mbPerS, base.throughput?.mbPerS),
        "RTT median": ratio(r.rtt?.medianUs, base.rtt?.medianUs),
        "RTT p99": ratio(r.rtt?.p99Us, base.rtt?.p99Us),
        "RSS/conn": ratio(r.memory?.rssKiBPerConnection, base.memory?.rssKiBPerConnection),
        "heap/conn": ratio(r.memory?.heapKiBPerConnection, base.memory?.heapKiBPerConnection),
      };
    }
    console.log("Ratios against node-datachannel (setup, RTT, memory: lower is better; throughput: higher is better):");
    console.table(rr);
  }
  for (const r of results) if (!r.skip) console.log(`${r.name}: ${r.version}`);
}

function runChild(name) {
  return new Promise((res) => {
    const child = spawn(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--stack", name], { stdio: ["ignore", "pipe", "inherit"], env: process.env });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 180000);
    child.on("close", (code) => {
      clearTimeout(timer);
      const at = out.lastIndexOf(MARK);
      if (at < 0) return res({ name, skip: `child failed (exit ${code})` });
      res(JSON.parse(out.slice(at + MARK.length).split("\n")[0]));
    });
  });
}

if (args[0] === "--stack") {
  const r = await runOne(args[1]);
  process.stdout.write(`\n${MARK}${JSON.stringify(r)}\n`, () => process.exit(0));
} else if (process.env.WASMRTC_IN_NETNS !== "1") {
  // The small wrapper: the same script again, inside a private network namespace with only lo.
  const asRoot = process.getuid?.() === 0;
  const inner = `ip link set lo up && exec "${process.execPath}" "${fileURLToPath(import.meta.url)}" ${args.map((a) => `'${a}'`).join(" ")}`;
  const r = spawnSync("unshare", [...(asRoot ? [] : ["--user", "--map-root-user"]), "--net", "--pid", "--fork", "--kill-child", "--mount-proc", "sh", "-c", inner],
    { stdio: "inherit", env: { ...process.env, WASMRTC_IN_NETNS: "1" }, cwd: repo });
  process.exit(r.status ?? 1);
} else {
  const names = (process.env.BENCH_STACKS ?? ALL.join(",")).split(",").filter((n) => ALL.includes(n));
  const results = [];
  for (const n of names) {
    process.stderr.write(`bench: ${n}...\n`);
    results.push(await runChild(n));
  }
  table(results);
  if (args.includes("--json")) console.log(JSON.stringify({ config: cfg, results }));
}
