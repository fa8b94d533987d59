// SceneMultiplayer at the packet level over WebRTCMultiplayerPeer on the
// engine: framing byte for byte (RAW, SYS ADD_PEER / DEL_PEER / RELAY), the
// server announcing peers to each other, client-to-client packets relayed by
// the server with Godot's target rules, and the server leaving. Spec §4.7.
import { beforeAll, describe, expect, it } from "vitest";
import { Error, set_log_sink } from "../../src/godot/index.js";
import { MultiplayerPeer, WebRTCMultiplayerPeer } from "../../src/godot/multiplayer_peer.js";
import { SceneMultiplayerRaw, SysCommand, decodeScenePacket, encodeAuth, encodeRaw, encodeSys } from "../../src/godot/scene_multiplayer.js";
import type { Engine } from "../../src/engine/engine.js";
import { Net, loadEngine } from "./helpers.js";

let engine: Engine;
beforeAll(async () => {
  engine = await loadEngine();
  set_log_sink(() => undefined);
});

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("SceneMultiplayer framing", () => {
  it("RAW, SYS and AUTH packets are Godot's bytes", () => {
    expect(hex(encodeRaw(new Uint8Array([0xaa, 0xbb])))).toBe("03aabb");
    expect(hex(encodeSys(SysCommand.ADD_PEER, 5))).toBe("070105000000");
    expect(hex(encodeSys(SysCommand.DEL_PEER, 0x01020304))).toBe("070204030201");
    expect(hex(encodeSys(SysCommand.RELAY, -3, encodeRaw(new Uint8Array([9]))))).toBe("0703fdffffff0309");
    expect(hex(encodeAuth())).toBe("0700");
    expect(decodeScenePacket(new Uint8Array([3]))).toBeNull();  // RAW needs at least one byte
    expect(decodeScenePacket(new Uint8Array([7, 1, 0]))).toBeNull();
    expect(decodeScenePacket(Uint8Array.from([7, 3, 0xfd, 0xff, 0xff, 0xff, 3, 9]))).toMatchObject({ kind: "sys", sys: 3, peer: -3 });
    expect(decodeScenePacket(Uint8Array.from([7, 0]))).toMatchObject({ kind: "auth", done: true });
    expect(decodeScenePacket(Uint8Array.from([0x40, 1, 2]))).toEqual({ kind: "other", command: 0 });  // an RPC, flags in the high bits
  });
});

interface Node {
  id: number;
  sm: SceneMultiplayerRaw;
  mp: WebRTCMultiplayerPeer;
  events: string[];
  packets: string[];
}

function node(mp: WebRTCMultiplayerPeer, id: number): Node {
  const sm = new SceneMultiplayerRaw(mp);
  const n: Node = { id, sm, mp, events: [], packets: [] };
  sm.peer_connected.connect((p) => n.events.push(`+${p}`));
  sm.peer_disconnected.connect((p) => n.events.push(`-${p}`));
  sm.connected_to_server.connect(() => n.events.push("connected_to_server"));
  sm.server_disconnected.connect(() => n.events.push("server_disconnected"));
  sm.peer_packet.connect((from, data) => n.packets.push(`${from}:${new TextDecoder().decode(data)}`));
  return n;
}

