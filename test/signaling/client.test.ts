// SignalingClient (ws_webrtc_client.gd's signals and methods) against the
// server; then engine connections (Godot API, UDP on 127.0.0.1) signaling
// through it: two peers wired by hand as the demo's client does, opening a
// data channel; and SignalingMultiplayer driving WebRTCMultiplayerPeer as
// multiplayer_client.gd does, client/server and mesh.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../src/index.js";  // the Node entry: the engine runtime and `ws` for Node 20
import { Error, WebRTCDataChannel, WebRTCPeerConnection, set_log_sink } from "../../src/godot/index.js";
import { MultiplayerPeer, WebRTCMultiplayerPeer } from "../../src/godot/multiplayer_peer.js";
import { SignalingClient, SignalingMultiplayer, createSignalingServer, type SignalingServer } from "../../src/signaling/index.js";
import { RawPeer, sleep } from "./helpers.js";

let server: SignalingServer;
const logs: string[] = [];
beforeAll(async () => {
  server = await createSignalingServer({ host: "127.0.0.1", port: 0, sealCloseTimeoutMs: 300 });
  set_log_sink((_l, m) => logs.push(m));
});
afterAll(async () => {
  set_log_sink(null);
  await server?.close();
});

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
async function until(cond: () => boolean, ms = 5000, tick?: () => void): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) {
    tick?.();
    await sleep(3);
  }
  return cond();
}

/** A client with every signal recorded as text. */
function recorded(lobby = "", mesh = true) {
  const c = new SignalingClient();
  c.lobby = lobby;
  c.mesh = mesh;
  const ev: string[] = [];
  c.connected.connect((id, m) => ev.push(`connected ${id} ${m}`));
  c.lobby_joined.connect((l) => ev.push(`joined ${l}`));
  c.peer_connected.connect((id) => ev.push(`+${id}`));
  c.peer_disconnected.connect((id) => ev.push(`-${id}`));
  c.offer_received.connect((id, o) => ev.push(`offer ${id} ${o}`));
  c.answer_received.connect((id, a) => ev.push(`answer ${id} ${a}`));
  c.candidate_received.connect((id, mid, index, sdp) => ev.push(`candidate ${id} ${mid} ${index} ${sdp}`));
  c.lobby_sealed.connect(() => ev.push("sealed"));
  c.disconnected.connect(() => ev.push(`disconnected ${c.code} ${c.reason}`));
  return { c, ev };
}

