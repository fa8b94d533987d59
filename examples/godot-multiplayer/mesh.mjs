// Godot's webrtc_signaling demo in Node: our signaling server, and three players
// that join one lobby as the demo's multiplayer_client.gd does (SignalingClient +
// SignalingMultiplayer driving a WebRTCMultiplayerPeer), form a mesh, greet
// each other, and leave.
//
//   npm run build && node examples/godot-multiplayer/mesh.mjs
import {
  MultiplayerPeer, SignalingClient, SignalingMultiplayer, WebRTCMultiplayerPeer, createSignalingServer,
} from "../../dist/index.js";

const server = await createSignalingServer({ host: "127.0.0.1", port: 0 });
// On one machine no STUN server is needed; the engine gathers 127.0.0.1 only.
const peerConfig = { iceServers: [], wasmrtc: { bind: ["127.0.0.1"] } };

function player(name) {
  const mp = new WebRTCMultiplayerPeer();
  const client = new SignalingClient();
  const glue = new SignalingMultiplayer(client, mp, { peerConfig });
  mp.peer_connected.connect((id) => console.log(`${name} (id ${mp.get_unique_id()}): peer ${id} connected`));
  return { name, mp, client, glue };
}

const players = [player("alice"), player("bob"), player("carol")];
const [host, ...others] = players;
host.glue.start(server.url, "", true);  // an empty lobby name creates one; true: a mesh
const tick = () => players.forEach((p) => p.mp.poll());
const until = async (cond, ms) => {
  for (const end = Date.now() + ms; !cond() && Date.now() < end; ) {
    tick();
    await new Promise((r) => setTimeout(r, 5));
  }
  return cond();
};
if (!(await until(() => host.client.lobby !== "", 5000))) throw new Error("no lobby");
console.log(`lobby ${host.client.lobby} on ${server.url}`);
for (const p of others) p.glue.start(server.url, host.client.lobby, true);

const meshed = () => players.every((p) => Object.keys(p.mp.get_peers()).length === 2 && Object.values(p.mp.get_peers()).every((x) => x.connected));
if (!(await until(meshed, 15000))) throw new Error("the mesh did not form");
for (const p of players) {
  p.mp.set_target_peer(MultiplayerPeer.TARGET_PEER_BROADCAST);
  p.mp.put_var({ hello: `from ${p.name}` });
}
let heard = 0;
await until(() => {
  for (const p of players) {
    while (p.mp.get_available_packet_count() > 0) {
      const from = p.mp.get_packet_peer();
      console.log(`${p.name} got ${JSON.stringify(p.mp.get_var())} from peer ${from}`);
      heard++;
    }
  }
  return heard === 6;
}, 5000);
for (const p of players) {
  p.glue.stop();
  p.mp.close();
}
await server.close();
console.log(heard === 6 ? "every player heard every other one" : `only ${heard} of 6 greetings arrived`);
process.exitCode = heard === 6 ? 0 : 1;
