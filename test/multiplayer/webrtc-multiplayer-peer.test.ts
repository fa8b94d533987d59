// WebRTCMultiplayerPeer (Godot 4) on the engine, over the virtual network:
// Godot's checks in Godot's order, its channel layout, peer_connected only
// once every channel is open, targets, round-robin receive, packet peer /
// channel / mode, disconnect, close. Spec §4.
import { beforeAll, describe, expect, it } from "vitest";
import { Error, WebRTCDataChannel, WebRTCPeerConnection, set_log_sink } from "../../src/godot/index.js";
import { MultiplayerPeer, WebRTCMultiplayerPeer } from "../../src/godot/multiplayer_peer.js";
import { Net, loadEngine } from "./helpers.js";
import type { Engine } from "../../src/engine/engine.js";

let engine: Engine;
const logs: string[] = [];
beforeAll(async () => {
  engine = await loadEngine();
  set_log_sink((_l, m) => logs.push(m));
});

const RELIABLE = MultiplayerPeer.TRANSFER_MODE_RELIABLE;
const ORDERED = MultiplayerPeer.TRANSFER_MODE_UNRELIABLE_ORDERED;
const UNRELIABLE = MultiplayerPeer.TRANSFER_MODE_UNRELIABLE;
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe("WebRTCMultiplayerPeer: setup checks (Godot's order and errors)", () => {
  it("create_*: ids, client id 1, channels_config", () => {
    const mp = new WebRTCMultiplayerPeer();
    expect(mp.get_connection_status()).toBe(MultiplayerPeer.CONNECTION_DISCONNECTED);
    expect(mp.create_client(1)).toBe(Error.ERR_INVALID_PARAMETER);
    expect(mp.create_client(0)).toBe(Error.ERR_INVALID_PARAMETER);
    expect(mp.create_mesh(2147483648)).toBe(Error.ERR_INVALID_PARAMETER);
    expect(mp.create_mesh(5, [RELIABLE, "x"])).toBe(Error.ERR_INVALID_PARAMETER);
    expect(mp.create_mesh(5, [3])).toBe(Error.ERR_INVALID_PARAMETER);
    expect(mp.create_client(7, [RELIABLE, UNRELIABLE])).toBe(Error.OK);
    expect(mp.get_connection_status()).toBe(MultiplayerPeer.CONNECTION_CONNECTING);
    expect(mp.get_unique_id()).toBe(7);
    expect(mp.is_server_relay_supported()).toBe(true);
    expect(mp.create_server()).toBe(Error.OK);
    expect(mp.get_connection_status()).toBe(MultiplayerPeer.CONNECTION_CONNECTED);
    expect(mp.get_unique_id()).toBe(1);
    expect(mp.is_server()).toBe(true);
    expect(mp.create_mesh(3)).toBe(Error.OK);
    expect(mp.is_server_relay_supported()).toBe(false);
    mp.close();
    expect(mp.get_connection_status()).toBe(MultiplayerPeer.CONNECTION_DISCONNECTED);
    expect(mp.get_unique_id()).toBe(1);  // Godot prints an error and returns 1 when not active
    const id = mp.generate_unique_id();
    expect(id).toBeGreaterThan(1);
    expect(id).toBeLessThanOrEqual(2147483647);
  });

  it("add_peer: unconfigured, client/server id rules, range, lifetime, refusing, null, not NEW — in that order", () => {
    const net = new Net(engine);
    const mp = new WebRTCMultiplayerPeer();
    const pc = net.connection();
    expect(mp.add_peer(pc, 2)).toBe(Error.ERR_UNCONFIGURED);
    mp.create_client(5);
    expect(mp.add_peer(pc, 2)).toBe(Error.ERR_INVALID_PARAMETER);  // a client only adds the server
    mp.create_server();
    expect(mp.add_peer(pc, 1)).toBe(Error.ERR_INVALID_PARAMETER);  // the server cannot add id 1
    expect(mp.add_peer(pc, 0)).toBe(Error.ERR_INVALID_PARAMETER);
    expect(mp.add_peer(pc, 2, -1)).toBe(Error.ERR_INVALID_PARAMETER);
    mp.refuse_new_connections = true;
    expect(mp.add_peer(null, 2, -1)).toBe(Error.ERR_INVALID_PARAMETER);  // lifetime is checked before refusing
    expect(mp.add_peer(null, 2)).toBe(Error.ERR_UNAUTHORIZED);  // refusing is checked before the peer
    mp.refuse_new_connections = false;
    expect(mp.add_peer(null, 2)).toBe(Error.ERR_INVALID_PARAMETER);
    expect(mp.add_peer(pc, 2)).toBe(Error.OK);
    expect(mp.has_peer(2)).toBe(true);
    const info = mp.get_peer(2);
    const chans = info.channels as WebRTCDataChannel[];
    expect(chans.map((c) => [c.get_label(), c.get_id(), c.is_ordered(), c.get_max_packet_life_time(), c.is_negotiated()])).toEqual([
      ["reliable", 1, true, 65535, true], ["ordered", 2, true, 65535, true], ["unreliable", 3, false, 65535, true],
    ]);
    expect(info.connected).toBe(false);
    // Only a NEW connection: after create_offer the state is still NEW in Godot, so close it to leave NEW.
    const used = net.connection();
    used.close();
    expect(mp.add_peer(used, 3)).toBe(Error.ERR_INVALID_PARAMETER);
    expect(mp.get_peer(99)).toEqual({});
    mp.close();
    expect(mp.has_peer(2)).toBe(false);
  });
});