describe("SignalingClient", () => {
  it("mirrors ws_webrtc_client.gd: autojoin, connected(id, use_mesh), lobby_joined, peer signals, relays, seal, disconnected", async () => {
    const h = recorded();
    expect(h.c.send_offer(2, "x")).toBe(Error.FAILED);  // not connected
    expect(h.c.connect_to_url(server.url)).toBe(Error.OK);
    expect(await until(() => h.ev.length >= 2)).toBe(true);
    expect(h.ev[0]).toBe("connected 1 true");
    const lobby = h.ev[1]!.replace("joined ", "");
    expect(lobby).toMatch(/^[A-Za-z0-9]{16}$/);

    const m = recorded(lobby);
    m.c.connect_to_url(server.url);
    expect(await until(() => m.ev.some((e) => e.startsWith("joined")))).toBe(true);
    const id = Number(/^connected (\d+) true$/.exec(m.ev[0]!)![1]);
    expect(m.ev).toEqual([`connected ${id} true`, "+1", `joined ${lobby}`]);
    expect(await until(() => h.ev.includes(`+${id}`))).toBe(true);

    expect(m.c.send_offer(1, "v=0 offer")).toBe(Error.OK);
    expect(h.c.send_answer(id, "v=0 answer")).toBe(Error.OK);
    expect(h.c.send_candidate(id, "0", 0, "candidate:1 1 udp 2130706431 127.0.0.1 4000 typ host")).toBe(Error.OK);
    expect(await until(() => m.ev.length >= 5 && h.ev.length >= 4)).toBe(true);
    expect(h.ev[3]).toBe(`offer ${id} v=0 offer`);
    expect(m.ev.slice(3)).toEqual(["answer 1 v=0 answer", "candidate 1 0 0 candidate:1 1 udp 2130706431 127.0.0.1 4000 typ host"]);

    // Godot 3-style connect by name works too.
    let byName = 0;
    expect(m.c.connect("lobby_sealed", () => byName++)).toBe(Error.OK);
    expect(h.c.seal_lobby()).toBe(Error.OK);
    expect(await until(() => m.ev.includes("sealed") && h.ev.includes("sealed"))).toBe(true);
    expect(byName).toBe(1);
    expect(await until(() => m.ev.some((e) => e.startsWith("disconnected")) && h.ev.some((e) => e.startsWith("disconnected")))).toBe(true);
    expect(m.ev.at(-1)).toBe("disconnected 1000 Seal complete");
    expect([m.c.code, m.c.reason]).toEqual([1000, "Seal complete"]);
    expect(m.c.send_offer(1, "late")).toBe(Error.FAILED);
  });

  it("mesh = false makes a client/server lobby; autojoin = false waits for join_lobby(); close() ends with disconnected", async () => {
    const h = recorded("", false);
    h.c.connect_to_url(server.url);
    expect(await until(() => h.ev.length >= 2)).toBe(true);
    expect(h.ev[0]).toBe("connected 1 false");
    const lobby = h.ev[1]!.slice(7);
    const m = recorded();
    m.c.autojoin = false;
    m.c.connect_to_url(server.url);
    expect(await until(() => m.c.get_ready_state() === 1)).toBe(true);
    await sleep(50);
    expect(m.ev).toEqual([]);
    expect(m.c.join_lobby(lobby)).toBe(Error.OK);
    expect(await until(() => m.ev.length >= 3)).toBe(true);
    expect(m.ev[0]).toMatch(/^connected \d+ false$/);
    // The host leaving: the member is closed with the demo's 4000.
    h.c.close();
    expect(await until(() => m.ev.some((e) => e.startsWith("disconnected")))).toBe(true);
    expect(m.ev.at(-1)).toBe("disconnected 4000 Room host has disconnected");
    expect(h.ev.at(-1)).toMatch(/^disconnected 1000/);
  });

  it("ignores what it cannot parse (as the demo: 'Error parsing message from server.'), including a candidate with an empty mid", async () => {
    // A raw host relays malformed candidates to a SignalingClient member.
    const host = await RawPeer.connect(server.url);
    const { lobby } = await host.join("");
    const m = recorded(lobby);
    m.c.connect_to_url(server.url);
    expect(await until(() => m.ev.some((e) => e.startsWith("joined")))).toBe(true);
    const id = (await host.take(2)).id;
    const before = logs.length;
    host.send(6, id, "\n\n0\ncandidate:x");  // empty mid: two parts
    host.send(6, id, "\n0\nnot-a-number\ncandidate:x");
    host.send(6, id, "\ndata\n3\ncandidate:ok");
    expect(await until(() => m.ev.some((e) => e.startsWith("candidate")))).toBe(true);
    expect(m.ev.filter((e) => e.startsWith("candidate"))).toEqual([`candidate 1 data 3 candidate:ok`]);
    expect(logs.slice(before).filter((l) => l === "Error parsing message from server.")).toHaveLength(2);
    m.c.close();
    host.close();
  });
});

