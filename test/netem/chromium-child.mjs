// One netem end in headless Chromium: the same protocol with the parent as
// peer-child.mjs (argv[2] is the same JSON with stack "chromium"; {"sig"},
// {"done"} and {"result"} lines out on stdout, {"sig"} and {"cmd": "report" |
// "exit"} lines in on stdin), but the end runs in a page: Debian's Chromium
// through playwright-core, on a page served on 127.0.0.1 inside this
// namespace, runs end.mjs's netemEnd over the browser's own RTCPeerConnection
// (end.mjs's w3cPeer). What the page says comes out through page.exposeFunction,
// what the parent says goes in with page.evaluate.
//
// No --allow-loopback-in-peer-connection: the link is the namespace's tn0
// (cfg.ip); every candidate Chromium gathers must be on cfg.ip (any other is
// one of the end's errors and is not signaled). Camera/microphone permission:
// without it Chromium enumerates no interface. The browser's temporary profile
// goes under $TMPDIR (pair.ts gives each Chromium end its own and removes it).
import { createServer } from "node:http";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";
import { netemEnd, w3cPeer } from "./end.mjs";

const cfg = JSON.parse(process.argv[2]);
const t0 = performance.now();
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const verbose = process.env.WASMRTC_NETEM_VERBOSE === "1";
const hostErrors = [];
process.on("uncaughtException", (e) => hostErrors.push(String(e?.stack ?? e).slice(0, 1500)));
process.on("unhandledRejection", (e) => hostErrors.push(String(e?.stack ?? e).slice(0, 1500)));

const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--disable-features=WebRtcHideLocalIpsWithMdns",
  // A page that is not in front must not have its timers throttled (the end paces its sends with one).
  "--disable-background-timer-throttling", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows",
];

// Parent -> page: held until the page runs the end.
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

let browser;
let server;
let exiting = false;
async function exit(code = 0) {
  if (exiting) return;
  exiting = true;
  setTimeout(() => process.exit(code), 3000).unref();
  await browser?.close().catch(() => {});
  server?.close();
  process.exit(code);
}
rl.on("close", () => void exit(0));

// Runs in the page: the end over the browser's RTCPeerConnection.
const PAGE = `<!doctype html><meta charset="utf-8"><title>wasmrtc netem</title><script>
window.__start = (cfg, startedAt, info) => {
  const t0 = performance.now();
  const now = () => performance.now() - t0 + startedAt;
  const logs = [];
  const errors = window.__errors;
  const log = (s) => {
    logs.push(now().toFixed(0) + " " + s);
    if (logs.length > 400) logs.splice(0, 200);
    if (cfg.verbose) console.log(s);
  };
  const out = (o) => window.__netemOut(JSON.parse(JSON.stringify(o)));
  const peer = (${w3cPeer.toString()})({ PC: RTCPeerConnection, config: { iceServers: [] }, signal: (sig) => out({ sig }),
    log, error: (e) => errors.push(e), info, onlyAddress: cfg.ip });
  const end = (${netemEnd.toString()})({ cfg, peer, out, now, log, logs, errors });
  window.__in = (m) => end.handle(m);
};
window.__errors = [];
window.addEventListener("error", (e) => window.__errors.push("page error: " + (e.error && e.error.stack || e.message)));
window.addEventListener("unhandledrejection", (e) => window.__errors.push("unhandled rejection: " + (e.reason && e.reason.stack || e.reason)));
</script>`;

try {
  server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(PAGE);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
  const context = await browser.newContext({ permissions: ["camera", "microphone"] });
  const page = await context.newPage();
  page.on("console", (m) => verbose && process.stderr.write(`chromium/${cfg.role} ${m.type()}: ${m.text()}\n`));
  page.on("pageerror", (e) => hostErrors.push(`pageerror: ${e.message}`));
  page.on("crash", () => {
    hostErrors.push("the page crashed");
    out({ result: { stack: cfg.stack, role: cfg.role, info: `Chromium ${browser.version()}`, state: "crashed", marks: {},
      connectedAt: null, openAt: null, doneAt: null, records: [], sent: [], errors: hostErrors, logs: [] } });
  });
  await page.exposeFunction("__netemOut", (o) => {
    // The page's own errors come with its result; the host's are added here.
    if (o.result && hostErrors.length) o.result.errors = [...o.result.errors, ...hostErrors];
    out(o);
  });
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  const startedAt = performance.now() - t0;
  await page.evaluate(([c, at, info]) => window.__start(c, at, info), [{ ...cfg, verbose }, startedAt, `Chromium ${browser.version()} (W3C RTCPeerConnection, in a page)`]);
  const toPage = (m) => {
    if (m.cmd === "exit") return void exit(0);
    page.evaluate((x) => window.__in(x), m).catch((e) => hostErrors.push(`to the page: ${String(e?.message ?? e).slice(0, 500)}`));
  };
  for (const m of incoming.splice(0)) toPage(m);
  onIncoming = toPage;
  if (verbose) process.stderr.write(`chromium/${cfg.role}: page running after ${startedAt.toFixed(0)} ms\n`);
} catch (e) {
  // No browser: say so as this end's result (the parent asks for it), then go.
  const error = `Chromium did not start: ${String(e?.stack ?? e).slice(0, 2000)}`;
  const result = { stack: cfg.stack, role: cfg.role, info: "Chromium (not started)", state: "none", marks: {}, connectedAt: null,
    openAt: null, doneAt: null, records: [], sent: [], errors: [error, ...hostErrors], logs: [] };
  onIncoming = (m) => {
    if (m.cmd === "report") out({ result });
    else if (m.cmd === "exit") void exit(1);
  };
  for (const m of incoming.splice(0)) onIncoming(m);
  if (cfg.role === "drive") out({ done: true });
  process.stderr.write(`${error}\n`);
}
