// 1,000 connect/close cycles of two engine peer connections (Godot API, UDP on
// 127.0.0.1) in one child process: handles, heap, wasm memory and live
// endpoints come back to where they started, and the process exits on its own.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const repo = resolve(__dirname, "../..");

describe("connect/close cycles", () => {
  it("1,000 cycles leave nothing behind and the process exits by itself", async () => {
    expect(existsSync(resolve(repo, "dist/index.js")), "run npm run build first").toBe(true);
    const reports = mkdtempSync(join(tmpdir(), "wasmrtc-cycles-"));
    const child = spawn(process.execPath, ["--expose-gc", "--report-on-signal", "--report-signal=SIGUSR2", `--report-directory=${reports}`,
      resolve(repo, "test/engine/cycles-child.mjs"), "1000"], { cwd: repo });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const code = await new Promise<number | null>((res) => {
      // A child that never finishes: first a diagnostic report (its JavaScript stack, when its event loop
      // still turns), then kill it; the failure shows how far the cycles got and that stack.
      const reporter = setTimeout(() => child.kill("SIGUSR2"), 90_000);
      const killer = setTimeout(() => child.kill("SIGKILL"), 100_000);
      child.on("exit", (c) => {
        clearTimeout(reporter);
        clearTimeout(killer);
        res(c);
      });
    });
    const stacks = readdirSync(reports).map((f) => {
      const r = JSON.parse(readFileSync(join(reports, f), "utf8")) as { javascriptStack?: { stack?: string[] } };
      return (r.javascriptStack?.stack ?? []).join("\n");
    });
    rmSync(reports, { recursive: true, force: true });
    // Exit code 0 without process.exit(): no timer, socket or handle was left behind.
    expect(code, `${err}\n${out.slice(-1500)}\n${stacks.join("\n---\n")}`).toBe(0);
    const at = out.lastIndexOf("@@RESULT@@");
    expect(at, out + err).toBeGreaterThanOrEqual(0);
    const r = JSON.parse(out.slice(at + 10));
    console.log(`cycles: ${r.cycles}, setup median ${r.medianMs} ms, p99 ${r.p99Ms} ms; heap ${(r.baseline.heap / 1e6).toFixed(1)} → ${(r.end.heap / 1e6).toFixed(1)} MB; wasm ${r.end.wasm / 1048576} MiB`);
    expect(r.cycles).toBe(1000);
    expect(r.end.endpoints).toBe(0);
    expect(r.end.handles).toBeLessThanOrEqual(r.baseline.handles);
    // After warm-up (100 cycles) the JS heap and the wasm memory do not keep growing.
    expect(r.end.heap - r.warm.heap).toBeLessThan(2 * 1024 * 1024);
    expect(r.end.wasm).toBe(r.warm.wasm);
  }, 120_000);
});
