// The fixture app: what a user's page does with the package. It imports the
// package by name ("wasmrtc"), which the bundler resolves through the repo's
// package.json "exports" with the "browser" condition (dist/browser.js), loads
// the engine with @noble crypto, and runs the same STUN check on the virtual
// network as test/engine/browser-engine.test.ts. The JSON result goes to
// window.__result for test/bundlers/serve-and-run.mjs. (The page's
// `typeof process` / `typeof Buffer` check is done by the runner, outside this
// code: the bundles are scanned for those names and must not contain them.)
import { Engine, Endpoint, NobleCryptoProvider, VirtualClock, VirtualNetwork } from "wasmrtc";

async function stunCheck(wasmUrl) {
  // wasmUrl undefined: the entry's default, new URL("./wasmrtc.wasm", import.meta.url).
  const engine = await Engine.load(wasmUrl === undefined
    ? { crypto: new NobleCryptoProvider() }
    : { crypto: new NobleCryptoProvider(), wasmUrl });
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
  client.close();
  server.close();
  return {
    ok: res.ok, mapped: res.mapped, rtt: res.rttMs, timedOut,
    // Which .wasm the engine fetched (the page's resource timing).
    wasmFetched: performance.getEntriesByType("resource").map((e) => e.name).filter((n) => n.endsWith(".wasm")),
  };
}

export function report(wasmUrl) {
  stunCheck(wasmUrl).then(
    (value) => { window.__result = { ok: true, value }; },
    (e) => { window.__result = { ok: false, error: String(e?.stack ?? e) }; },
  );
}
