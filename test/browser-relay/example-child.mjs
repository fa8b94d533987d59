// Inside a private network namespace: starts examples/browser-relay/server.mjs
// and opens its page in Chromium; reports what the page shows once three echoes
// came back (or what it showed when the time ran out).
import { spawn } from "node:child_process";
import { join } from "node:path";
import { chromium } from "playwright-core";

const repo = process.env.WASMRTC_REPO;
const port = 18000 + Math.floor(Math.random() * 1000);
const server = spawn(process.execPath, [join(repo, "examples/browser-relay/server.mjs"), "--port", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
let serverOut = "";
server.stdout.on("data", (d) => (serverOut += d));
server.stderr.on("data", (d) => (serverOut += d));
let result;
let browser;
try {
  const end = Date.now() + 15000;
  while (!serverOut.includes("open http") && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  const page = await browser.newPage();
  const logs = [];
  page.on("console", (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => logs.push(`pageerror: ${e.message}`));
  await page.goto(`http://127.0.0.1:${port}/`);
  const ok = await page.waitForFunction(() => /echoed ([3-9]|\d\d)/.test(document.getElementById("status").textContent), null, { timeout: 20000 })
    .then(() => true, () => false);
  result = {
    ok: true,
    value: { echoed: ok, state: await page.textContent("#state"), status: await page.textContent("#status"), log: await page.textContent("#log"), logs, serverOut },
  };
} catch (e) {
  result = { ok: false, error: String(e?.stack ?? e) + "\n" + serverOut };
} finally {
  await browser?.close();
  server.kill("SIGTERM");
}
process.stdout.write("\n@@RESULT@@" + JSON.stringify(result) + "\n");
process.exit(0);
