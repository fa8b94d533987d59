// Browser benchmark, side by side in one run (numbers and ratios, never
// pass/fail; see bench/README.md):
//   (A) our engine in a Chromium page (Godot API, WebRTCPeerConnectionEngine) through the relay on
//       127.0.0.1  <->  our engine in Node (Godot API, UDP 127.0.0.1);
//   (B) Chromium's own RTCPeerConnection in a page  <->  our engine in Node (direct UDP on loopback);
// setup time, 16 KiB throughput page -> Node, 100 B round trips; then the relay's own cost: CPU per
// relayed datagram and datagrams/s on one core, both directions, with TURN-over-WebSocket clients.
//
//   node bench/browser.mjs            # the whole table (re-runs itself in a private netns)
//   node bench/browser.mjs --json     # also one JSON line with every figure
//
// Processes (all inside the namespace): this one (page server, Chromium through playwright-core,
// /proc sampling), the relay (bench/browser/relay-process.mjs), the Node peer and signaling
// (bench/browser/node-peer.mjs), and for the relay figures the load (bench/browser/turn-load.mjs).
import { fork, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..");
const args = process.argv.slice(2);
const env = process.env;
const num = (k, d) => (env[k] !== undefined && env[k] !== "" ? Number(env[k]) : d);
const cfg = {
  setupRuns: num("BENCH_SETUP_RUNS", 5),
  tputBytes: num("BENCH_TPUT_MIB", 32) * 1048576,
  tputMessage: 16 * 1024,
  tputBound: 1024 * 1024,
  tputSeconds: num("BENCH_TPUT_SECONDS", 20),
  profileBytes: num("BENCH_PROFILE_MIB", 8) * 1048576,
  profilePings: num("BENCH_PROFILE_PINGS", 300),
  wake: num("BENCH_WAKE", 1),
  cpuProfile: num("BENCH_CPU_PROFILE", 0) === 1,
  pings: num("BENCH_PINGS", 1000),
  pingWarmup: 20,
  pingBytes: 100,
  pingSeconds: 20,
  relayBurst: num("BENCH_RELAY_BURST", 20000),
  relayBurstRate: 10000,
  relayClients: num("BENCH_RELAY_CLIENTS", 4),
  relayStartRate: 10000,
  relayStepFactor: 1.5,
  relayMaxSteps: 12,
  relayWarmMs: 400,
  relayWindowMs: 1500,
  datagram: 1000,
  timeoutSeconds: num("BENCH_TIMEOUT_SECONDS", 240),
};
const parts = (env.BENCH_PARTS ?? "browser,relay").split(",");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN; };
const pct = (a, p) => { const s = [...a].sort((x, y) => x - y); return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN; };
const progress = (line) => process.stderr.write(`bench:browser: ${line}\n`);

function withTimeout(p, ms, what) {
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`timeout after ${ms} ms: ${what}`)), ms);
    p.then((v) => (clearTimeout(t), res(v)), (e) => (clearTimeout(t), rej(e)));
  });
}

// ------------------------------------------------------------------ child processes with IPC
function child(file, extraEnv = {}) {
  const cp = fork(resolve(here, "browser", file), [], { env: { ...env, ...extraEnv }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let next = 0;
  const waiting = new Map();
  let readyResolve;
  let readyReject;
  const ready = new Promise((res, rej) => ((readyResolve = res), (readyReject = rej)));
  cp.on("message", (m) => {
    if (m.t === "ready") return readyResolve(m);
    if (m.t === "fatal") return readyReject(new Error(`${file}: ${m.error}`));
    const w = waiting.get(m.id);
    if (w) {
      waiting.delete(m.id);
      w(m);
    }
  });
  cp.on("exit", (code) => {
    readyReject(new Error(`${file} exited (${code}) before it was ready`));
    for (const w of waiting.values()) w({ error: `${file} exited (${code})` });
    waiting.clear();
  });
  return {
    cp,
    ready: withTimeout(ready, 20000, `${file} ready`),
    ask(msg, ms = 15000) {
      const id = ++next;
      return withTimeout(new Promise((r) => {
        waiting.set(id, r);
        cp.send({ ...msg, id });
      }), ms, `${file} ${msg.t}`).then((m) => {
        if (m.error) throw new Error(m.error);
        return m;
      });
    },
    async stop() {
      if (cp.exitCode !== null || cp.signalCode !== null) return;
      const gone = new Promise((r) => cp.once("exit", r));
      try {
        cp.send({ t: "exit" });
      } catch {
        // IPC already closed
      }
      if (!(await Promise.race([gone.then(() => true), sleep(2000).then(() => false)]))) {
        cp.kill("SIGKILL");
        await Promise.race([gone, sleep(1000)]);
      }
    },
  };
}

const cpuUs = (c) => c.user + c.system;

// ------------------------------------------------------------------ /proc: CPU of every process and thread in the namespace
const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;
function statTicks(path) {
  try {
    const s = readFileSync(path, "utf8");
    const close = s.lastIndexOf(")");
    const comm = s.slice(s.indexOf("(") + 1, close);
    const f = s.slice(close + 2).split(" ");
    if (f[0] === "Z") return null;
    return { comm, ticks: Number(f[11]) + Number(f[12]) };  // utime, stime
  } catch {
    return null;
  }
}
function classify(pid, roles) {
  if (roles.has(pid)) return roles.get(pid);
  let cmd = "";
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return null;
  }
  if (!/chrom/i.test(cmd)) return "other";
  if (/--type=renderer/.test(cmd)) return "chromium renderer";
  if (/NetworkService/.test(cmd)) return "chromium network service";
  if (/--type=gpu-process/.test(cmd)) return "chromium gpu";
  if (/--type=/.test(cmd)) return "chromium other";
  return "chromium browser";
}
/** { role -> ticks } and { "role/thread" -> ticks } for the threads of the renderer and the network service. */
function sampleCpu(roles) {
  const byRole = {};
  const byThread = {};
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const pid = Number(d);
    const role = classify(pid, roles);
    if (!role) continue;
    const st = statTicks(`/proc/${pid}/stat`);
    if (!st) continue;
    byRole[role] = (byRole[role] ?? 0) + st.ticks;
    if (role === "chromium renderer" || role === "chromium network service" || role === "chromium browser") {
      let tasks = [];
      try {
        tasks = readdirSync(`/proc/${pid}/task`);
      } catch {
        // gone
      }
      for (const t of tasks) {
        const ts = statTicks(`/proc/${pid}/task/${t}/stat`);
        if (!ts) continue;
        const k = `${role.replace("chromium ", "")}: ${ts.comm.replace(/[0-9]+$/, "#")}`;
        byThread[k] = (byThread[k] ?? 0) + ts.ticks;
      }
    }
  }
  return { byRole, byThread, host: hostTicks(), at: performance.now() };
}
/** The whole machine (/proc/stat is not namespaced) and every process of this namespace, in ticks. */
function hostTicks() {
  let busy = 0;
  let softirq = 0;
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, idle, iowait, irq, soft, steal] = f;
    busy = user + nice + system + irq + soft + steal;
    softirq = soft + irq;
  } catch {
    // no /proc/stat
  }
  let ours = 0;
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const st = statTicks(`/proc/${d}/stat`);
    if (st) ours += st.ticks;
  }
  return { busy, softirq, ours, at: performance.now() };
}
/** % of one core: the bench's processes, kernel interrupt work, and everything else on the machine. */
function hostDelta(a, b) {
  const secs = (b.at - a.at) / 1000;
  const pctOf = (x) => (x / CLK_TCK / secs) * 100;
  const ours = pctOf(b.ours - a.ours);
  const soft = pctOf(b.softirq - a.softirq);
  return { ours, softirq: soft, other: Math.max(0, pctOf(b.busy - a.busy) - ours - soft) };
}
function cpuDelta(a, b) {
  const secs = (b.at - a.at) / 1000;
  const pctOf = (x, y) => {
    const out = {};
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
      const d = ((y[k] ?? 0) - (x[k] ?? 0)) / CLK_TCK;
      if (d > 0) out[k] = (d / secs) * 100;
    }
    return out;
  };
  return { seconds: secs, roles: pctOf(a.byRole, b.byRole), threads: pctOf(a.byThread, b.byThread), host: hostDelta(a.host, b.host) };
}

