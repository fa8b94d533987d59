// An embedder's host loop, in a process where timers and sockets are gone:
// setTimeout/setInterval/setImmediate throw, and so does node:dgram. The host
// owns time (ManualClock) and the wire (ManualTransport): each frame it sets the
// time, moves datagrams between the two peers' transports (10 ms one way), and
// calls poll(). Prints what happened as JSON.
import { readFileSync } from "node:fs";
import dgram from "node:dgram";
import { syncBuiltinESMExports } from "node:module";

const wasm = readFileSync(new URL("../../dist/wasmrtc.wasm", import.meta.url));
const w = await import("../../dist/index.js");
const forbidden = [];
for (const name of ["setTimeout", "setInterval", "setImmediate"]) {
  globalThis[name] = () => {
    forbidden.push(name);
    throw new Error(`${name} called in manual mode`);
  };
}
dgram.createSocket = () => {
  forbidden.push("dgram.createSocket");
  throw new Error("a socket was opened in manual mode");
};
syncBuiltinESMExports();

const { Engine, NodeCryptoProvider, ManualClock, ManualTransport, WebRTCPeerConnection, WebRTCDataChannel, Error: E } = w;
const engine = Engine.loadSync({ crypto: new NodeCryptoProvider(), wasmBinary: wasm }, () => { throw new Error("no file reads"); });
const clock = new ManualClock(0);
const netA = new ManualTransport(["10.0.0.1"]);
const netB = new ManualTransport(["10.0.0.2"]);
const cfg = (transport) => ({ wasmrtc: { engine, transport, clock, inputMode: "immediate" } });
const a = new WebRTCPeerConnection();
const b = new WebRTCPeerConnection();
const out = { init: [a.initialize(cfg(netA)), b.initialize(cfg(netB))], frames: 0, datagrams: 0, forbidden };
a.session_description_created.connect((t, s) => { a.set_local_description(t, s); b.set_remote_description(t, s); });
b.session_description_created.connect((t, s) => { b.set_local_description(t, s); a.set_remote_description(t, s); });
a.ice_candidate_created.connect((m, i, c) => b.add_ice_candidate(m, i, c));
b.ice_candidate_created.connect((m, i, c) => a.add_ice_candidate(m, i, c));
const ca = a.create_data_channel("data", { negotiated: true, id: 5 });
const cb = b.create_data_channel("data", { negotiated: true, id: 5 });
a.create_offer();

// The host's wire: 10 ms one way, in order.
const inFlight = [];
const LATENCY = 10;
let t = 0;
const frame = async () => {
  t += 5;
  out.frames++;
  clock.advanceTo(t);
  for (const [src, dst] of [[netA, netB], [netB, netA]]) {
    for (const d of src.takeOutgoing()) inFlight.push({ at: t + LATENCY, d, dst });
  }
  while (inFlight.length && inFlight[0].at <= t) {
    const { d, dst } = inFlight.shift();
    if (dst.deliver(d.data, d.from, d.to)) out.datagrams++;
  }
  a.poll();
  b.poll();
  await Promise.resolve();  // socket binding resolves in a microtask
};
const run = async (cond, maxFrames) => {
  for (let i = 0; i < maxFrames && !cond(); i++) await frame();
  return cond();
};
const open = () => ca.get_ready_state() === WebRTCDataChannel.STATE_OPEN && cb.get_ready_state() === WebRTCDataChannel.STATE_OPEN;
out.open = await run(open, 2000);
out.openAtMs = clock.now();
const sizes = [1, 1000, 16384, 65536];
const sent = [];
for (const n of sizes) {
  const m = new Uint8Array(n).map((_, i) => (i * 7 + n) & 255);
  out.put = [...(out.put ?? []), ca.put_packet(m), cb.put_packet(m)];
  sent.push(Array.from(m.subarray(0, 8)).join(",") + ":" + n);
}
const gotA = [], gotB = [];
await run(() => {
  while (cb.get_available_packet_count() > 0) { const p = cb.get_packet(); gotB.push(Array.from(p.subarray(0, 8)).join(",") + ":" + p.length); }
  while (ca.get_available_packet_count() > 0) { const p = ca.get_packet(); gotA.push(Array.from(p.subarray(0, 8)).join(",") + ":" + p.length); }
  return gotA.length === sizes.length && gotB.length === sizes.length;
}, 4000);
out.intact = JSON.stringify(gotA) === JSON.stringify(sent) && JSON.stringify(gotB) === JSON.stringify(sent);
out.state = [a.get_connection_state(), b.get_connection_state()];
a.close();
await run(() => b.get_connection_state() === WebRTCPeerConnection.STATE_CLOSED || b.get_connection_state() === WebRTCPeerConnection.STATE_FAILED, 400);
out.peerSawClose = b.get_connection_state();
b.close();
out.endMs = clock.now();
out.pendingTimers = clock.nextDeadline();
out.E_OK = E.OK;
console.log(JSON.stringify(out));
