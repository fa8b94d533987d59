// Page scripts shared by the browser tests (run with runInChromium/runInFirefox
// from browser.ts: each is the body of an async function with `wasmrtc`, the
// package's browser build, in scope).

export interface EngineStunResult {
  ok: boolean;
  mapped: unknown;
  rtt: number;
  provider: string;
  timedOut: boolean;
  hasNodeGlobals: boolean;
  /** True when the script ran in a dedicated worker rather than in the page. */
  inWorker: boolean;
}

/**
 * The engine fetches dist/wasmrtc.wasm through our loader, imports crypto from
 * @noble, and runs STUN between two endpoints on the virtual network: one
 * binding that succeeds (15 ms each way) and one that times out (all lost).
 */
export const engineStunScript = `
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
               hasNodeGlobals: typeof process !== "undefined",
               inWorker: typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope };
`;