// ------------------------------------------------------------------ the page
// The page is driven over a control WebSocket (commands in, results out), not over DevTools: with
// DevTools attached (playwright enables its Network domain) Chromium reports every WebSocket frame
// to it, which costs the browser and renderer processes CPU on every relayed datagram of (A).
// BENCH_BROWSER_DRIVER=playwright launches through playwright-core instead, to see that cost.
const PAGE = `<!doctype html><meta charset="utf-8"><title>wasmrtc bench</title><script type="module">
const ctl = new WebSocket(new URLSearchParams(location.search).get("control"));
const say = (m) => ctl.readyState === 1 && ctl.send(JSON.stringify(m));
addEventListener("error", (e) => say({ t: "log", line: "error: " + e.message }));
addEventListener("unhandledrejection", (e) => say({ t: "log", line: "unhandled rejection: " + (e.reason && e.reason.stack || e.reason) }));
let bench = null;
ctl.onmessage = async (e) => {
  const m = JSON.parse(e.data);
  try {
    say({ id: m.id, value: await bench[m.name](m.arg) });
  } catch (err) {
    say({ id: m.id, error: String(err && err.stack || err) });
  }
};
ctl.onopen = async () => {
  try {
    const wasmrtc = await import("/dist/browser.js");
    const { install } = await import("/bench/page.js");
    bench = install(wasmrtc);
    say({ t: "hello" });
  } catch (err) {
    say({ t: "hello", error: String(err && err.stack || err) });
  }
};
</script>`;

function startPageServer(distDir) {
  const root = resolve(distDir);
  const types = { ".js": "text/javascript", ".wasm": "application/wasm", ".map": "application/json" };
  // Cross-origin isolation: performance.now() at 5 µs instead of 100 µs (RTTs are a few hundred µs).
  const iso = { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp", "cross-origin-resource-policy": "same-origin" };
  const server = createServer((req, res) => {
    const path = new URL(req.url, "http://127.0.0.1").pathname;
    try {
      if (path === "/") {
        res.writeHead(200, { "content-type": "text/html", ...iso });
        return res.end(PAGE);
      }
      let file;
      if (path === "/bench/page.js") file = resolve(here, "browser/page.js");
      else if (path.startsWith("/dist/")) {
        file = resolve(root, "." + path.slice(5));
        if (!file.startsWith(root + sep)) throw new Error("outside dist");
      } else throw new Error("not found");
      const body = readFileSync(file);
      res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream", ...iso });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((r) => server.listen(0, "127.0.0.1", () => r({
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => { server.closeAllConnections?.(); server.close(); },
  })));
}

/** The control WebSocket: resolves to { call(name, arg, ms), hello, logs, close }. */
async function startControl() {
  const require = createRequire(import.meta.url);
  const { WebSocketServer } = require("ws");
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  await new Promise((r) => wss.once("listening", r));
  const waiting = new Map();
  const logs = [];
  let sock = null;
  let helloResolve;
  const hello = new Promise((r) => (helloResolve = r));
  let next = 0;
  wss.on("connection", (ws) => {
    sock = ws;
    ws.on("message", (raw) => {
      const m = JSON.parse(String(raw));
      if (m.t === "hello") helloResolve(m);
      else if (m.t === "log") logs.length < 50 && logs.push(m.line);
      else waiting.get(m.id)?.(m);
    });
    ws.on("close", () => {
      for (const w of waiting.values()) w({ error: "the page closed its control WebSocket" });
      waiting.clear();
    });
  });
  return {
    url: `ws://127.0.0.1:${wss.address().port}`,
    hello,
    logs,
    call(name, arg, ms) {
      const id = ++next;
      return withTimeout(new Promise((r) => {
        waiting.set(id, r);
        sock.send(JSON.stringify({ id, name, arg }));
      }), ms, `page ${name}`).then((m) => {
        waiting.delete(id);
        if (m.error) throw new Error(m.error);
        return m.value;
      }, (e) => {
        waiting.delete(id);
        throw e;
      });
    },
    close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
    },
  };
}