describe("engine connections signaling through the server (UDP on 127.0.0.1)", () => {
  const cfg = { wasmrtc: { bind: ["127.0.0.1"] } };

  it("two peers wired as the demo's client (the higher id offers) open a negotiated data channel and talk", async () => {
    const h = new SignalingClient();
    const m = new SignalingClient();
    const pcs = new Map<SignalingClient, WebRTCPeerConnection>();
    const channels = new Map<SignalingClient, WebRTCDataChannel>();
    const ids = new Map<SignalingClient, number>();
    const offered: string[] = [];
    for (const c of [h, m]) {
      c.connected.connect((id) => ids.set(c, id));
      c.peer_connected.connect((other) => {
        const pc = new WebRTCPeerConnection();
        expect(pc.initialize(cfg)).toBe(Error.OK);
        pc.session_description_created.connect((type, sdp) => {
          pc.set_local_description(type, sdp);
          if (type === "offer") c.send_offer(other, sdp);
          else c.send_answer(other, sdp);
        });
        pc.ice_candidate_created.connect((mid, index, name) => c.send_candidate(other, mid, index, name));
        channels.set(c, pc.create_data_channel("chat", { negotiated: true, id: 1 })!);
        pcs.set(c, pc);
        if (other < ids.get(c)!) {
          offered.push(`${ids.get(c)}→${other}`);
          pc.create_offer();
        }
      });
      c.offer_received.connect((_id, sdp) => pcs.get(c)!.set_remote_description("offer", sdp));
      c.answer_received.connect((_id, sdp) => pcs.get(c)!.set_remote_description("answer", sdp));
      c.candidate_received.connect((_id, mid, index, sdp) => pcs.get(c)!.add_ice_candidate(mid, index, sdp));
    }
    let lobby = "";
    h.lobby_joined.connect((l) => (lobby = l));
    h.connect_to_url(server.url);
    expect(await until(() => lobby !== "")).toBe(true);
    m.lobby = lobby;
    m.connect_to_url(server.url);
    const poll = () => pcs.forEach((pc) => pc.poll());
    const open = () => [...channels.values()].length === 2 && [...channels.values()].every((ch) => ch.get_ready_state() === WebRTCDataChannel.STATE_OPEN);
    try {
      expect(await until(open, 10000, poll)).toBe(true);
      expect(offered).toEqual([`${ids.get(m)}→1`]);  // the member offers, the host (1) never does
      expect(channels.get(m)!.put_packet(enc("hello host"))).toBe(Error.OK);
      expect(await until(() => channels.get(h)!.get_available_packet_count() > 0, 5000, poll)).toBe(true);
      expect(dec(channels.get(h)!.get_packet())).toBe("hello host");
      expect(channels.get(h)!.put_packet(enc("hello member"))).toBe(Error.OK);
      expect(await until(() => channels.get(m)!.get_available_packet_count() > 0, 5000, poll)).toBe(true);
      expect(dec(channels.get(m)!.get_packet())).toBe("hello member");
    } finally {
      pcs.forEach((pc) => pc.close());
      h.close();
      m.close();
    }
  }, 20000);

  /** A multiplayer_client.gd: SignalingMultiplayer over a WebRTCMultiplayerPeer, its events recorded. */
  function node() {
    const mp = new WebRTCMultiplayerPeer();
    const client = new SignalingClient();
    const offers = { made: 0 };
    const glue = new SignalingMultiplayer(client, mp, {
      peerConfig: cfg,
      createPeer: () => {
        const pc = new WebRTCPeerConnection();
        const createOffer = pc.create_offer.bind(pc);
        pc.create_offer = () => (offers.made++, createOffer());
        return pc;
      },
    });
    const events: string[] = [];
    mp.peer_connected.connect((id) => events.push(`+${id}`));
    mp.peer_disconnected.connect((id) => events.push(`-${id}`));
    let lobby = "";
    client.lobby_joined.connect((l) => (lobby = l));
    return { mp, client, glue, events, offers, lobby: () => lobby, id: () => mp.get_unique_id() };
  }
  type Node = ReturnType<typeof node>;
  const pollAll = (nodes: Node[]) => () => nodes.forEach((n) => n.mp.poll());

  it("SignalingMultiplayer, client/server: the host is create_server(), members create_client(id); RPC-style packets flow both ways", async () => {
    const host = node();
    host.glue.start(server.url, "", false);
    expect(await until(() => host.lobby() !== "")).toBe(true);
    expect(host.mp.is_server()).toBe(true);
    const members = [node(), node()];
    for (const n of members) n.glue.start(server.url, host.lobby(), false);
    const all = [host, ...members];
    const poll = pollAll(all);
    try {
      expect(await until(() => host.events.length === 2 && members.every((n) => n.events.length === 1), 15000, poll)).toBe(true);
      expect(host.offers.made).toBe(0);
      for (const n of members) {
        expect(n.offers.made).toBe(1);
        expect(n.events).toEqual(["+1"]);
        expect(n.mp.get_connection_status()).toBe(MultiplayerPeer.CONNECTION_CONNECTED);
        expect(n.mp.is_server()).toBe(false);
      }
      expect(host.events.sort()).toEqual(members.map((n) => `+${n.id()}`).sort());
      // Each member to the server, the server to everyone.
      for (const n of members) {
        n.mp.set_target_peer(MultiplayerPeer.TARGET_PEER_SERVER);
        expect(n.mp.put_packet(enc(`ping from ${n.id()}`))).toBe(Error.OK);
      }
      const atHost: string[] = [];
      expect(await until(() => {
        while (host.mp.get_available_packet_count() > 0) {
          const from = host.mp.get_packet_peer();
          atHost.push(`${from}:${dec(host.mp.get_packet())}`);
        }
        return atHost.length === 2;
      }, 5000, poll)).toBe(true);
      expect(atHost.sort()).toEqual(members.map((n) => `${n.id()}:ping from ${n.id()}`).sort());
      host.mp.set_target_peer(MultiplayerPeer.TARGET_PEER_BROADCAST);
      expect(host.mp.put_packet(enc("pong"))).toBe(Error.OK);
      expect(await until(() => members.every((n) => n.mp.get_available_packet_count() === 1), 5000, poll)).toBe(true);
      for (const n of members) {
        expect(n.mp.get_packet_peer()).toBe(1);
        expect(dec(n.mp.get_packet())).toBe("pong");
      }
      // A member leaving signaling: the server's PEER_DISCONNECT makes the host remove it (peer_disconnected).
      const gone = members[0]!.id();
      members[0]!.glue.stop();
      expect(await until(() => host.events.includes(`-${gone}`), 5000, poll)).toBe(true);
      expect(host.mp.has_peer(gone)).toBe(false);
      expect(host.mp.has_peer(members[1]!.id())).toBe(true);
    } finally {
      all.forEach((n) => n.glue.stop());
    }
  }, 30000);

  it("SignalingMultiplayer, mesh of three: every pair connects (higher ids offer) and broadcasts reach everyone", async () => {
    const first = node();
    first.glue.start(server.url, "", true);
    expect(await until(() => first.lobby() !== "")).toBe(true);
    const others = [node(), node()];
    for (const n of others) n.glue.start(server.url, first.lobby(), true);
    const all = [first, ...others];
    const poll = pollAll(all);
    try {
      expect(await until(() => all.every((n) => n.events.length === 2), 15000, poll)).toBe(true);
      const ids = all.map((n) => n.id());
      expect(ids[0]).toBe(1);
      // Each offers to the members with lower ids: sorted by id, 0, 1 and 2 offers.
      expect([...all].sort((x, y) => x.id() - y.id()).map((n) => n.offers.made)).toEqual([0, 1, 2]);
      for (const n of all) {
        expect(n.events.sort()).toEqual(ids.filter((x) => x !== n.id()).map((x) => `+${x}`).sort());
        n.mp.put_packet(enc(`hi from ${n.id()}`));
      }
      const inbox = new Map(ids.map((id) => [id, [] as string[]]));
      expect(await until(() => {
        for (const n of all) {
          while (n.mp.get_available_packet_count() > 0) {
            const from = n.mp.get_packet_peer();
            inbox.get(n.id())!.push(`${from}:${dec(n.mp.get_packet())}`);
          }
        }
        return [...inbox.values()].every((v) => v.length === 2);
      }, 5000, poll)).toBe(true);
      for (const n of all) expect(inbox.get(n.id())!.sort()).toEqual(ids.filter((x) => x !== n.id()).map((x) => `${x}:hi from ${x}`).sort());
      // Sealing: the lobby closes on schedule; the glue knows it was sealed and keeps the mesh.
      first.client.seal_lobby();
      expect(await until(() => all.every((n) => n.glue.sealed), 3000, poll)).toBe(true);
      expect(await until(() => all.every((n) => n.client.get_ready_state() === 3), 3000, poll)).toBe(true);
      await sleep(50);
      poll();
      for (const n of all) expect(n.mp.get_connection_status()).toBe(MultiplayerPeer.CONNECTION_CONNECTED);
      first.mp.put_packet(enc("after the seal"));
      expect(await until(() => others.every((n) => n.mp.get_available_packet_count() === 1), 5000, poll)).toBe(true);
    } finally {
      all.forEach((n) => n.glue.stop());
    }
  }, 30000);
});
