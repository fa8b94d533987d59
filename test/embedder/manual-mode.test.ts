// Manual mode for embedders: two peers connect and move data with no timer and
// no socket at all — only the host's explicit calls (time, datagrams in and
// out, poll). The child process removes setTimeout/setInterval/setImmediate and
// node:dgram before the engine is used, so any use of them fails the run.
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

describe("manual mode (embedders without an event loop)", () => {
  it("connects two peers and moves data through explicit calls only", () => {
    const out = JSON.parse(execFileSync(process.execPath, [resolve(__dirname, "manual-child.mjs")], { encoding: "utf8", timeout: 60000 }).trim().split("\n").pop()!);
    expect(out.forbidden).toEqual([]);
    expect(out.init).toEqual([out.E_OK, out.E_OK]);
    expect(out.open).toBe(true);
    // ICE, DTLS and SCTP over a 10 ms wire: a handful of round trips of host time, not wall time.
    expect(out.openAtMs).toBeGreaterThan(40);
    expect(out.openAtMs).toBeLessThan(2000);
    expect(out.put.every((r: number) => r === out.E_OK)).toBe(true);
    expect(out.intact).toBe(true);
    expect(out.datagrams).toBeGreaterThan(50);
    expect(out.state).toEqual([2, 2]);
    expect([4, 5]).toContain(out.peerSawClose);  // the other side sees the close (ABORT) as CLOSED, or FAILED
    expect(out.pendingTimers).toBeNull();  // Infinity in JSON: every connection closed, no timer left
  });
});
