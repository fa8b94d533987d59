// The part the browser runners (chromium-runner.mjs, firefox-runner.mjs) share:
// an HTTP server on 127.0.0.1 that serves dist/ under /dist/ and a page at /
// that defines window.__run (the script as the body of an async function, with
// the browser build imported as `wasmrtc`) and then sets window.__ready.
//
// With { worker: true } the page's __run starts a dedicated module worker
// (/__worker.js) that imports /dist/browser.js and runs the script; the worker
// posts back { ok, value } or { ok: false, error } (the error with its stack)
// and __run resolves to that.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, resolve, sep } from "node:path";

export const RESULT_MARKER = "@@RESULT@@";

const types = { ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".html": "text/html", ".map": "application/json" };

const pagePlain = (script) => `<!doctype html><meta charset="utf-8"><title>wasmrtc</title><script type="module">
        import * as wasmrtc from "/dist/browser.js";
        window.__run = async () => { ${script} };
        window.__ready = true;
      </script>`;

// __run resolves to the worker's { ok, value } or { ok: false, error } as it
// is (an error thrown across the driver would lose the worker's stack in
// Firefox); the runner turns it into its result with workerResult().
const pageWorker = `<!doctype html><meta charset="utf-8"><title>wasmrtc (worker)</title><script type="module">
        window.__run = () => new Promise((resolve) => {
          const worker = new Worker("/__worker.js", { type: "module", name: "wasmrtc-test" });
          const done = (r) => { worker.terminate(); resolve(r); };
          worker.onmessage = (e) => done(e.data);
          // A module that fails to load or evaluate (e.g. a syntax error) ends up here.
          worker.onerror = (e) => {
            e.preventDefault();
            done({ ok: false, error: "worker error: " + (e.message || "the worker module failed to load") +
              (e.filename ? " at " + e.filename + ":" + e.lineno + ":" + e.colno : "") });
          };
          worker.onmessageerror = () => done({ ok: false, error: "the worker's result could not be deserialized" });
        });
        window.__ready = true;
      </script>`;

// The worker's module imports the script (as /__script.js) dynamically, so a
// syntax error in it or a failed import of the build arrives as an error with
// its message (a worker whose own module fails to load reports no detail).
const workerModule = `let result;
try {
  const { run } = await import("/__script.js");
  result = { ok: true, value: await run() };
} catch (e) {
  // Chromium's stack starts with "Error: message"; Firefox's has only the frames.
  const stack = e && e.stack ? String(e.stack) : "";
  result = { ok: false, error: stack.startsWith(String(e)) ? stack : String(e) + (stack ? "\\n" + stack : "") };
}
try { self.postMessage(result); } catch (e) { self.postMessage({ ok: false, error: "the result cannot be cloned: " + e }); }
`;

const workerScript = (script) => `import * as wasmrtc from "/dist/browser.js";
export const run = async () => { ${script} };
`;

/** Serves the page (and dist/) on 127.0.0.1 on a free port; resolves to { url, close }. */
export async function startPageServer(distDir, script, { worker = false } = {}) {
  const root = resolve(distDir);
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, "http://127.0.0.1");
      if (url.pathname === "/") {
        res.writeHead(200, { "content-type": "text/html" });
        res.end(worker ? pageWorker : pagePlain(script));
        return;
      }
      if (worker && (url.pathname === "/__worker.js" || url.pathname === "/__script.js")) {
        res.writeHead(200, { "content-type": "text/javascript" });
        res.end(url.pathname === "/__worker.js" ? workerModule : workerScript(script));
        return;
      }
      const file = resolve(root, "." + url.pathname.replace(/^\/dist/, ""));
      if (file !== root && !file.startsWith(root + sep)) throw new Error("outside dist");
      const body = await readFile(file);
      res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => { server.closeAllConnections?.(); server.close(); },
  };
}

/** The runner's result for what a worker-mode __run resolved to. */
export const workerResult = (out, logs) =>
  out?.ok ? { ok: true, value: out.value, logs } : { ok: false, error: "in worker: " + (out?.error ?? String(out)), logs };

/** Parses the runner's command line: DIST SCRIPT_FILE [worker]. */
export async function parseRunnerArgs(argv = process.argv) {
  const [, , distDir, scriptFile, mode] = argv;
  if (!distDir || !scriptFile || (mode !== undefined && mode !== "worker" && mode !== "page")) {
    throw new Error(`usage: ${argv[1]} DIST_DIR SCRIPT_FILE [page|worker]`);
  }
  return { distDir, script: await readFile(scriptFile, "utf8"), worker: mode === "worker" };
}

export const printResult = (result) => process.stdout.write("\n" + RESULT_MARKER + JSON.stringify(result) + "\n");
