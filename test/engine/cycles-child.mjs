// 1,000 connect/close cycles of two engine peer connections over UDP on
// 127.0.0.1 in one process, then a report: handles, heap, wasm memory, live
// endpoints. The process must then exit on its own (no process.exit here).
import * as w from "../../dist/index.js";

const { WebRTCPeerConnection } = w;
const cycles = Number(process.argv[2] ?? 1000);
const parallel = 4;
const cfg = { wasmrtc: { bind: ["127.0.0.1"] } };

function pairOnce() {
  return new Promise((resolve, reject) => {
    const a = new WebRTCPeerConnection();
    const b = new WebRTCPeerConnection();
    a.initialize(cfg);
    b.initialize(cfg);
    a.session_description_created.connect((t, s) => { a.set_local_description(t, s); b.set_remote_description(t, s); });
    b.session_description_created.connect((t, s) => { b.set_local_description(t, s); a.set_remote_description(t, s); });
    a.ice_candidate_created.connect((m, i, n) => b.add_ice_candidate(m, i, n));
    b.ice_candidate_created.connect((m, i, n) => a.add_ice_candidate(m, i, n));
    const ca = a.create_data_channel("c", { negotiated: true, id: 0 });
    const cb = b.create_data_channel("c", { negotiated: true, id: 0 });
    a.create_offer();
    const t0 = Date.now();
    let sent = false;
    const iv = setInterval(() => {
      a.poll();
      b.poll();
      if (!sent && ca.get_ready_state() === 1) {
        sent = true;
        ca.put_packet(new Uint8Array([1, 2, 3]));
      }
      if (cb.get_available_packet_count() > 0) {
        cb.get_packet();
        clearInterval(iv);
        a.close();
        b.close();
        resolve(Date.now() - t0);
      } else if (Date.now() - t0 > 10000) {
        clearInterval(iv);
        a.close();
        b.close();
        reject(new Error(`cycle timed out (states ${a.get_connection_state()}/${b.get_connection_state()})`));
      }
    }, 1);
  });
}

const handles = () => process.getActiveResourcesInfo().filter((r) => r !== "TTYWrap").length;
const heap = () => {
  globalThis.gc?.();
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
};
const engine = w.loadNodeEngineSync();
const wasmBytes = () => engine.wasm.memory.buffer.byteLength;

const baseline = { handles: handles(), heap: heap() };
const times = [];
let done = 0;
let warm = null;
async function worker() {
  while (done < cycles) {
    done++;
    times.push(await pairOnce());
    if (times.length % 100 === 0) console.log(`progress: ${times.length} cycles`);
    if (done === Math.min(100, cycles)) {
      await new Promise((r) => setTimeout(r, 20));
      warm = { heap: heap(), wasm: wasmBytes() };
    }
  }
}
await Promise.all(Array.from({ length: parallel }, worker));
await new Promise((r) => setTimeout(r, 50));  // last closes settle
times.sort((x, y) => x - y);
const report = {
  cycles: times.length,
  medianMs: times[Math.floor(times.length / 2)],
  p99Ms: times[Math.floor(times.length * 0.99)],
  baseline,
  warm,
  end: { handles: handles(), heap: heap(), wasm: wasmBytes(), endpoints: engine.endpointCount() },
};
console.log("@@RESULT@@" + JSON.stringify(report));
