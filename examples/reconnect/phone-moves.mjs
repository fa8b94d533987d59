// A game client whose network changes mid-game (Wi-Fi to mobile, through a
// tunnel): its address changes, the connection goes STATE_DISCONNECTED, and the client answers with a
// new create_offer() — an ICE restart. The same data channel carries on and
// nothing sent in between is lost. Runs on the virtual network and clock, so it
// needs no real network and finishes at once.
//
//   npm run build && node examples/reconnect/phone-moves.mjs
import {
  Error, VirtualClock, VirtualNetwork, WebRTCDataChannel, WebRTCPeerConnection, loadNodeEngine,
} from "../../dist/index.js";

const engine = await loadNodeEngine();
const clock = new VirtualClock();
const net = new VirtualNetwork(clock, { defaultLink: { latencyMs: 30 } });
const phoneHost = net.addHost("192.0.2.10");
const serverHost = net.addHost("198.51.100.1");
const at = () => `${(clock.now() / 1000).toFixed(1).padStart(5)} s`;

const phone = new WebRTCPeerConnection();
const server = new WebRTCPeerConnection();
phone.initialize({ wasmrtc: { engine, transport: phoneHost, clock, inputMode: "immediate" } });
server.initialize({ wasmrtc: { engine, transport: serverHost, clock, inputMode: "immediate" } });
// Signaling straight across (a game would use its signaling server here).
for (const [from, to] of [[phone, server], [server, phone]]) {
  from.session_description_created.connect((type, sdp) => {
    from.set_local_description(type, sdp);
    to.set_remote_description(type, sdp);
  });
  from.ice_candidate_created.connect((mid, index, name) => to.add_ice_candidate(mid, index, name));
}
const phoneChannel = phone.create_data_channel("game", { id: 1, negotiated: true });
const serverChannel = server.create_data_channel("game", { id: 1, negotiated: true });

// The game loop: poll every frame; when the connection drops, make a new offer.
const names = ["NEW", "CONNECTING", "CONNECTED", "DISCONNECTED", "FAILED", "CLOSED"];
let last = WebRTCPeerConnection.STATE_NEW;
const received = [];
function frame() {
  phone.poll();
  server.poll();
  const state = phone.get_connection_state();
  if (state !== last) {
    console.log(`${at()}  phone: STATE_${names[state]}`);
    if (state === WebRTCPeerConnection.STATE_DISCONNECTED) {
      const e = phone.create_offer();  // ICE restart: new credentials, the phone's new address
      console.log(`${at()}  phone: create_offer() -> ${e === Error.OK ? "OK" : e}, restarting ICE`);
    }
    last = state;
  }
  while (serverChannel.get_available_packet_count() > 0) {
    received.push(new TextDecoder().decode(serverChannel.get_packet()));
  }
  clock.setTimer(clock.now() + 16, frame);
}
phone.create_offer();
await new Promise((r) => setImmediate(r));  // sockets bind
frame();
clock.runUntil(() => phoneChannel.get_ready_state() === WebRTCDataChannel.STATE_OPEN, 5000);

let seq = 0;
const sendTick = () => {
  phoneChannel.put_packet(new TextEncoder().encode(`tick ${seq++}`));
};
for (let i = 0; i < 5; i++) {
  sendTick();
  clock.advance(100);
}
console.log(`${at()}  the phone leaves Wi-Fi: 192.0.2.10 -> 203.0.113.77, 10 s without any network (a tunnel)`);
net.moveHost(phoneHost, "203.0.113.77");
net.setLink("203.0.113.77", "198.51.100.1", { loss: 1 });
for (let i = 0; i < 100; i++) {
  sendTick();  // the game keeps sending; SCTP holds it until the path is back
  clock.advance(100);
}
console.log(`${at()}  mobile data is up`);
net.setLink("203.0.113.77", "198.51.100.1", { latencyMs: 60 });
clock.runUntil(() => phone.get_connection_state() === WebRTCPeerConnection.STATE_CONNECTED && received.length === seq, 30_000);
for (let i = 0; i < 5; i++) {
  sendTick();
  clock.advance(100);
}
clock.runUntil(() => received.length === seq, 5000);
const inOrder = received.every((m, i) => m === `tick ${i}`);
console.log(`${at()}  server got ${received.length} of ${seq} ticks, in order: ${inOrder}; ICE restarts: ${phone.get_ice_restart_count()}; channel ${phoneChannel.get_ready_state() === WebRTCDataChannel.STATE_OPEN ? "still open" : "closed"}`);
phone.close();
server.close();
if (!inOrder || received.length !== seq) process.exit(1);
