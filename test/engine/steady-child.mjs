// Steady traffic between two engine peers over UDP on 127.0.0.1 at a fixed
// rate for a fixed time, with a report per window: round-trip percentiles, JS
// heap, wasm memory, handles. Then both close and the process must exit on its
// own. `node --expose-gc test/engine/steady-child.mjs SECONDS RATE WINDOW`
// (npm run endurance runs it for an hour).
import * as w from "../../dist/index.js";

const { WebRTCPeerConnection } = w;
const seconds = Number(process.argv[2] ?? 20);
const rate = Number(process.argv[3] ?? 200);  // messages per second, each echoed
const windowS = Number(process.argv[4] ?? 5);
const progress = process.env.STEADY_PROGRESS === "1";
const cfg = { wasmrtc: { bind: ["127.0.0.1"] } };

const handles = () => process.getActiveResourcesInfo().filter((r) => r !== "TTYWrap").length;
const heap = () => {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
};
const engine = w.loadNodeEngineSync();
const wasmBytes = () => engine.wasm.memory.buffer.byteLength;
const baseline = { handles: handles(), heap: heap() };

const a = new WebRTCPeerConnection();
const b = new WebRTCPeerConnection();
a.initialize(cfg);
b.initialize(cfg);
a.session_description_created.connect((t, s) => { a.set_local_description(t, s); b.set_remote_description(t, s); });
b.session_description_created.connect((t, s) => { b.set_local_description(t, s); a.set_remote_description(t, s); });
a.ice_candidate_created.connect((m, i, n) => b.add_ice_candidate(m, i, n));
b.ice_candidate_created.connect((m, i, n) => a.add_ice_candidate(m, i, n));
const ca = a.create_data_channel("steady", { negotiated: true, id: 1 });
const cb = b.create_data_channel("steady", { negotiated: true, id: 1 });
a.create_offer();

const windows = [];
let cur = { rtts: [], sent: 0, got: 0, lost: 0 };
const pending = new Map();
let seq = 0;
let bad = 0;
const t0 = performance.now();
let nextSend = 0;
let windowStart = 0;
const msg = new Uint8Array(1000);

await new Promise((resolve) => {
  const iv = setInterval(() => {
    a.poll();
    b.poll();
    while (cb.get_available_packet_count() > 0) cb.put_packet(cb.get_packet());  // the echo
    const now = performance.now();
    while (ca.get_available_packet_count() > 0) {
      const p = ca.get_packet();
      const s = new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(0);
      const at = pending.get(s);
      if (at === undefined || p.length !== msg.length) bad++;
      else {
        pending.delete(s);
        cur.rtts.push((now - at) * 1000);
        cur.got++;
      }
    }
    if (ca.get_ready_state() !== 1) {
      if (now - t0 > 10000) {
        clearInterval(iv);
        resolve();
      }
      return;
    }
    if (!windowStart) {
      windowStart = now;
      nextSend = now;
    }
    while (nextSend <= now) {
      new DataView(msg.buffer).setUint32(0, seq);
      pending.set(seq++, performance.now());
      ca.put_packet(msg);
      cur.sent++;
      nextSend += 1000 / rate;
    }
    if (now - windowStart >= windowS * 1000) {
      cur.rtts.sort((x, y) => x - y);
      const q = (p) => (cur.rtts.length ? Math.round(cur.rtts[Math.min(cur.rtts.length - 1, Math.floor(cur.rtts.length * p))]) : null);
      const entry = { at: Math.round((now - t0) / 1000), sent: cur.sent, got: cur.got, p50Us: q(0.5), p99Us: q(0.99), heap: heap(), wasm: wasmBytes(), handles: handles() };
      windows.push(entry);
      if (progress) process.stderr.write(`steady ${entry.at}s: ${entry.got}/${entry.sent} echoed, RTT p50 ${entry.p50Us} µs p99 ${entry.p99Us} µs, heap ${(entry.heap / 1e6).toFixed(1)} MB, wasm ${entry.wasm / 1048576} MiB\n`);
      cur = { rtts: [], sent: 0, got: 0, lost: 0 };
      windowStart = now;
    }
    if (now - t0 >= seconds * 1000 + 1000) {
      clearInterval(iv);
      resolve();
    }
  }, 1);
});
const outstanding = pending.size;
a.close();
b.close();
await new Promise((r) => setTimeout(r, 100));
console.log("@@RESULT@@" + JSON.stringify({ seconds, rate, windows, bad, outstanding, baseline,
  end: { handles: handles(), heap: heap(), wasm: wasmBytes(), endpoints: engine.endpointCount() } }));
