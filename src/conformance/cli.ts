// `wasmrtc-conformance`: runs the conformance suite in one runtime or in all
// of them and compares the digests.
//   npx wasmrtc-conformance [--runtime node|deno|bun|chromium|chromium-worker|firefox|all] [--seed N]
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { NodeCryptoProvider } from "../crypto/node.js";
import { formatReport, runConformance, scenarioNames, type ConformanceReport } from "./run.js";

const RUNTIMES = ["node", "deno", "bun", "chromium", "chromium-worker", "firefox"] as const;
type Runtime = (typeof RUNTIMES)[number];

const HELP = `wasmrtc-conformance — the deterministic conformance suite, the same scenarios in every runtime

Usage: wasmrtc-conformance [options]

  --runtime R       node (default), deno, bun, chromium, chromium-worker, firefox, or all
                    (repeatable). With several, their digests must be identical.
  --seed N          seed of every random value (default 1); another seed gives another trace
  --only NAME       run one scenario (or a prefix ending in "/", e.g. reliability/); repeatable
  --json            print the reports as JSON
  --trace-dir DIR   write each runtime's full trace (one file per scenario) to DIR, for diffing
  --list            list the scenarios
  -h, --help        this text

Runtimes are found as: deno / bun on PATH or in node_modules/.bin; Chromium at
$CHROMIUM_PATH or /usr/bin/chromium (needs the npm package playwright-core);
Firefox at $FIREFOX_PATH or /usr/bin/firefox-esr (needs puppeteer-core).
`;

const here = dirname(fileURLToPath(import.meta.url));
const dist = here;  // this file is dist/conformance-cli.js
const wasmPath = join(dist, "wasmrtc.wasm");

function fail(msg: string): never {
  process.stderr.write(`wasmrtc-conformance: ${msg}\nRun wasmrtc-conformance --help for the options.\n`);
  process.exit(2);
}

function findBin(name: string): string | null {
  for (let d = resolve(dist); ; d = dirname(d)) {
    const p = join(d, "node_modules/.bin", name);
    if (existsSync(p)) return p;
    if (dirname(d) === d) break;
  }
  const w = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  return w.status === 0 ? w.stdout.trim() : null;
}

interface RunArgs {
  seed: string;
  only: string[];
  keepLines: boolean;
}

async function runHere(a: RunArgs): Promise<ConformanceReport> {
  const module = new WebAssembly.Module(readFileSync(wasmPath));
  return runConformance({ module, seed: a.seed, only: a.only, keepLines: a.keepLines, baseCrypto: () => new NodeCryptoProvider() });
}

/** Deno and Bun run this same file with --child, which prints one JSON report. */
function runChild(bin: string, extra: string[], a: RunArgs): Promise<ConformanceReport> {
  const args = [...extra, fileURLToPath(import.meta.url), "--child", "--seed", a.seed, ...a.only.flatMap((o) => ["--only", o]), ...(a.keepLines ? ["--keep-lines"] : [])];
  return new Promise((resolveRun, reject) => {
    const p = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("close", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("@@CONFORMANCE@@"));
      if (!line) reject(new Error(`${bin} exited ${code} without a report: ${err.slice(-1500)}`));
      else resolveRun(JSON.parse(line.slice(15)));
    });
  });
}

const pageScript = (a: RunArgs) => `
  const { runConformance } = await import("/dist/conformance.js");
  const module = await WebAssembly.compile(await (await fetch("/dist/wasmrtc.wasm")).arrayBuffer());
  return await runConformance({ module, seed: ${JSON.stringify(a.seed)}, only: ${JSON.stringify(a.only)}, keepLines: ${a.keepLines} });`;