const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--no-default-browser-check",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
  "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
];

/** Chromium on `url`: { version, close() }. */
async function launchChromium(url) {
  const exe = env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if ((env.BENCH_BROWSER_DRIVER ?? "direct") === "playwright") {
    const require = createRequire(import.meta.url);
    const { chromium } = require("playwright-core");
    const browser = await chromium.launch({ executablePath: exe, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ permissions: ["camera", "microphone"] });
    const page = await context.newPage();
    await page.goto(url);
    return { version: `Chromium ${browser.version()} (driven by playwright-core over DevTools)`, close: () => browser.close().catch(() => {}) };
  }
  const profile = mkdtempSync(join(tmpdir(), "wasmrtc-bench-chromium-"));
  const version = spawnSync(exe, ["--version"], { encoding: "utf8" }).stdout.trim() || "Chromium";
  const extra = cfg.cpuProfile ? ["--remote-debugging-port=0"] : [];
  const cp = spawn(exe, [...CHROMIUM_ARGS, ...extra, `--user-data-dir=${profile}`, url], { stdio: ["ignore", "ignore", "pipe"], detached: true });
  let err = "";
  cp.stderr.setEncoding("utf8").on("data", (d) => (err = (err + d).slice(-4000)));
  const exited = new Promise((r) => cp.once("exit", r));
  return {
    version: `${version} (${cfg.cpuProfile ? "DevTools attached for the V8 profiler only" : "no DevTools attached"})`,
    stderr: () => err,
    devtoolsPort: () => {
      try {
        return Number(readFileSync(join(profile, "DevToolsActivePort"), "utf8").split("\n")[0]);
      } catch {
        return 0;
      }
    },
    async close() {
      try {
        process.kill(-cp.pid, "SIGTERM");
      } catch {
        // gone
      }
      if (!(await Promise.race([exited.then(() => true), sleep(3000).then(() => false)]))) {
        try {
          process.kill(-cp.pid, "SIGKILL");
        } catch {
          // gone
        }
      }
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------ V8 CPU profile of the page (BENCH_CPU_PROFILE=1)
// Only the Profiler domain is enabled over DevTools (not Network: that one would see every frame).
async function pageProfiler(port) {
  const require = createRequire(import.meta.url);
  const { WebSocket } = require("ws");
  const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const target = list.find((t) => t.type === "page");
  if (!target) throw new Error("no page target");
  const sock = new WebSocket(target.webSocketDebuggerUrl, { perMessageDeflate: false, maxPayload: 1 << 30 });
  await new Promise((r, j) => (sock.once("open", r), sock.once("error", j)));
  let id = 0;
  const waiting = new Map();
  sock.on("message", (raw) => {
    const m = JSON.parse(String(raw));
    if (m.id) waiting.get(m.id)?.(m);
  });
  const send = (method, params = {}) => withTimeout(new Promise((r) => {
    const i = ++id;
    waiting.set(i, r);
    sock.send(JSON.stringify({ id: i, method, params }));
  }), 30000, method);
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 200 });
  return {
    start: () => send("Profiler.start"),
    async stop() {
      const r = await send("Profiler.stop");
      return summarizeProfile(r.result.profile);
    },
    close: () => sock.close(),
  };
}
/** Self time by function (name and file), the top ones, in % of the samples. */
function summarizeProfile(p) {
  const byNode = new Map(p.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  for (const s of p.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  const self = new Map();
  let total = 0;
  for (const [nid, c] of counts) {
    const cf = byNode.get(nid)?.callFrame ?? {};
    const file = (cf.url ?? "").split("/").pop() || "";
    const k = `${cf.functionName || "(anonymous)"}${file ? ` ${file}` : ""}`;
    self.set(k, (self.get(k) ?? 0) + c);
    total += c;
  }
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, c]) => ({ fn: k, pct: (c / total) * 100 }));
  // Grouped: what kind of code the samples were in.
  const groups = {};
  for (const [k, c] of self) {
    const g = k.startsWith("(idle)") ? "idle" : k.startsWith("(program)") ? "browser internals (program)" : k.startsWith("(garbage collector)") ? "GC"
      : / wasm|wasm-function|\$/.test(k) || k.includes("wasm") ? "wasm" : k.includes("browser.js") ? "dist/browser.js (JS: engine glue, @noble)" : k.includes("page.js") ? "bench page" : "other";
    groups[g] = (groups[g] ?? 0) + (c / total) * 100;
  }
  return { samples: total, top, groups };
}

