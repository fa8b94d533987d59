// Steady traffic for 20 s (the hour-long run is `npm run endurance`): every
// message echoed intact, no growth of the JS heap or the wasm memory after the
// first window, handles and endpoints back to where they started, and the
// process exits on its own. Round-trip percentiles per window are printed, not
// asserted (speed is measured in bench/, not in timed tests).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const repo = resolve(__dirname, "../..");

describe("steady traffic", () => {
  it("20 s at 200 messages/s: nothing lost, memory flat, nothing left behind", async () => {
    expect(existsSync(resolve(repo, "dist/index.js")), "run npm run build first").toBe(true);
    const child = spawn(process.execPath, ["--expose-gc", resolve(repo, "test/engine/steady-child.mjs"), "20", "200", "5"], { cwd: repo });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const code = await new Promise<number | null>((res) => {
      const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      child.on("exit", (c) => {
        clearTimeout(killer);
        res(c);
      });
    });
    expect(code, err).toBe(0);  // exited by itself: no timer, socket or handle left
    const r = JSON.parse(out.slice(out.lastIndexOf("@@RESULT@@") + 10));
    for (const x of r.windows) console.log(`steady ${x.at}s: ${x.got}/${x.sent} echoed, RTT p50 ${x.p50Us} µs p99 ${x.p99Us} µs, heap ${(x.heap / 1e6).toFixed(1)} MB, wasm ${x.wasm / 1048576} MiB`);
    expect(r.windows.length).toBeGreaterThanOrEqual(3);
    expect(r.bad).toBe(0);
    const sent = r.windows.reduce((n: number, x: { sent: number }) => n + x.sent, 0);
    const got = r.windows.reduce((n: number, x: { got: number }) => n + x.got, 0);
    expect(sent).toBeGreaterThan(200 * 15);
    expect(sent - got).toBeLessThanOrEqual(r.outstanding + 200);  // at most what was still in flight at a window's end
    const first = r.windows[0];
    const last = r.windows[r.windows.length - 1];
    expect(last.wasm).toBe(first.wasm);
    expect(last.heap - first.heap).toBeLessThan(4 * 1024 * 1024);
    expect(r.end.endpoints).toBe(0);
    expect(r.end.handles).toBeLessThanOrEqual(r.baseline.handles);
  }, 70_000);
});