async function runBrowser(kind: "chromium" | "chromium-worker" | "firefox", a: RunArgs): Promise<ConformanceReport> {
  const types: Record<string, string> = { ".js": "text/javascript", ".wasm": "application/wasm", ".map": "application/json" };
  const worker = kind === "chromium-worker";
  const body = pageScript(a);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/") {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(worker
        ? `<!doctype html><script type="module">window.__run = () => new Promise((ok, bad) => { const w = new Worker("/__worker.js", { type: "module" }); w.onmessage = (e) => e.data.ok ? ok(e.data.value) : bad(new Error(e.data.error)); w.onerror = (e) => bad(new Error(e.message)); });</script>`
        : `<!doctype html><script type="module">window.__run = async () => { ${body} };</script>`);
      return;
    }
    if (url.pathname === "/__worker.js") {
      res.writeHead(200, { "content-type": "text/javascript" });
      res.end(`(async () => { try { const value = await (async () => { ${body} })(); postMessage({ ok: true, value }); } catch (e) { postMessage({ ok: false, error: String(e && e.stack || e) }); } })();`);
      return;
    }
    const file = resolve(dist, "." + url.pathname.replace(/^\/dist/, ""));
    if (!file.startsWith(resolve(dist) + sep) || !existsSync(file)) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  const require = createRequire(join(process.cwd(), "package.json"));
  const load = (name: string) => {
    try {
      return require(name);
    } catch {
      try {
        return createRequire(import.meta.url)(name);
      } catch {
        fail(`the ${kind} runtime needs the npm package ${name} (npm install --save-dev ${name})`);
      }
    }
  };
  const home = mkdtempSync(join(tmpdir(), "wasmrtc-conformance-"));
  try {
    if (kind === "firefox") {
      const puppeteer = load("puppeteer-core");
      const browser = await puppeteer.launch({
        browser: "firefox", headless: true, executablePath: process.env.FIREFOX_PATH ?? "/usr/bin/firefox-esr",
        env: { ...process.env, HOME: home, MOZ_DISABLE_NONLOCAL_CONNECTIONS: "1", MOZ_CRASHREPORTER_DISABLE: "1" },
        extraPrefsFirefox: { "app.update.enabled": false, "toolkit.telemetry.enabled": false, "datareporting.policy.dataSubmissionEnabled": false,
          "network.captive-portal-service.enabled": false, "services.settings.server": "data:,#remote-settings-dummy/v1" },
        protocolTimeout: 600000,
      });
      try {
        const page = await browser.newPage();
        await page.goto(`http://127.0.0.1:${port}/`);
        await page.waitForFunction(() => typeof (window as unknown as { __run?: unknown }).__run === "function");
        return await page.evaluate(() => (window as unknown as { __run: () => Promise<ConformanceReport> }).__run());
      } finally {
        await browser.close();
      }
    }
    const { chromium } = load("playwright-core");
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(() => typeof (window as unknown as { __run?: unknown }).__run === "function");
      return await page.evaluate(() => (window as unknown as { __run: () => Promise<ConformanceReport> }).__run(), undefined, { timeout: 600000 });
    } finally {
      await browser.close();
    }
  } finally {
    server.close();
    rmSync(home, { recursive: true, force: true });
  }
}

async function runIn(rt: Runtime, a: RunArgs): Promise<ConformanceReport> {
  switch (rt) {
    case "node":
      return runHere(a);
    case "deno": {
      const bin = findBin("deno") ?? fail("deno not found (npm install --save-dev deno)");
      return runChild(bin, ["run", "-A"], a);
    }
    case "bun": {
      const bin = findBin("bun") ?? fail("bun not found (npm install --save-dev bun)");
      return runChild(bin, [], a);
    }
    default:
      return runBrowser(rt, a);
  }
}

let values;
try {
  values = parseArgs({
    options: {
      runtime: { type: "string", multiple: true }, seed: { type: "string" }, only: { type: "string", multiple: true },
      json: { type: "boolean" }, "trace-dir": { type: "string" }, list: { type: "boolean" }, help: { type: "boolean", short: "h" },
      child: { type: "boolean" }, "keep-lines": { type: "boolean" },
    },
    strict: true,
  }).values;
} catch (e) {
  fail((e as Error).message);
}
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
if (values.list) {
  console.log(scenarioNames().join("\n"));
  process.exit(0);
}
const args: RunArgs = { seed: values.seed ?? "1", only: values.only ?? [], keepLines: !!values["keep-lines"] || !!values["trace-dir"] };
if (!/^[\w.-]{1,64}$/.test(args.seed)) fail("--seed must be 1-64 letters, digits, '.', '_' or '-'");
if (values.child) {
  const r = await runHere(args);
  process.stdout.write(`@@CONFORMANCE@@${JSON.stringify(r)}\n`);
  process.exit(0);
}
const wanted = (values.runtime ?? ["node"]).flatMap((r) => (r === "all" ? [...RUNTIMES] : [r]));
for (const r of wanted) if (!(RUNTIMES as readonly string[]).includes(r)) fail(`unknown runtime '${r}' (${RUNTIMES.join(", ")}, all)`);
const reports: Array<{ runtime: string; report: ConformanceReport }> = [];
for (const rt of wanted as Runtime[]) {
  process.stderr.write(`running in ${rt} …\n`);
  const t0 = Date.now();
  let report: ConformanceReport;
  try {
    report = await runIn(rt, args);
  } catch (e) {
    fail(`${rt}: ${(e as Error).message}`);
  }
  reports.push({ runtime: rt, report });
  if (values["trace-dir"]) {
    const dir = join(values["trace-dir"], rt);
    mkdirSync(dir, { recursive: true });
    for (const s of report.scenarios) writeFileSync(join(dir, s.name.replace(/\//g, "__") + ".trace"), (s.lines ?? []).join(""));
  }
  for (const s of report.scenarios) delete s.lines;
  if (!values.json) console.log(`${formatReport(report, rt)}\n(${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
}
const digests = new Set(reports.map((r) => r.report.digest));
const allOk = reports.every((r) => r.report.ok);
if (values.json) console.log(JSON.stringify({ reports, identical: digests.size === 1, ok: allOk }));
else if (reports.length > 1) {
  console.log(digests.size === 1 ? `identical digest in ${reports.map((r) => r.runtime).join(", ")}: ${[...digests][0]}` : "DIGESTS DIFFER:");
  if (digests.size > 1) for (const r of reports) console.log(`  ${r.runtime}: ${r.report.digest}`);
}
process.exit(allOk && digests.size === 1 ? 0 : 1);