// ------------------------------------------------------------------ A and B
async function browserPhases(results, relay, nodePeer, roles, distDir) {
  const server = await startPageServer(distDir);
  const control = await startControl();
  let chrome = null;
  let profiler = null;
  try {
    progress("starting Chromium");
    chrome = await withTimeout(launchChromium(`${server.url}?control=${encodeURIComponent(control.url)}`), 30000, "Chromium launch");
    results.chromium = chrome.version;
    const hello = await withTimeout(control.hello, 30000, "the page's hello").catch((e) => {
      throw new Error(`${e.message}${chrome.stderr ? `; Chromium said: ${chrome.stderr().slice(-600)}` : ""}`);
    });
    if (hello.error) throw new Error(`the page could not load the build: ${hello.error}`);
    const call = control.call;
    const { url: relayUrl } = await relay.ready;
    const creds = JSON.parse(env.BENCH_RELAY_CREDS);
    results.page = await call("init", { signalUrl: `ws://127.0.0.1:${(await nodePeer.ready).port}`, relay: { url: relayUrl, username: creds.username, credential: creds.credential } }, 30000);

    if (cfg.cpuProfile && chrome.devtoolsPort) {
      try {
        profiler = await pageProfiler(chrome.devtoolsPort());
      } catch (e) {
        progress(`no V8 profile: ${e?.message ?? e}`);
      }
    }
    // Each phase with the CPU of every process around it.
    const phase = async (label, name, arg, ms, withProfile = false) => {
      progress(label);
      if (withProfile) await profiler?.start();
      const r0 = await relay.ask({ t: "cpu" });
      const n0 = await nodePeer.ask({ t: "cpu" });
      const s0 = sampleCpu(roles);
      let value;
      let error = null;
      try {
        value = await call(name, arg, ms);
      } catch (e) {
        error = String(e?.message ?? e).split("\n")[0];
      }
      const s1 = sampleCpu(roles);
      const r1 = await relay.ask({ t: "cpu" });
      const n1 = await nodePeer.ask({ t: "cpu" });
      const cpu = cpuDelta(s0, s1);
      const secs = cpu.seconds;
      cpu.roles.relay = (cpuUs(r1.cpu) - cpuUs(r0.cpu)) / 1e4 / secs;  // IPC-exact figures for our own processes
      cpu.roles["node peer"] = (cpuUs(n1.cpu) - cpuUs(n0.cpu)) / 1e4 / secs;
      const dg = r1.stats.datagramsToPeers + r1.stats.datagramsFromPeers - r0.stats.datagramsToPeers - r0.stats.datagramsFromPeers;
      const relayCpu = { datagrams: dg, usPerDatagram: dg ? (cpuUs(r1.cpu) - cpuUs(r0.cpu)) / dg : NaN, dropped: dropsOf(r1.stats) - dropsOf(r0.stats) };
      const relayStats = {};
      for (const k of Object.keys(r1.stats)) if (typeof r1.stats[k] === "number" && r1.stats[k] !== r0.stats[k]) relayStats[k] = r1.stats[k] - r0.stats[k];
      const echo = name === "rtt" ? await nodePeer.ask({ t: "echoStats" }).catch(() => null) : null;
      const v8 = withProfile && profiler ? await profiler.stop().catch((e) => ({ error: String(e) })) : undefined;
      return { value, error, cpu, relayCpu, relayStats, echo, v8 };
    };
    const stacks = ["ours", "native"];
    for (const s of stacks) results[s] = {};
    for (const s of stacks) {
      const r = await phase(`${s}: setup, 1 + ${cfg.setupRuns} connections`, "setup", { stack: s, runs: cfg.setupRuns }, 120000);
      const runs = r.value?.runs ?? [];
      const med = (k) => median(runs.map((x) => x[k]).filter((v) => typeof v === "number" && Number.isFinite(v)));
      results[s].setup = r.error ? { error: r.error } : { cold: r.value.cold, runs, medianMs: med("ms"), cryptoMedianMs: med("cryptoMs"),
        milestones: { candidate: med("candidate"), answer: med("answer"), connected: med("connected") }, relayDrops: r.relayCpu.dropped, relayStats: r.relayStats };
    }
    for (const s of stacks) {
      const r = await phase(`${s}: throughput, ${cfg.tputBytes / 1048576} MiB of ${cfg.tputMessage / 1024} KiB page -> Node`, "tput",
        { stack: s, total: cfg.tputBytes, size: cfg.tputMessage, bound: cfg.tputBound, seconds: cfg.tputSeconds }, (cfg.tputSeconds + 45) * 1000);
      results[s].throughput = r.error ? { error: r.error } : { ...r.value, cpu: r.cpu, relay: s === "ours" ? r.relayCpu : undefined };
    }
    for (const s of stacks) {
      const r = await phase(`${s}: RTT, ${cfg.pings} pings of ${cfg.pingBytes} B`, "rtt",
        { stack: s, pings: cfg.pings, warmup: cfg.pingWarmup, size: cfg.pingBytes, seconds: cfg.pingSeconds }, (cfg.pingSeconds + 30) * 1000);
      results[s].rtt = r.error ? { error: r.error } : { n: r.value.rttsUs.length, medianUs: median(r.value.rttsUs), p99Us: pct(r.value.rttsUs, 99), cpu: r.cpu, nodeTurnaround: r.echo };
    }
    if (cfg.wake) {
      results.oursWake = {};
      const r = await phase(`ours, poll on wake: throughput, ${cfg.tputBytes / 1048576} MiB`, "tput",
        { stack: "ours", total: cfg.tputBytes, size: cfg.tputMessage, bound: cfg.tputBound, seconds: cfg.tputSeconds, poll: "wake" }, (cfg.tputSeconds + 45) * 1000);
      results.oursWake.throughput = r.error ? { error: r.error } : { ...r.value, cpu: r.cpu, relay: r.relayCpu };
      const q = await phase(`ours, poll on wake: RTT, ${cfg.pings} pings`, "rtt",
        { stack: "ours", pings: cfg.pings, warmup: cfg.pingWarmup, size: cfg.pingBytes, seconds: cfg.pingSeconds, poll: "wake" }, (cfg.pingSeconds + 30) * 1000);
      results.oursWake.rtt = q.error ? { error: q.error } : { n: q.value.rttsUs.length, medianUs: median(q.value.rttsUs), p99Us: pct(q.value.rttsUs, 99), cpu: q.cpu };
    }
    for (const size of [1100, 40]) {
      results.cryptoMicro ??= {};
      results.cryptoMicro[`page noble ${size}`] = await call("cryptoMicro", { size, n: 3000 }, 30000).catch(() => NaN);
    }
    if (cfg.profileBytes > 0) {
      const r = await phase(`ours: profile, ${cfg.profileBytes / 1048576} MiB with stopwatches on crypto, poll() and the relay WebSocket`, "tput",
        { stack: "ours", total: cfg.profileBytes, size: cfg.tputMessage, bound: cfg.tputBound, seconds: cfg.tputSeconds, profile: true }, (cfg.tputSeconds + 45) * 1000, true);
      results.ours.profile = r.error ? { error: r.error } : { ...r.value, cpu: r.cpu, relay: r.relayCpu, v8: r.v8 };
    }
    if (cfg.profilePings > 0) {
      const r = await phase(`ours: RTT profile, ${cfg.profilePings} pings with a stopwatch on the relay WebSocket`, "rtt",
        { stack: "ours", pings: cfg.profilePings, warmup: cfg.pingWarmup, size: cfg.pingBytes, seconds: cfg.pingSeconds, profile: true }, (cfg.pingSeconds + 30) * 1000, true);
      results.ours.rttProfile = r.error ? { error: r.error } : {
        n: r.value.rttsUs.length, medianUs: median(r.value.rttsUs), p99Us: pct(r.value.rttsUs, 99),
        toPageMedianUs: median(r.value.prof.split.toPageUs), inPageMedianUs: median(r.value.prof.split.inPageUs),
        toPageP99Us: pct(r.value.prof.split.toPageUs, 99), inPageP99Us: pct(r.value.prof.split.inPageUs, 99),
        turnsPerPing: r.value.prof.split.turns / (r.value.rttsUs.length + cfg.pingWarmup),
        cryptoUsPerPing: (r.value.prof.crypto.ms * 1000) / (r.value.rttsUs.length + cfg.pingWarmup), crypto: r.value.prof.crypto, ws: r.value.prof.ws,
        slowOver5ms: r.value.rttsUs.filter((x) => x > 5000).length, v8: r.v8,
      };
    }
  } finally {
    results.pageLogs = control.logs.slice(0, 20);
    progress("closing Chromium");
    for (const step of [() => profiler?.close(), () => chrome?.close(), () => control.close(), () => server.close()]) {
      try {
        await step();
      } catch {
        // keep closing the rest
      }
    }
  }
}

