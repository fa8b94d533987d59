// Godot 3's WebRTCMultiplayer: initialize(id, server_compatibility), its
// add_peer checks, and server compatibility: nothing is announced until peer
// 1 connects; then peer_connected(1), connection_succeeded and the peers that
// were already connected; losing 1 gives server_disconnected. Spec §4.8.
import { beforeAll, describe, expect, it } from "vitest";
import { Error, set_log_sink } from "../../src/godot/index.js";
import { WebRTCMultiplayer } from "../../src/godot/multiplayer_godot3.js";
import { MultiplayerPeer } from "../../src/godot/multiplayer_peer.js";
import type { Engine } from "../../src/engine/engine.js";
import { Net, loadEngine } from "./helpers.js";

let engine: Engine;
beforeAll(async () => {
  engine = await loadEngine();
  set_log_sink(() => undefined);
});

describe("WebRTCMultiplayer (Godot 3)", () => {
  it("initialize and add_peer checks", () => {
    const net = new Net(engine);
    const mp = new WebRTCMultiplayer();
    expect(mp.initialize(-1)).toBe(Error.ERR_INVALID_PARAMETER);
    expect(mp.initialize(0)).toBe(Error.OK);  // Godot 3 accepts 0
    expect(mp.get_connection_status()).toBe(MultiplayerPeer.CONNECTION_CONNECTED);
    expect(mp.initialize(5, true)).toBe(Error.OK);
    expect(mp.get_connection_status()).toBe(MultiplayerPeer.CONNECTION_CONNECTING);
    expect(mp.initialize(1, true)).toBe(Error.OK);
    expect(mp.get_connection_status()).toBe(MultiplayerPeer.CONNECTION_CONNECTED);
    expect(mp.add_peer(net.connection(), -3)).toBe(Error.ERR_INVALID_PARAMETER);
    expect(mp.add_peer(net.connection(), 3, -1)).toBe(Error.ERR_INVALID_PARAMETER);
    mp.refuse_new_connections = true;
    expect(mp.add_peer(net.connection(), 3)).toBe(Error.ERR_UNAUTHORIZED);
    mp.refuse_new_connections = false;
    expect(mp.add_peer(null, 3)).toBe(Error.ERR_INVALID_PARAMETER);
    expect(mp.add_peer(net.connection(), 1)).toBe(Error.OK);  // no mode rules in Godot 3
    expect(mp.is_server_relay_supported()).toBe(false);
    mp.close();
  });

  it("server compatibility: announcements wait for the server, then replay; losing it is server_disconnected", async () => {
    const net = new Net(engine);
    const me = new WebRTCMultiplayer();
    expect(me.initialize(5, true)).toBe(Error.OK);
    const events: string[] = [];
    me.connect("peer_connected", (id: number) => events.push(`+${id}`));
    me.connect("peer_disconnected", (id: number) => events.push(`-${id}`));
    me.connect("connection_succeeded", () => events.push("succeeded"));
    me.connect("server_disconnected", () => events.push("server gone"));
    const others = [1, 7].map((id) => {
      const o = new WebRTCMultiplayer();
      o.initialize(id, true);
      const mine = net.connection();
      const theirs = net.connection();
      expect(me.add_peer(mine, id)).toBe(Error.OK);
      expect(o.add_peer(theirs, 5)).toBe(Error.OK);
      return { id, o, mine, theirs };
    });
    const pollAll = () => [me, ...others.map((x) => x.o)].forEach((m) => m.poll());
    // Peer 7 connects first: it must not be announced while the server is missing.
    net.wire(others[1]!.mine, others[1]!.theirs);
    others[1]!.mine.create_offer();
    expect(await net.run(pollAll, () => (me.get_peer(7).connected as boolean) === true)).toBe(true);
    expect(events).toEqual([]);
    expect(me.get_connection_status()).toBe(MultiplayerPeer.CONNECTION_CONNECTING);
    net.wire(others[0]!.mine, others[0]!.theirs);
    others[0]!.mine.create_offer();
    expect(await net.run(pollAll, () => events.length >= 3)).toBe(true);
    expect(events).toEqual(["+1", "succeeded", "+7"]);
    expect(me.get_connection_status()).toBe(MultiplayerPeer.CONNECTION_CONNECTED);
    // Receiving in id order (Godot 3's Map): 7 and 1 both send; 1 is read first.
    others[1]!.o.set_target_peer(5);
    others[1]!.o.put_packet(new Uint8Array([7]));
    others[0]!.o.set_target_peer(5);
    others[0]!.o.put_packet(new Uint8Array([1]));
    const from: number[] = [];
    expect(await net.run(pollAll, () => {
      while (me.get_available_packet_count() > 0) {
        from.push(me.get_packet_peer());
        me.get_packet();
      }
      return from.length === 2;
    })).toBe(true);
    expect(from).toEqual([1, 7]);
    others[0]!.o.close();  // the server goes away
    expect(await net.run(pollAll, () => events.includes("server gone"), 15000)).toBe(true);
    expect(events.slice(3)).toEqual(["-1", "server gone"]);
    expect(me.get_connection_status()).toBe(MultiplayerPeer.CONNECTION_DISCONNECTED);
    me.close();
    others[1]!.o.close();
  }, 30000);
});
