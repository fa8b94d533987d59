// examples/reconnect/phone-moves.mjs runs as its comment says: the phone's address changes during an
// outage, it sees STATE_DISCONNECTED, its new offer restarts ICE, and every tick arrives in order over
// the same channel; the process exits by itself with 0.
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

describe("examples/reconnect", () => {
  it("a phone that changes networks reconnects with an ICE restart and loses nothing", () => {
    const out = execFileSync(process.execPath, [resolve(__dirname, "../../examples/reconnect/phone-moves.mjs")], { encoding: "utf8", timeout: 30000 });
    expect(out).toMatch(/phone: STATE_DISCONNECTED\n.*phone: create_offer\(\) -> OK, restarting ICE/);
    const m = /server got (\d+) of (\d+) ticks, in order: true; ICE restarts: 1; channel still open/.exec(out);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(m![2]);
    expect(Number(m![2])).toBeGreaterThan(100);
  }, 40000);
});