const dropsOf = (s) => s.droppedQuota + s.droppedSlowClient + s.droppedNoPermission + s.droppedOversize;

// ------------------------------------------------------------------ the relay's own cost
function udpSnmp() {
  try {
    const lines = readFileSync("/proc/net/snmp", "utf8").split("\n").filter((l) => l.startsWith("Udp:"));
    const k = lines[0].split(/\s+/);
    const v = lines[1].split(/\s+/).map(Number);
    return { rcvbuf: v[k.indexOf("RcvbufErrors")] ?? 0, sndbuf: v[k.indexOf("SndbufErrors")] ?? 0 };
  } catch {
    return { rcvbuf: 0, sndbuf: 0 };
  }
}

async function relayPhases(results, relay) {
  const creds = JSON.parse(env.BENCH_RELAY_CREDS);
  const { url } = await relay.ready;
  const load = child("turn-load.mjs");
  await load.ready;
  const snap = async () => {
    const [r, l] = await Promise.all([relay.ask({ t: "cpu" }), load.ask({ t: "count" })]);
    const main = statTicks(`/proc/${relay.cp.pid}/task/${relay.cp.pid}/stat`);
    return { at: performance.now(), host: hostTicks(), relayCpu: cpuUs(r.cpu), relayMainTicks: main?.ticks ?? NaN, stats: r.stats, sent: l.sent, delivered: l.delivered, loadCpu: cpuUs(l.cpu), backlogged: l.backlogged, udp: udpSnmp() };
  };
  const diff = (a, b) => {
    const secs = (b.at - a.at) / 1000;
    const delivered = b.delivered - a.delivered;
    return {
      seconds: secs,
      sentPerS: (b.sent - a.sent) / secs,
      deliveredPerS: delivered / secs,
      relayCpuPct: (b.relayCpu - a.relayCpu) / 1e4 / secs,
      // The relay's JavaScript thread alone (the process also has V8's GC and compiler threads).
      relayMainPct: ((b.relayMainTicks - a.relayMainTicks) / CLK_TCK / secs) * 100,
      loadCpuPct: (b.loadCpu - a.loadCpu) / 1e4 / secs,
      usPerDatagram: delivered ? (b.relayCpu - a.relayCpu) / delivered : NaN,
      relayDrops: dropsOf(b.stats) - dropsOf(a.stats),
      slowClientDrops: b.stats.droppedSlowClient - a.stats.droppedSlowClient,
      udpRcvbufDrops: b.udp.rcvbuf - a.udp.rcvbuf,
      backloggedTicks: b.backlogged - a.backlogged,
      host: hostDelta(a.host, b.host),
    };
  };
  try {
    const idle0 = await snap();
    await sleep(1000);
    const idle1 = await snap();
    results.relay = { idleCpuPct: diff(idle0, idle1).relayCpuPct };
    for (const dir of ["c2p", "p2c"]) {
      const name = dir === "c2p" ? "client -> peer" : "peer -> client";
      const out = (results.relay[dir] = {});
      // CPU per datagram: a known number at a moderate rate, one client.
      progress(`relay ${name}: CPU per datagram, ${cfg.relayBurst} datagrams of ${cfg.datagram} B at ${cfg.relayBurstRate}/s (after ${Math.ceil(cfg.relayBurst / 4)} to warm up), one client`);
      try {
        await load.ask({ t: "setup", url, username: creds.username, credential: creds.credential, clients: 1, dir });
        // Warm-up first (the relay's code paths get compiled by V8), then the measured burst.
        await load.ask({ t: "burst", n: Math.ceil(cfg.relayBurst / 4), rate: cfg.relayBurstRate }, 60000);
        await sleep(200);
        const a = await snap();
        await load.ask({ t: "burst", n: cfg.relayBurst, rate: cfg.relayBurstRate }, 60000);
        // Until everything sent has arrived (or stopped arriving).
        let b = await snap();
        for (let i = 0, last = -1; i < 40 && b.delivered - a.delivered < cfg.relayBurst && b.delivered !== last; i++) {
          last = b.delivered;
          await sleep(50);
          b = await snap();
        }
        const d = diff(a, b);
        out.burst = { sent: b.sent - a.sent, delivered: b.delivered - a.delivered, usPerDatagram: d.usPerDatagram, relayDrops: d.relayDrops, udpRcvbufDrops: d.udpRcvbufDrops };
      } catch (e) {
        out.burst = { error: String(e?.message ?? e) };
      } finally {
        await load.ask({ t: "teardown" }).catch(() => {});
      }
      // Capacity: raise the offered load until the delivered rate stops growing or the relay is at ~100% of a core.
      progress(`relay ${name}: capacity, ${cfg.relayClients} clients, offered load from ${cfg.relayStartRate}/s up x${cfg.relayStepFactor} per step`);
      out.steps = [];
      try {
        await load.ask({ t: "setup", url, username: creds.username, credential: creds.credential, clients: cfg.relayClients, dir });
        let rate = cfg.relayStartRate;
        let best = 0;
        let flat = 0;
        for (let i = 0; i < cfg.relayMaxSteps; i++, rate = Math.round(rate * cfg.relayStepFactor)) {
          await load.ask({ t: "rate", rate });
          await sleep(cfg.relayWarmMs);
          const a = await snap();
          await sleep(cfg.relayWindowMs);
          const b = await snap();
          const d = { asked: rate, ...diff(a, b) };
          out.steps.push(d);
          progress(`  offered ${Math.round(d.sentPerS)}/s: delivered ${Math.round(d.deliveredPerS)}/s, relay ${d.relayCpuPct.toFixed(0)}% CPU (main thread ${d.relayMainPct.toFixed(0)}%), load ${d.loadCpuPct.toFixed(0)}%, kernel irq ${d.host.softirq.toFixed(0)}%, outside the bench ${d.host.other.toFixed(0)}%`);
          const grew = d.deliveredPerS > best * 1.05;
          best = Math.max(best, d.deliveredPerS);
          flat = grew ? 0 : flat + 1;
          if (d.relayMainPct >= 95 || d.relayCpuPct >= 100) {
            out.stoppedBecause = "the relay reached ~100% of one core";
            break;
          }
          if (flat >= 2) {
            out.stoppedBecause = "the delivered rate stopped growing";
            break;
          }
          if (d.sentPerS < 0.8 * rate) {
            out.stoppedBecause = "the load generator could not offer more (its own CPU or TCP backpressure)";
            break;
          }
        }
        out.stoppedBecause ??= "step limit";
        await load.ask({ t: "rate", rate: 0 });
        const peak = out.steps.reduce((m, s) => (s.deliveredPerS > m.deliveredPerS ? s : m), out.steps[0]);
        out.capacity = { deliveredPerS: peak.deliveredPerS, relayCpuPct: peak.relayCpuPct, relayMainPct: peak.relayMainPct, usPerDatagram: peak.usPerDatagram,
          perCore: peak.relayCpuPct > 0 ? peak.deliveredPerS / (peak.relayCpuPct / 100) : NaN };
      } catch (e) {
        out.error = String(e?.message ?? e);
      } finally {
        await load.ask({ t: "rate", rate: 0 }).catch(() => {});
        await load.ask({ t: "teardown" }).catch(() => {});
        await sleep(200);
      }
    }
  } finally {
    await load.stop();
  }
}

