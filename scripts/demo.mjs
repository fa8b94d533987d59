// Demo: two Godot-style peers (WebRTCPeerConnection on the WebAssembly engine)
// connect over UDP on 127.0.0.1, then move data: a bulk transfer with
// backpressure (live progress line) and ping-pong round trips, and report.
//   DEMO_MB=64 DEMO_PINGS=2000 npm start
import { WebRTCPeerConnection, WebRTCDataChannel } from "../dist/index.js";

const totalMB = Number(process.env.DEMO_MB ?? 32);
const pings = Number(process.env.DEMO_PINGS ?? 1000);
const chunk = 16 * 1024;
const cfg = { wasmrtc: { bind: ["127.0.0.1"] } };
const now = () => performance.now();

const alice = new WebRTCPeerConnection();
const bob = new WebRTCPeerConnection();
alice.initialize(cfg);
bob.initialize(cfg);
// Signaling as in Godot's minimal demo: each side's signals straight into the other's methods.
alice.session_description_created.connect((type, sdp) => { alice.set_local_description(type, sdp); bob.set_remote_description(type, sdp); });
bob.session_description_created.connect((type, sdp) => { bob.set_local_description(type, sdp); alice.set_remote_description(type, sdp); });
alice.ice_candidate_created.connect((mid, index, name) => bob.add_ice_candidate(mid, index, name));
bob.ice_candidate_created.connect((mid, index, name) => alice.add_ice_candidate(mid, index, name));

const bulkA = alice.create_data_channel("bulk", { negotiated: true, id: 1 });
const bulkB = bob.create_data_channel("bulk", { negotiated: true, id: 1 });
const pingA = alice.create_data_channel("ping", { negotiated: true, id: 2 });
const pingB = bob.create_data_channel("ping", { negotiated: true, id: 2 });

const t0 = now();
alice.create_offer();
const frame = (fn) => new Promise((resolve) => {
  const iv = setInterval(() => {
    alice.poll();
    bob.poll();
    if (fn()) {
      clearInterval(iv);
      resolve();
    }
  }, 1);
});
const open = (c) => c.get_ready_state() === WebRTCDataChannel.STATE_OPEN;
await frame(() => open(bulkA) && open(bulkB) && open(pingA) && open(pingB));
const setupMs = now() - t0;
console.log(`connected in ${setupMs.toFixed(1)} ms (ICE, DTLS 1.2, SCTP; channels open)`);

// Bulk: keep at most 1 MiB buffered on the sender; the reader reads every frame.
const total = totalMB * 1024 * 1024;
const payload = new Uint8Array(chunk).map((_, i) => i & 255);
let sent = 0;
let received = 0;
let lastPrint = 0;
const tb = now();
await frame(() => {
  while (sent < total && bulkA.get_buffered_amount() < 1024 * 1024) {
    if (bulkA.put_packet(payload) !== 0) break;
    sent += chunk;
  }
  while (bulkB.get_available_packet_count() > 0) received += bulkB.get_packet().length;
  const t = now();
  if (t - lastPrint > 100 || received >= total) {
    lastPrint = t;
    const mbps = received / 1048576 / ((t - tb) / 1000);
    const bar = "#".repeat(Math.round((received / total) * 30)).padEnd(30, ".");
    process.stdout.write(`\rbulk [${bar}] ${(received / 1048576).toFixed(1)}/${totalMB} MiB  ${mbps.toFixed(1)} MiB/s   `);
  }
  return received >= total;
});
const bulkSec = (now() - tb) / 1000;
process.stdout.write("\n");

// Round trips: 100-byte ping, echoed by bob.
const rtts = [];
const msg = new Uint8Array(100);
for (let i = 0; i < pings; i++) {
  const ts = now();
  pingA.put_packet(msg);
  await new Promise((resolve) => {
    const spin = () => {
      bob.poll();
      while (pingB.get_available_packet_count() > 0) pingB.put_packet(pingB.get_packet());
      alice.poll();
      if (pingA.get_available_packet_count() > 0) {
        pingA.get_packet();
        rtts.push((now() - ts) * 1000);
        resolve();
      } else {
        setImmediate(spin);
      }
    };
    spin();
  });
  if (i % 100 === 99) process.stdout.write(`\rping ${i + 1}/${pings}   `);
}
process.stdout.write("\n");
rtts.sort((a, b) => a - b);
const pct = (p) => rtts[Math.min(rtts.length - 1, Math.floor(rtts.length * p))].toFixed(0);
console.log("report:");
console.log(`  setup        ${setupMs.toFixed(1)} ms`);
console.log(`  throughput   ${(total / 1048576 / bulkSec).toFixed(1)} MiB/s (${totalMB} MiB in ${chunk / 1024} KiB messages, reliable ordered)`);
console.log(`  round trip   median ${pct(0.5)} µs, p99 ${pct(0.99)} µs (${pings} × 100 bytes)`);
if (process.env.DEMO_JSON) {
  // One line for bench/runtimes.mjs.
  console.log("@@DEMO@@" + JSON.stringify({ setupMs, mibPerSec: total / 1048576 / bulkSec, rttMedianUs: Number(pct(0.5)), rttP99Us: Number(pct(0.99)) }));
}
alice.close();
bob.close();
