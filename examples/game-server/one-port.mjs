// A game server that hosts every player on one UDP port, its socket served by
// a thread of its own (NodeUdpThreadTransport): the main thread runs the game
// and the connections, the socket thread reads and writes the datagrams, so a
// flood at the port costs the main thread little and the kernel does not drop
// players' datagrams behind it. 20 players on 127.0.0.1 send 60 ticks a
// second for two seconds; the server answers each tick.
//
//   npm run build && node examples/game-server/one-port.mjs
import {
  Error, NodeUdpThreadTransport, WebRTCDataChannel, WebRTCPeerConnection, createNodeEndpoint,
} from "../../dist/index.js";

const PLAYERS = 20;
const endpoint = await createNodeEndpoint({
  bind: [{ ip: "127.0.0.1", port: 0 }],  // a real server: { ip: "0.0.0.0", port: 40000 }
  transport: new NodeUdpThreadTransport(),
});
console.log(`server: UDP ${endpoint.sockets[0].local.ip}:${endpoint.sockets[0].local.port}, socket on its own thread`);

const players = [];
for (let i = 0; i < PLAYERS; i++) {
  const server = new WebRTCPeerConnection();
  const client = new WebRTCPeerConnection();
  server.initialize({ wasmrtc: { endpoint } });             // every player on the one port
  client.initialize({ wasmrtc: { bind: ["127.0.0.1"] } });  // each player has its own socket
  // Signaling straight across (a game would use its signaling server here).
  for (const [from, to] of [[client, server], [server, client]]) {
    from.session_description_created.connect((type, sdp) => {
      from.set_local_description(type, sdp);
      to.set_remote_description(type, sdp);
    });
    from.ice_candidate_created.connect((mid, index, name) => to.add_ice_candidate(mid, index, name));
  }
  const clientChannel = client.create_data_channel("game", { id: 1, negotiated: true });
  const serverChannel = server.create_data_channel("game", { id: 1, negotiated: true });
  client.create_offer();
  players.push({ server, client, clientChannel, serverChannel, ticks: 0, answers: 0 });
}

const frame = () => players.forEach((p) => { p.server.poll(); p.client.poll(); });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
for (let i = 0; i < 1000 && !players.every((p) => p.clientChannel.get_ready_state() === WebRTCDataChannel.STATE_OPEN &&
  p.serverChannel.get_ready_state() === WebRTCDataChannel.STATE_OPEN); i++) {
  frame();
  await sleep(5);
}
console.log(`server: ${endpoint.peerCount()} players connected`);

// The game loop at 60 Hz: each player sends a tick, the server answers it.
const start = Date.now();
for (let tick = 0; Date.now() - start < 2000; tick++) {
  for (const p of players) {
    if (p.clientChannel.put_packet(new TextEncoder().encode(`tick ${tick}`)) === Error.OK) p.ticks++;
  }
  frame();
  for (const p of players) {
    while (p.serverChannel.get_available_packet_count() > 0) {
      const t = new TextDecoder().decode(p.serverChannel.get_packet());
      p.serverChannel.put_packet(new TextEncoder().encode(`ack ${t}`));
    }
    while (p.clientChannel.get_available_packet_count() > 0) {
      p.clientChannel.get_packet();
      p.answers++;
    }
  }
  await sleep(1000 / 60);
}
// The last answers.
for (let i = 0; i < 100 && players.some((p) => p.answers < p.ticks); i++) {
  frame();
  for (const p of players) {
    while (p.serverChannel.get_available_packet_count() > 0) p.serverChannel.put_packet(new TextEncoder().encode(`ack ${new TextDecoder().decode(p.serverChannel.get_packet())}`));
    while (p.clientChannel.get_available_packet_count() > 0) { p.clientChannel.get_packet(); p.answers++; }
  }
  await sleep(10);
}
const ticks = players.reduce((a, p) => a + p.ticks, 0);
const answers = players.reduce((a, p) => a + p.answers, 0);
const c = endpoint.sockets[0].counters();
console.log(`server: ${ticks} ticks sent, ${answers} answered; the socket thread received ${c.received} datagrams, ` +
  `ring drops ${c.receiveRingDrops} in / ${c.sendRingDrops} out`);
players.forEach((p) => { p.client.close(); p.server.close(); });
endpoint.close();