// ------------------------------------------------------------------ report
function report(results) {
  const f = (v, d = 1) => (typeof v === "number" && Number.isFinite(v) ? v.toFixed(d) : "—");
  const ratio = (a, b) => (typeof a === "number" && typeof b === "number" && Number.isFinite(a) && Number.isFinite(b) && b ? `${(a / b).toFixed(2)}x` : "—");
  const A = results.ours ?? {};
  const B = results.native ?? {};
  const row = (r) => ({
    "setup ms (median)": r.setup?.error ?? f(r.setup?.medianMs),
    "MB/s 16 KiB": r.throughput?.error ?? `${f(r.throughput?.mbPerS)}${r.throughput && r.throughput.complete === false ? " (incomplete)" : ""}`,
    "RTT µs median": r.rtt?.error ?? f(r.rtt?.medianUs, 0),
    "RTT µs p99": f(r.rtt?.p99Us, 0),
  });
  console.log(`\nPage -> our engine in Node on 127.0.0.1 (private network namespace), ${results.chromium ?? "Chromium"}, page crossOriginIsolated=${results.page?.crossOriginIsolated}, media permission ${results.page?.media}.`);
  console.log(`Setup: new/initialize -> channel open in the page, median of ${cfg.setupRuns} after the page's first; throughput: ${cfg.tputBytes / 1048576} MiB of ${cfg.tputMessage / 1024} KiB, bufferedAmount <= ${cfg.tputBound / 1048576} MiB, MB/s at the Node receiver (first to last message); RTT: ${cfg.pings} pings of ${cfg.pingBytes} B echoed by Node, one at a time.`);
  const W = results.oursWake;
  console.table({
    "A: ours in page via relay": row(A),
    "B: Chromium RTCPeerConnection": row(B),
    ...(W ? { "A, polled on wake": { ...row(W), "setup ms (median)": "(as A)" } } : {}),
  });
  console.log("Ratios A/B (setup, RTT: lower is better; throughput: higher is better):");
  console.table({ "A / B": {
    setup: ratio(A.setup?.medianMs, B.setup?.medianMs),
    throughput: ratio(A.throughput?.mbPerS, B.throughput?.mbPerS),
    "RTT median": ratio(A.rtt?.medianUs, B.rtt?.medianUs),
    "RTT p99": ratio(A.rtt?.p99Us, B.rtt?.p99Us),
  } });
  if (W) console.log(`"A, polled on wake": the page's loop waits for a frame from the relay WebSocket (or 1 ms) instead of polling on every event-loop turn; A/B throughput ${ratio(W.throughput?.mbPerS, B.throughput?.mbPerS)}, RTT median ${ratio(W.rtt?.medianUs, B.rtt?.medianUs)}, p99 ${ratio(W.rtt?.p99Us, B.rtt?.p99Us)}.`);
  if (A.setup?.runs) {
    const ms = (m) => `first candidate ${f(m?.candidate, 0)}, answer ${f(m?.answer, 0)}, connected ${f(m?.connected, 0)} ms`;
    console.log(`Setup milestones (median, ms after new/initialize): A ${ms(A.setup.milestones)}; B ${ms(B.setup?.milestones)}. Relay during A setup: ${JSON.stringify(A.setup.relayStats ?? {})}.`);
    console.log(`A setup: first connection of the page ${f(A.setup.cold?.ms, 0)} ms (@noble crypto ${f(A.setup.cold?.cryptoMs, 0)} ms), then ${A.setup.runs.map((r) => f(r.ms, 0)).join(", ")} ms (@noble crypto median ${f(A.setup.cryptoMedianMs)} ms). ` +
      `B setup: first ${f(B.setup?.cold?.ms, 0)} ms, then ${(B.setup?.runs ?? []).map((r) => f(r.ms, 0)).join(", ")} ms.`);
    console.log(`A setup per connection (candidate/answer/connected/open ms): ${A.setup.runs.map((r) => `${f(r.candidate, 0)}/${f(r.answer, 0)}/${f(r.connected, 0)}/${f(r.ms, 0)}`).join(", ")}`);
  }

  // Where the CPU went during the throughput runs (% of one core; 2 cores = 200%).
  const cpuRows = {};
  const threads = {};
  for (const [label, r] of [["A throughput", A.throughput], ["B throughput", B.throughput], ["A RTT", A.rtt], ["B RTT", B.rtt], ["A wake throughput", W?.throughput], ["A wake RTT", W?.rtt]]) {
    if (!r?.cpu) continue;
    const row = {};
    for (const [k, v] of Object.entries(r.cpu.roles).sort((x, y) => y[1] - x[1])) if (v >= 1) row[k] = f(v, 0);
    if (r.cpu.host) {
      row["kernel irq"] = f(r.cpu.host.softirq, 0);
      row["outside the bench"] = f(r.cpu.host.other, 0);
    }
    cpuRows[label] = row;
    if (label.endsWith("throughput")) {
      threads[label] = Object.entries(r.cpu.threads).sort((x, y) => y[1] - x[1]).slice(0, 6).map(([k, v]) => `${k} ${f(v, 0)}%`).join(", ");
    }
  }
  if (Object.keys(cpuRows).length) {
    console.log("CPU by process during each run, % of one core (the machine has 2; \"outside the bench\": other work on the machine at the time):");
    console.table(cpuRows);
    for (const [k, v] of Object.entries(threads)) console.log(`${k}, busiest Chromium threads: ${v}`);
  }
  if (A.throughput?.relay) console.log(`Relay during A throughput: ${A.throughput.relay.datagrams} datagrams relayed, ${f(A.throughput.relay.usPerDatagram, 2)} µs CPU each, ${A.throughput.relay.dropped} dropped.`);
  const P = A.profile;
  if (P?.prof) {
    const wall = P.prof.sendMs;
    const by = Object.entries(P.prof.crypto.byName).sort((x, y) => y[1].ms - x[1].ms).map(([k, v]) => `${k} ${f(v.ms, 0)} ms/${v.calls}`).join(", ");
    console.log(`A profile (${f(P.sent / 1048576, 0)} MiB, ${f(P.mbPerS)} MB/s, sending took ${f(wall, 0)} ms): @noble crypto ${f(P.prof.crypto.ms, 0)} ms (${f((P.prof.crypto.ms / wall) * 100, 0)}%: ${by}); ` +
      `relay WebSocket onmessage (engine input incl. decrypt) ${f(P.prof.ws.inMs, 0)} ms for ${P.prof.ws.inFrames} frames, send ${f(P.prof.ws.sendMs, 0)} ms for ${P.prof.ws.sendFrames} frames; ` +
      `poll() ${f(P.prof.loop.pollMs, 0)} ms, refill (put_packet incl. encrypt) ${f(P.prof.loop.putMs, 0)} ms over ${P.prof.loop.turns} loop turns (${f(P.prof.loop.turns / (wall / 1000), 0)}/s), ERR_BUSY ${P.prof.loop.busy}.`);
  }

  const nt = (r) => (r?.nodeTurnaround?.n ? `${f(r.nodeTurnaround.medianUs, 0)} µs median, p99 ${f(r.nodeTurnaround.p99Us, 0)}` : "—");
  console.log(`Node peer, datagram in -> echo out (its share of every round trip): during A ${nt(A.rtt)}; during B ${nt(B.rtt)}.`);
  for (const [label, v] of [["A profile (throughput)", A.profile?.v8], ["A RTT profile", A.rttProfile?.v8]]) {
    if (!v || v.error) continue;
    console.log(`V8 profile of the page, ${label}, ${v.samples} samples: ${Object.entries(v.groups).sort((a, b) => b[1] - a[1]).map(([k, x]) => `${k} ${f(x, 0)}%`).join(", ")}`);
    console.log(`  top self time: ${v.top.slice(0, 10).map((t) => `${t.fn} ${f(t.pct, 1)}%`).join("; ")}`);
  }
  const C = results.cryptoMicro;
  if (C) console.log(`AES-128-GCM seal per record (key prepared once, as the engine does): 1100 B: @noble in the page ${f(C["page noble 1100"])} µs, @noble in Node ${f(C["node noble 1100"])} µs, node:crypto ${f(C["node openssl 1100"])} µs; 40 B: ${f(C["page noble 40"])} / ${f(C["node noble 40"])} / ${f(C["node openssl 40"])} µs.`);
  const Q = A.rttProfile;
  if (Q && !Q.error) {
    console.log(`A RTT profile (${Q.n} pings, median ${f(Q.medianUs, 0)} µs, p99 ${f(Q.p99Us, 0)} µs, ${Q.slowOver5ms} over 5 ms): send -> echo frame at the page's relay WebSocket ${f(Q.toPageMedianUs, 0)} µs median (p99 ${f(Q.toPageP99Us, 0)}), ` +
      `frame -> packet seen by the page ${f(Q.inPageMedianUs, 0)} µs (p99 ${f(Q.inPageP99Us, 0)}); @noble crypto ${f(Q.cryptoUsPerPing, 0)} µs per ping; ${f(Q.turnsPerPing, 1)} loop turns per ping; ` +
      `${f(Q.ws.inFrames / (Q.n + cfg.pingWarmup), 2)} frames in and ${f(Q.ws.sendFrames / (Q.n + cfg.pingWarmup), 2)} out per ping.`);
  }
  const R = results.relay;
  if (R) {
    const rr = {};
    for (const dir of ["c2p", "p2c"]) {
      const d = R[dir];
      if (!d) continue;
      rr[dir === "c2p" ? "client -> peer" : "peer -> client"] = {
        "µs CPU/datagram (burst)": d.burst?.error ?? f(d.burst?.usPerDatagram, 2),
        "burst delivered": d.burst?.error ? "—" : `${d.burst?.delivered}/${d.burst?.sent}`,
        "capacity dgrams/s": d.error ?? f(d.capacity?.deliveredPerS, 0),
        "relay CPU % at peak (main thread)": d.capacity ? `${f(d.capacity.relayCpuPct, 0)} (${f(d.capacity.relayMainPct, 0)})` : "—",
        "µs/dgram at peak": f(d.capacity?.usPerDatagram, 2),
        "dgrams/s per core": f(d.capacity?.perCore, 0),
        stopped: d.stoppedBecause ?? "—",
      };
    }
    console.log(`\nThe relay alone (its own process; ${cfg.datagram} B ChannelData, quotas ${results.relayQuotas}); idle CPU ${f(R.idleCpuPct, 2)}% of a core:`);
    console.table(rr);
    for (const dir of ["c2p", "p2c"]) {
      const steps = R[dir]?.steps;
      if (!steps?.length) continue;
      console.log(`${dir === "c2p" ? "client -> peer" : "peer -> client"} steps (offered -> delivered /s, relay CPU % (main thread), load CPU %, drops): ` +
        steps.map((s) => `${f(s.sentPerS, 0)}->${f(s.deliveredPerS, 0)} ${f(s.relayCpuPct, 0)}% (${f(s.relayMainPct, 0)}) ${f(s.loadCpuPct, 0)}%${s.relayDrops ? ` relay dropped ${s.relayDrops}` : ""}${s.udpRcvbufDrops ? ` kernel dropped ${s.udpRcvbufDrops}` : ""}${s.host.other >= 10 ? ` [outside the bench ${f(s.host.other, 0)}%]` : ""}`).join("; "));
    }
  }
  console.log(`wasmrtc ${results.version ?? "?"}; ${results.chromium ?? ""}; node ${process.version}; work outside the bench at the start: ${f(results.otherLoadAtStart, 0)}% of a core`);
}