interface Side {
  mp: WebRTCMultiplayerPeer;
  events: string[];
}
const side = (mp: WebRTCMultiplayerPeer): Side => {
  const events: string[] = [];
  mp.peer_connected.connect((id) => events.push(`+${id}`));
  mp.peer_disconnected.connect((id) => events.push(`-${id}`));
  return { mp, events };
};

describe("WebRTCMultiplayerPeer: a server and two clients on the engine", () => {
  it("connects, routes by target, mode and channel, round-robins, disconnects", async () => {
    const net = new Net(engine);
    const config = [RELIABLE, UNRELIABLE];
    const server = side(new WebRTCMultiplayerPeer());
    expect(server.mp.create_server(config)).toBe(Error.OK);
    const clients = [2, 3].map((id) => {
      const c = side(new WebRTCMultiplayerPeer());
      expect(c.mp.create_client(id, config)).toBe(Error.OK);
      const onServer = net.connection();
      const onClient = net.connection();
      expect(server.mp.add_peer(onServer, id)).toBe(Error.OK);
      expect(c.mp.add_peer(onClient, 1)).toBe(Error.OK);
      net.wire(onServer, onClient);
      onClient.create_offer();  // the higher id offers, as in Godot's demo
      return { id, ...c };
    });
    const pollAll = () => [server, ...clients].forEach((s) => s.mp.poll());
    expect(await net.run(pollAll, () => server.events.length === 2 && clients.every((c) => c.events.length === 1))).toBe(true);
    expect(server.events.sort()).toEqual(["+2", "+3"]);
    for (const c of clients) {
      expect(c.events).toEqual(["+1"]);
      expect(c.mp.get_connection_status()).toBe(MultiplayerPeer.CONNECTION_CONNECTED);
      // Every channel of the connection is open by the time peer_connected fires.
      const chans = c.mp.get_peer(1).channels as WebRTCDataChannel[];
      expect(chans.map((ch) => ch.get_label())).toEqual(["reliable", "ordered", "unreliable", "4", "5"]);
      expect(chans.every((ch) => ch.get_ready_state() === WebRTCDataChannel.STATE_OPEN)).toBe(true);
    }
    expect(server.mp.get_available_packet_count()).toBe(0);

    // Each client sends to the server in every mode and on both extra channels.
    const sends: Array<[number, number, string]> = [[RELIABLE, 0, "rel"], [ORDERED, 0, "ord"], [UNRELIABLE, 0, "unrel"], [RELIABLE, 1, "x1"], [RELIABLE, 2, "x2"]];
    for (const c of clients) {
      c.mp.set_target_peer(1);
      for (const [mode, ch, tag] of sends) {
        c.mp.transfer_mode = mode as 0 | 1 | 2;
        c.mp.transfer_channel = ch;
        expect(c.mp.put_packet(enc(`${tag}@${c.id}`))).toBe(Error.OK);
      }
      c.mp.transfer_channel = 3;  // no such extra channel
      expect(c.mp.put_packet(enc("nope"))).toBe(Error.ERR_INVALID_PARAMETER);
      c.mp.transfer_channel = 0;
      c.mp.set_target_peer(42);
      expect(c.mp.put_packet(enc("nope"))).toBe(Error.ERR_INVALID_PARAMETER);
    }
    const got: Array<{ peer: number; channel: number; mode: number; text: string }> = [];
    expect(await net.run(pollAll, () => {
      while (server.mp.get_available_packet_count() > 0) {
        const peer = server.mp.get_packet_peer();
        const channel = server.mp.get_packet_channel();
        const mode = server.mp.get_packet_mode();
        got.push({ peer, channel, mode, text: dec(server.mp.get_packet()) });
      }
      return got.length === 10;
    })).toBe(true);
    for (const c of clients) {
      const mine = got.filter((g) => g.peer === c.id);
      expect(mine.map((g) => g.text).sort()).toEqual(sends.map(([, , t]) => `${t}@${c.id}`).sort());
      for (const g of mine) {
        const [mode, ch] = sends.find(([, , t]) => g.text.startsWith(`${t}@`))!;
        expect([g.channel, g.mode]).toEqual([ch, ch === 2 ? UNRELIABLE : mode]);
      }
    }
    // Round robin: the two clients' packets alternate while both have some.
    expect(got.slice(0, 4).map((g) => g.peer)).toEqual([got[0]!.peer, got[1]!.peer, got[0]!.peer, got[1]!.peer]);
    expect(got[0]!.peer).not.toBe(got[1]!.peer);

    // Broadcast from the server, then "all but 2".
    server.mp.set_target_peer(MultiplayerPeer.TARGET_PEER_BROADCAST);
    expect(server.mp.put_packet(enc("all"))).toBe(Error.OK);
    server.mp.set_target_peer(-2);
    expect(server.mp.put_packet(enc("not-2"))).toBe(Error.OK);
    const inbox: Record<number, string[]> = { 2: [], 3: [] };
    expect(await net.run(pollAll, () => {
      for (const c of clients) while (c.mp.get_available_packet_count() > 0) inbox[c.id]!.push(dec(c.mp.get_packet()));
      return inbox[2]!.length === 1 && inbox[3]!.length === 2;
    })).toBe(true);
    expect(inbox).toEqual({ 2: ["all"], 3: ["all", "not-2"] });
    expect(clients[0]!.mp.get_packet().length).toBe(0);
    expect(clients[0]!.mp.get_packet_error()).toBe(Error.ERR_UNAVAILABLE);

    // A graceful disconnect on the server: removed, with the signal, on a later poll(); the client sees its server go.
    server.mp.disconnect_peer(2);
    expect(server.mp.has_peer(2)).toBe(true);
    expect(await net.run(pollAll, () => !server.mp.has_peer(2) && clients[0]!.events.includes("-1"), 15000)).toBe(true);
    expect(server.events).toContain("-2");
    expect(clients[0]!.mp.get_connection_status()).toBe(MultiplayerPeer.CONNECTION_DISCONNECTED);
    // force: erased at once, no signal.
    const before = server.events.length;
    server.mp.disconnect_peer(3, true);
    expect(server.mp.has_peer(3)).toBe(false);
    expect(server.events.length).toBe(before);
    server.mp.close();
    clients.forEach((c) => c.mp.close());
  }, 30000);
});

