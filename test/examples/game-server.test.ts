// examples/game-server/one-port.mjs runs as its comment says: 20 players on one port whose socket has a
// thread of its own, every tick answered, nothing dropped at the rings, and the process exits by itself.
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

describe("examples/game-server", () => {
  it("20 players on one port, the socket on its own thread: every tick answered", () => {
    const out = execFileSync(process.execPath, [resolve(__dirname, "../../examples/game-server/one-port.mjs")], { encoding: "utf8", timeout: 30000 });
    expect(out).toMatch(/server: 20 players connected/);
    const m = /server: (\d+) ticks sent, (\d+) answered; the socket thread received (\d+) datagrams, ring drops 0 in \/ 0 out/.exec(out);
    expect(m, out).not.toBeNull();
    expect(m![2]).toBe(m![1]);
    expect(Number(m![1])).toBeGreaterThan(20 * 30);  // 60 Hz for 2 s, even on a slow machine well over half
    expect(Number(m![3])).toBeGreaterThan(Number(m![1]) / 2);  // the ticks came in through the thread
  }, 40000);
});