// ------------------------------------------------------------------ driver
async function main() {
  const distFile = env.WASMRTC_DIST ? resolve(env.WASMRTC_DIST) : resolve(repo, "dist/index.js");
  const distDir = dirname(distFile);
  for (const f of [distFile, resolve(distDir, "browser.js"), resolve(distDir, "wasmrtc.wasm")]) {
    if (!existsSync(f)) {
      console.log(`bench:browser: ${f} is not built (npm run build)`);
      return;
    }
  }
  const w = await import(pathToFileURL(distFile).href);
  const secret = randomBytes(16).toString("hex");
  env.WASMRTC_DIST = distFile;
  env.BENCH_RELAY_SECRET = secret;
  env.BENCH_RELAY_CREDS = JSON.stringify(w.createRelayCredentials(secret, "bench", 3600));
  const results = { version: w.VERSION };
  const h0 = hostTicks();
  await sleep(1000);
  results.otherLoadAtStart = hostDelta(h0, hostTicks()).other;
  if (results.otherLoadAtStart >= 20) progress(`note: ${results.otherLoadAtStart.toFixed(0)}% of a core is busy with work outside this bench; figures will be noisy`);
  const relay = child("relay-process.mjs");
  const nodePeer = child("node-peer.mjs");
  const t0 = performance.now();
  try {
    const rr = await relay.ready;
    results.relayQuotas = rr.quotas;
    await nodePeer.ready;
    const roles = new Map([[process.pid, "bench driver"], [relay.cp.pid, "relay"], [nodePeer.cp.pid, "node peer"]]);
    if (parts.includes("browser")) {
      try {
        await browserPhases(results, relay, nodePeer, roles, distDir);
      } catch (e) {
        results.browserError = String(e?.message ?? e);
        console.log(`bench:browser: the browser part failed: ${results.browserError}`);
      }
    }
    await nodePeer.stop();
    if (parts.includes("browser")) {
      // The same AEAD in Node, for comparison: @noble and node:crypto (OpenSSL).
      const micro = (prov, size, n = 3000) => {
        const key = prov.aeadKeyNew("aes-128-gcm", new Uint8Array(16).fill(1));
        const nonce = new Uint8Array(12), aad = new Uint8Array(13), pt = new Uint8Array(size);
        for (let i = 0; i < 200; i++) prov.aeadSeal(key, nonce, aad, pt);
        const t = performance.now();
        for (let i = 0; i < n; i++) prov.aeadSeal(key, nonce, aad, pt);
        return ((performance.now() - t) * 1000) / n;
      };
      results.cryptoMicro ??= {};
      for (const size of [1100, 40]) {
        results.cryptoMicro[`node noble ${size}`] = micro(new w.NobleCryptoProvider(), size);
        results.cryptoMicro[`node openssl ${size}`] = micro(new w.NodeCryptoProvider(), size);
      }
    }
    if (parts.includes("relay")) await relayPhases(results, relay);
  } finally {
    await Promise.all([relay.stop(), nodePeer.stop()]);
  }
  results.seconds = (performance.now() - t0) / 1000;
  report(results);
  console.log(`(${results.seconds.toFixed(0)} s)`);
  if (args.includes("--json")) console.log(JSON.stringify({ config: cfg, results }));
}

if (env.WASMRTC_IN_NETNS !== "1") {
  // The same script again, inside a private network namespace with only lo (and a PID namespace:
  // every process it starts ends with it).
  const asRoot = process.getuid?.() === 0;
  const inner = `ip link set lo up && exec "${process.execPath}" "${fileURLToPath(import.meta.url)}" ${args.map((a) => `'${a}'`).join(" ")}`;
  const r = spawnSync("unshare", [...(asRoot ? [] : ["--user", "--map-root-user"]), "--net", "--pid", "--fork", "--kill-child", "--mount-proc", "sh", "-c", inner],
    { stdio: "inherit", env: { ...env, WASMRTC_IN_NETNS: "1" }, cwd: repo });
  process.exit(r.status ?? 1);
} else {
  const watchdog = setTimeout(() => {
    console.log(`bench:browser: gave up after ${cfg.timeoutSeconds} s`);
    process.exit(2);
  }, cfg.timeoutSeconds * 1000);
  watchdog.unref();
  try {
    await main();
  } catch (e) {
    console.log(`bench:browser: ${e?.stack ?? e}`);
    process.exitCode = 1;
  }
  process.exit(process.exitCode ?? 0);
}
