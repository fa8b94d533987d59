// Runs a module script in headless Chromium against the package's browser
// build and prints the script's JSON result. Meant to run inside a private
// network namespace (see runInChromium in browser.ts): it serves dist/ on
// 127.0.0.1 and loads a page that imports dist/browser.js.
//
//   node chromium-runner.mjs DIST_DIR SCRIPT_FILE [worker]
//
// With "worker" the script runs in a dedicated module worker the page starts
// (see page-server.mjs) instead of in the page itself.
import { chromium } from "playwright-core";
import { parseRunnerArgs, printResult, startPageServer, workerResult } from "./page-server.mjs";

const { distDir, script, worker } = await parseRunnerArgs();
const server = await startPageServer(distDir, script, { worker });
let browser;
let result;
const logs = [];
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
  page.on("console", (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => logs.push(`pageerror: ${e.message}`));
  // (playwright reports a dedicated worker's console messages on the page too)
  await page.goto(server.url);
  await page.waitForFunction(() => window.__ready === true, null, { timeout: 20000 });
  const value = await page.evaluate(() => window.__run());
  result = worker ? workerResult(value, logs) : { ok: true, value, logs };
} catch (e) {
  result = { ok: false, error: String(e?.stack ?? e), logs };
} finally {
  await browser?.close();
  server.close();
}
printResult(result);