describe("SceneMultiplayer server relay", () => {
  it("announces peers, relays client-to-client packets by Godot's target rules, and ends with the server", async () => {
    const net = new Net(engine);
    const serverMp = new WebRTCMultiplayerPeer();
    serverMp.create_server();
    const server = node(serverMp, 1);
    const clients: Node[] = [];
    // A bare WebRTCMultiplayerPeer client (no SceneMultiplayer) sees the server's SYS packets as bytes.
    const bare = new WebRTCMultiplayerPeer();
    bare.create_client(9);
    const join = (mp: WebRTCMultiplayerPeer, id: number) => {
      const s = net.connection();
      const c = net.connection();
      serverMp.add_peer(s, id);
      mp.add_peer(c, 1);
      net.wire(s, c);
      c.create_offer();
    };
    const pollAll = () => {
      server.sm.poll();
      clients.forEach((c) => c.sm.poll());
      bare.poll();
    };
    for (const id of [2, 3, 4]) {
      const mp = new WebRTCMultiplayerPeer();
      mp.create_client(id);
      clients.push(node(mp, id));
      join(mp, id);
      expect(await net.run(pollAll, () => server.events.includes(`+${id}`))).toBe(true);
    }
    expect(await net.run(pollAll, () => clients.every((c) => c.events.length >= 4))).toBe(true);
    expect(server.events).toEqual(["+2", "+3", "+4"]);
    // Each client: connected to the server, then the others as the server announced them.
    expect(clients[0]!.events).toEqual(["connected_to_server", "+1", "+3", "+4"]);
    expect(clients[1]!.events).toEqual(["connected_to_server", "+1", "+2", "+4"]);
    expect(clients[2]!.events.slice(0, 2)).toEqual(["connected_to_server", "+1"]);
    expect(clients[2]!.events.slice(2).sort()).toEqual(["+2", "+3"]);
    expect(clients[2]!.sm.get_peers()).toEqual([1, 2, 3]);

    // The bare client joins last: the server sends it ADD_PEER for 2, 3 and 4 — Godot's bytes.
    join(bare, 9);
    const raw: string[] = [];
    expect(await net.run(pollAll, () => {
      while (bare.get_available_packet_count() > 0) raw.push(hex(bare.get_packet()));
      return raw.length === 3;
    })).toBe(true);
    expect(raw.sort()).toEqual(["070102000000", "070103000000", "070104000000"]);
    expect(await net.run(pollAll, () => clients.every((c) => c.events.includes("+9")))).toBe(true);

    const [c2, c3, c4] = clients as [Node, Node, Node];
    const send = (c: Node, target: number, text: string) => expect(c.sm.send_bytes(new TextEncoder().encode(text), target)).toBe(Error.OK);
    send(c2, 3, "to three");  // relayed by the server, not seen by it
    send(c2, 0, "to all");  // everyone, the server too
    send(c2, -3, "all but three");
    send(c2, -1, "all but the server");
    send(c2, 1, "to the server");
    send(server, 4, "from the server");
    const settled = () => c3.packets.length === 3 && c4.packets.length === 4 && server.packets.length === 3;
    expect(await net.run(pollAll, settled)).toBe(true);
    expect(c3.packets).toEqual(["2:to three", "2:to all", "2:all but the server"]);
    expect(c4.packets.sort()).toEqual(["1:from the server", "2:all but the server", "2:all but three", "2:to all"].sort());
    expect(server.packets).toEqual(["2:to all", "2:all but three", "2:to the server"]);
    expect(c2.packets).toEqual([]);
    // The bare client got the broadcasts wrapped as RELAY from 2.
    const relays: string[] = [];
    await net.run(pollAll, () => {
      while (bare.get_available_packet_count() > 0) relays.push(hex(bare.get_packet()));
      return relays.length === 3;
    });
    expect(relays).toEqual([
      `070302000000${hex(encodeRaw(new TextEncoder().encode("to all")))}`,
      `070302000000${hex(encodeRaw(new TextEncoder().encode("all but three")))}`,
      `070302000000${hex(encodeRaw(new TextEncoder().encode("all but the server")))}`,
    ]);
    expect(c2.sm.send_bytes(new Uint8Array(0), 3)).toBe(Error.ERR_INVALID_DATA);

    // A client leaves: the server tells the others (DEL_PEER).
    c4.mp.close();
    expect(await net.run(pollAll, () => c2.events.includes("-4") && c3.events.includes("-4"), 15000)).toBe(true);
    expect(server.events).toContain("-4");
    // The server leaves: each client loses it and everyone it announced.
    server.mp.close();
    expect(await net.run(pollAll, () => c2.events.includes("server_disconnected") && c3.events.includes("server_disconnected"), 20000)).toBe(true);
    expect(c2.events.slice(-4)).toEqual(["-1", "-3", "-9", "server_disconnected"]);
    expect(c2.mp.get_connection_status()).toBe(MultiplayerPeer.CONNECTION_DISCONNECTED);
    expect(c2.sm.get_peers()).toEqual([]);
    clients.forEach((c) => c.mp.close());
    bare.close();
  }, 60000);
});
