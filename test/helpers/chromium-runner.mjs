// Runs a module script in headless Chromium against the package's browser
// build and prints the script's JSON result. Meant to run inside a private
// network namespace (see runInChromium in browser.ts): it serves dist/ on
// 127.0.0.1 and loads a page that imports dist/browser.js.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, resolve } from "node:path";
import { chromium } from "playwright-core";

const [, , distDir, scriptFile] = process.argv;
const script = await readFile(scriptFile, "utf8");
const types = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html", ".map": "application/json" };
const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url, "http://127.0.0.1");
    if (url.pathname === "/") {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<!doctype html><meta charset="utf-8"><title>wasmrtc</title><script type="module">
        import * as wasmrtc from "/dist/browser.js";
        window.__run = async () => { ${script} };
        window.__ready = true;
      </script>`);
      return;
    }
    const file = resolve(distDir, "." + url.pathname.replace(/^\/dist/, ""));
    if (!file.startsWith(resolve(distDir))) throw new Error("outside dist");
    const body = await readFile(file);
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const port = server.address().port;
let browser;
let result;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
      // playwright gives every launch a fresh temporary profile (no --user-data-dir needed).
    ],
  });
  const context = await browser.newContext({ permissions: ["camera", "microphone"] });
  const page = await context.newPage();
  const logs = [];
  page.on("console", (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => logs.push(`pageerror: ${e.message}`));
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => window.__ready === true, null, { timeout: 20000 });
  const value = await page.evaluate(() => window.__run());
  result = { ok: true, value, logs };
} catch (e) {
  result = { ok: false, error: String(e?.stack ?? e) };
} finally {
  await browser?.close();
  server.close();
}
process.stdout.write("\n@@RESULT@@" + JSON.stringify(result) + "\n");