describe("WebRTCMultiplayerPeer: a mesh of three", () => {
  it("every pair connects and broadcasts reach everyone", async () => {
    const net = new Net(engine);
    const ids = [4, 9, 17];
    const nodes = ids.map((id) => {
      const s = side(new WebRTCMultiplayerPeer());
      expect(s.mp.create_mesh(id)).toBe(Error.OK);
      return { id, ...s };
    });
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        const a = net.connection();
        const b = net.connection();
        nodes[i]!.mp.add_peer(a, ids[j]!);
        nodes[j]!.mp.add_peer(b, ids[i]!);
        net.wire(a, b);
        b.create_offer();
      }
    }
    const pollAll = () => nodes.forEach((n) => n.mp.poll());
    expect(await net.run(pollAll, () => nodes.every((n) => n.events.length === 2))).toBe(true);
    for (const n of nodes) {
      expect(n.events.sort()).toEqual(ids.filter((x) => x !== n.id).map((x) => `+${x}`).sort());
      n.mp.put_packet(enc(`hi from ${n.id}`));
    }
    const inbox = new Map(ids.map((id) => [id, [] as string[]]));
    expect(await net.run(pollAll, () => {
      for (const n of nodes) {
        while (n.mp.get_available_packet_count() > 0) {
          const from = n.mp.get_packet_peer();
          inbox.get(n.id)!.push(`${from}:${dec(n.mp.get_packet())}`);
        }
      }
      return [...inbox.values()].every((v) => v.length === 2);
    })).toBe(true);
    for (const n of nodes) {
      expect(inbox.get(n.id)!.sort()).toEqual(ids.filter((x) => x !== n.id).map((x) => `${x}:hi from ${x}`).sort());
    }
    nodes.forEach((n) => n.mp.close());
  }, 30000);
});

void WebRTCPeerConnection;
