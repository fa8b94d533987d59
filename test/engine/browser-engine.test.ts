// The same WebAssembly engine in a real browser: Chromium fetches dist/wasmrtc.wasm
// through our loader, imports crypto from @noble, and runs STUN between two
// endpoints on the virtual network inside the page.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { haveChromium, runInChromium } from "../helpers/browser.js";

describe.runIf(haveChromium())("engine in Chromium", () => {
  it("loads the module with fetch and completes STUN bindings on the virtual network", () => {
    expect(existsSync(resolve(__dirname, "../../dist/browser.js")), "run npm run build first").toBe(true);
    const r = runInChromium<{ ok: boolean; mapped: unknown; rtt: number; provider: string; timedOut: boolean; hasNodeGlobals: boolean }>(`
      const { Engine, Endpoint, NobleCryptoProvider, VirtualClock, VirtualNetwork } = wasmrtc;
      const engine = await Engine.load({ crypto: new NobleCryptoProvider() });
      const clock = new VirtualClock();
      const net = new VirtualNetwork(clock, { seed: 5 });
      net.setLink("10.0.0.2", "192.0.2.1", { latencyMs: 15 });
      const server = await Endpoint.create({ engine, transport: net.addHost("192.0.2.1"), clock, bind: [{ port: 3478 }], answerStun: true, inputMode: "immediate" });
      const client = await Endpoint.create({ engine, transport: net.addHost("10.0.0.2"), clock, inputMode: "immediate" });
      const p = client.stunBinding({ family: 4, ip: "192.0.2.1", port: 3478 });
      clock.advance(100);
      const res = await p;
      net.setLink("10.0.0.2", "192.0.2.1", { loss: 1 });
      const lost = client.stunBinding({ family: 4, ip: "192.0.2.1", port: 3478 });
      clock.advance(40000);
      const timedOut = (await lost).timedOut === true;
      client.close(); server.close();
      return { ok: res.ok, mapped: res.mapped, rtt: res.rttMs, provider: engine.wasm ? "noble" : "", timedOut,
               hasNodeGlobals: typeof process !== "undefined" };
    `);
    expect(r.ok, r.error).toBe(true);
    expect(r.value!.ok).toBe(true);
    expect(r.value!.mapped).toEqual({ family: 4, ip: "10.0.0.2", port: 49152 });
    expect(r.value!.rtt).toBeCloseTo(30, 3);
    expect(r.value!.timedOut).toBe(true);
    expect(r.value!.hasNodeGlobals).toBe(false);
    console.log(`chromium engine test: ${r.ms} ms`);
  }, 120000);
});
