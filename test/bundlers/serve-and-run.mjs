// Serves a bundler's output directory on 127.0.0.1, opens its index.html in
// headless Chromium (playwright-core) and prints the page's window.__result
// as JSON after a @@RESULT@@ marker. As test/helpers/chromium-runner.mjs, it
// is meant to run inside a private network namespace that has only `lo`
// (bundlers.test.ts starts it under unshare).
//   node serve-and-run.mjs OUT_DIR [TIMEOUT_MS]
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, resolve, sep } from "node:path";
import { chromium } from "playwright-core";

const [, , outDir, timeoutArg] = process.argv;
const root = resolve(outDir);
const timeoutMs = Number(timeoutArg ?? 60000);
const types = {
  ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".html": "text/html",
  ".css": "text/css", ".map": "application/json", ".json": "application/json",
};
const served = [];
const server = createServer(async (req, res) => {
  const url = new URL(req.url, "http://127.0.0.1");
  const path = url.pathname === "/" ? "/index.html" : decodeURIComponent(url.pathname);
  const file = resolve(root, "." + path);
  try {
    if (file !== root && !file.startsWith(root + sep)) throw new Error("outside the served directory");
    const body = await readFile(file);
    served.push({ path, status: 200, bytes: body.length });
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
    res.end(body);
  } catch {
    served.push({ path, status: 404 });
    res.writeHead(404);
    res.end();
  }
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const port = server.address().port;
const logs = [];
let browser;
let result;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
    ],
  });
  const context = await browser.newContext({ permissions: ["camera", "microphone"] });
  const page = await context.newPage();
  page.on("console", (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => logs.push(`pageerror: ${e.message}`));
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => window.__result !== undefined, null, { timeout: timeoutMs });
  const pageResult = await page.evaluate(() => window.__result);
  // Checked again here, outside the app's code, in the page's main world.
  const globals = await page.evaluate(() => ({ process: typeof process, Buffer: typeof Buffer, require: typeof require, global: typeof global }));
  result = { ...pageResult, globals };
} catch (e) {
  result = { ok: false, error: String(e?.stack ?? e) };
} finally {
  await browser?.close();
  server.close();
}
process.stdout.write("\n@@RESULT@@" + JSON.stringify({ ...result, logs, served }) + "\n");
