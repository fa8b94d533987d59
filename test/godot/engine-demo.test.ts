// Godot's minimal demo (spec §7.3) and the demo client's call order (§7.2) on
// the WebAssembly engine: over the virtual network on virtual time, and over
// real UDP on 127.0.0.1. Only the Godot API is used.
import { beforeAll, describe, expect, it } from "vitest";
import { NodeCryptoProvider } from "../../src/crypto/node.js";
import { Engine } from "../../src/engine/engine.js";
import "../../src/index.js";
import { Error, WebRTCDataChannel, WebRTCPeerConnection, WebRTCPeerConnectionEngine, set_log_sink } from "../../src/godot/index.js";
import { VirtualClock, type Clock } from "../../src/net/clock.js";
import { VirtualNetwork } from "../../src/net/virtual.js";
import type { Transport } from "../../src/net/transport.js";

let engine: Engine;
const logs: string[] = [];
beforeAll(async () => {
  engine = await Engine.load({ crypto: new NodeCryptoProvider() });
  set_log_sink((level, msg) => logs.push(`${level}: ${msg}`));
});

const enc = new TextEncoder();
const dec = new TextDecoder();
const turn = () => new Promise((r) => setImmediate(r));

/** Connects two peers the way Godot's minimal demo does: signals straight into the other's methods. */
function wire(p1: WebRTCPeerConnection, p2: WebRTCPeerConnection, record: string[]): void {
  p1.session_description_created.connect((type, sdp) => {
    record.push(`p1 sdp ${type}`);
    expect(p1.set_local_description(type, sdp)).toBe(Error.OK);
    expect(p2.set_remote_description(type, sdp)).toBe(Error.OK);
  });
  p2.session_description_created.connect((type, sdp) => {
    record.push(`p2 sdp ${type}`);
    expect(p2.set_local_description(type, sdp)).toBe(Error.OK);
    expect(p1.set_remote_description(type, sdp)).toBe(Error.OK);
  });
  p1.ice_candidate_created.connect((mid, index, name) => {
    record.push("p1 candidate");
    expect(p2.add_ice_candidate(mid, index, name)).toBe(Error.OK);
  });
  p2.ice_candidate_created.connect((mid, index, name) => {
    record.push("p2 candidate");
    expect(p1.add_ice_candidate(mid, index, name)).toBe(Error.OK);
  });
}

/** Polls the peers every `ms` of virtual time, as a game frame would. */
function pollEvery(clock: VirtualClock, ms: number, ...pcs: WebRTCPeerConnection[]): void {
  const poll = () => {
    pcs.forEach((p) => p.poll());
    clock.setTimer(clock.now() + ms, poll);
  };
  poll();
}

function virtualPair() {
  const clock = new VirtualClock();
  const net = new VirtualNetwork(clock, { seed: 3, defaultLink: { latencyMs: 10 } });
  const h1 = net.addHost("10.0.0.1");
  const h2 = net.addHost("10.0.0.2");
  const cfg = (transport: Transport, c: Clock) => ({ wasmrtc: { engine, transport, clock: c, inputMode: "immediate" } });
  return { clock, net, cfg1: cfg(h1, clock), cfg2: cfg(h2, clock) };
}

describe("Godot minimal demo on the engine, virtual network", () => {
  it("connects, opens negotiated and in-band channels, exchanges text and binary, closes", async () => {
    const { clock, cfg1, cfg2 } = virtualPair();
    const p1 = new WebRTCPeerConnection();
    const p2 = new WebRTCPeerConnection();
    expect(p1).toBeInstanceOf(WebRTCPeerConnectionEngine);
    expect(p1.initialize(cfg1)).toBe(Error.OK);
    expect(p2.initialize(cfg2)).toBe(Error.OK);
    const record: string[] = [];
    wire(p1, p2, record);
    const c1 = p1.create_data_channel("chat", { id: 1, negotiated: true })!;
    const c2 = p2.create_data_channel("chat", { id: 1, negotiated: true })!;
    const f1 = p1.create_data_channel("files", { ordered: false, maxRetransmits: 2, protocol: "bin" })!;
    expect(c1 && c2 && f1).toBeTruthy();
    let received: WebRTCDataChannel | null = null;
    p2.data_channel_received.connect((ch) => {
      record.push("p2 channel");
      received = ch;
    });
    expect(p1.create_offer()).toBe(Error.OK);
    expect(p1.get_signaling_state()).toBe(WebRTCPeerConnection.SIGNALING_STATE_HAVE_LOCAL_OFFER);
    await turn();  // sockets bind
    // Signals fire only inside poll(): none so far.
    expect(record).toEqual([]);
    const poll = () => {
      p1.poll();
      p2.poll();
      clock.setTimer(clock.now() + 16, poll);
    };
    poll();
    const open = () => c1.get_ready_state() === WebRTCDataChannel.STATE_OPEN && c2.get_ready_state() === WebRTCDataChannel.STATE_OPEN &&
      f1.get_ready_state() === WebRTCDataChannel.STATE_OPEN && received !== null;
    for (let i = 0; i < 50 && !open(); i++) {
      clock.runUntil(open, 200);
      await turn();
    }
    expect(open()).toBe(true);
    expect(clock.now()).toBeLessThan(2000);
    expect(record[0]).toBe("p1 sdp offer");
    expect(record.indexOf("p2 sdp answer")).toBeGreaterThan(0);
    expect(record).toContain("p1 candidate");
    expect(record).toContain("p2 candidate");
    expect(p1.get_connection_state()).toBe(WebRTCPeerConnection.STATE_CONNECTED);
    expect(p2.get_connection_state()).toBe(WebRTCPeerConnection.STATE_CONNECTED);
    expect(p1.get_gathering_state()).toBe(WebRTCPeerConnection.GATHERING_STATE_COMPLETE);
    expect(p2.get_signaling_state()).toBe(WebRTCPeerConnection.SIGNALING_STATE_STABLE);
    expect(c1.get_id()).toBe(1);
    const r = received as unknown as WebRTCDataChannel;
    expect(r.get_label()).toBe("files");
    expect(r.get_protocol()).toBe("bin");
    expect(r.is_ordered()).toBe(false);
    expect(r.get_max_retransmits()).toBe(2);
    expect(r.get_id() % 2).toBe(f1.get_id() % 2);  // the same stream on both sides
    expect(r.is_negotiated()).toBe(false);
    // The demo's exchange: binary from p1, an answer in text mode from p2.
    expect(c1.put_packet(enc.encode("Hi from P1"))).toBe(Error.OK);
    c2.set_write_mode(WebRTCDataChannel.WRITE_MODE_TEXT);
    expect(c2.put_packet(new Uint8Array([72, 105, 0, 255]))).toBe(Error.OK);  // bytes unchanged, NUL and all
    const big = new Uint8Array(262144).map((_, i) => (i * 31) & 255);
    expect(f1.put_packet(big)).toBe(Error.OK);
    expect(f1.put_packet(new Uint8Array(262145))).toBe(Error.FAILED);
    // Nothing is readable before poll().
    expect(c2.get_available_packet_count()).toBe(0);
    const arrived = () => c2.get_available_packet_count() === 1 && c1.get_available_packet_count() === 1 && r.get_available_packet_count() === 1;
    clock.runUntil(arrived, 5000);
    expect([c2.get_available_packet_count(), c1.get_available_packet_count(), r.get_available_packet_count()]).toEqual([1, 1, 1]);
    expect(dec.decode(c2.get_packet())).toBe("Hi from P1");
    expect(c2.was_string_packet()).toBe(false);
    expect(Array.from(c1.get_packet())).toEqual([72, 105, 0, 255]);
    expect(c1.was_string_packet()).toBe(true);
    expect(r.get_packet()).toEqual(big);
    // Variants.
    expect(c1.put_var({ hello: [1, 2.5, "x"] })).toBe(Error.OK);
    clock.runUntil(() => c2.get_available_packet_count() === 1, 2000);
    expect(c2.get_var()).toEqual({ hello: [1, 2.5, "x"] });
    // Closing the in-band channel closes it on the other side; the others go on.
    f1.close();
    expect(f1.get_ready_state()).toBe(WebRTCDataChannel.STATE_CLOSED);
    clock.runUntil(() => r.get_ready_state() === WebRTCDataChannel.STATE_CLOSED, 3000);
    expect(r.get_ready_state()).toBe(WebRTCDataChannel.STATE_CLOSED);
    expect(c1.put_packet(enc.encode("still here"))).toBe(Error.OK);
    clock.runUntil(() => c2.get_available_packet_count() === 1, 2000);
    expect(dec.decode(c2.get_packet())).toBe("still here");
    // Closing the connection: closed at once here, seen by the other side, nothing emitted afterwards.
    const after: string[] = [];
    p1.ice_candidate_created.connect(() => after.push("signal after close"));
    p1.close();
    expect(p1.get_connection_state()).toBe(WebRTCPeerConnection.STATE_CLOSED);
    expect(c1.get_ready_state()).toBe(WebRTCDataChannel.STATE_CLOSED);
    expect(c1.put_packet(enc.encode("x"))).toBe(Error.FAILED);
    clock.runUntil(() => p2.get_connection_state() === WebRTCPeerConnection.STATE_CLOSED, 3000);
    expect(p2.get_connection_state()).toBe(WebRTCPeerConnection.STATE_CLOSED);
    expect(c2.get_ready_state()).toBe(WebRTCDataChannel.STATE_CLOSED);
    p2.close();
    expect(after).toEqual([]);
    expect(clock.pending).toBe(1);  // only the test's own poll timer is left
  });

  it("a slow reader slows the sender: nothing is dropped, the window bounds what is held", async () => {
    const { clock, cfg1, cfg2 } = virtualPair();
    const p1 = new WebRTCPeerConnection();
    const p2 = new WebRTCPeerConnection();
    const w = (c: object) => ({ wasmrtc: { ...(c as { wasmrtc: object }).wasmrtc, receiveWindow: 128 * 1024 } });
    p1.initialize(w(cfg1));
    p2.initialize(w(cfg2));
    wire(p1, p2, []);
    const a = p1.create_data_channel("bulk", { id: 3, negotiated: true })!;
    const b = p2.create_data_channel("bulk", { id: 3, negotiated: true })!;
    p1.create_offer();
    await turn();
    pollEvery(clock, 10, p1, p2);
    clock.runUntil(() => a.get_ready_state() === WebRTCDataChannel.STATE_OPEN && b.get_ready_state() === WebRTCDataChannel.STATE_OPEN, 3000);
    await turn();
    clock.runUntil(() => a.get_ready_state() === WebRTCDataChannel.STATE_OPEN && b.get_ready_state() === WebRTCDataChannel.STATE_OPEN, 3000);
    expect(a.get_ready_state()).toBe(WebRTCDataChannel.STATE_OPEN);
    const msg = new Uint8Array(16384);
    let sent = 0;
    for (; sent < 64; sent++) {
      msg[0] = sent;
      expect(a.put_packet(msg)).toBe(Error.OK);
    }
    clock.advance(3000);
    // The reader has not read: at most about one window is held on its side, the rest waits at the sender.
    const held = b.get_available_packet_count();
    expect(held).toBeGreaterThan(0);
    expect(held * 16384).toBeLessThanOrEqual(160 * 1024);
    expect(a.get_buffered_amount()).toBeGreaterThan(0);
    const got: number[] = [];
    for (let round = 0; round < 200 && got.length < 64; round++) {
      while (b.get_available_packet_count() > 0) got.push(b.get_packet()[0]!);
      clock.advance(50);
    }
    expect(got).toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect(a.get_buffered_amount()).toBe(0);
    p1.close();
    p2.close();
  });
});

describe("initialize() on an existing connection", () => {
  it("closes the old connection (the peer sees it) and starts a fresh one", async () => {
    const { clock, cfg1, cfg2 } = virtualPair();
    const p1 = new WebRTCPeerConnection();
    const p2 = new WebRTCPeerConnection();
    p1.initialize(cfg1);
    p2.initialize(cfg2);
    wire(p1, p2, []);
    const c1 = p1.create_data_channel("x", { negotiated: true, id: 4 })!;
    const c2 = p2.create_data_channel("x", { negotiated: true, id: 4 })!;
    p1.create_offer();
    await turn();
    pollEvery(clock, 10, p1, p2);
    clock.runUntil(() => c1.get_ready_state() === WebRTCDataChannel.STATE_OPEN && c2.get_ready_state() === WebRTCDataChannel.STATE_OPEN, 3000);
    expect(p1.get_connection_state()).toBe(WebRTCPeerConnection.STATE_CONNECTED);
    expect(p1.initialize(cfg1)).toBe(Error.OK);
    // Fresh: NEW, STABLE, new channels allowed; the old channel is closed, the peer saw the close.
    expect(p1.get_connection_state()).toBe(WebRTCPeerConnection.STATE_NEW);
    expect(p1.get_signaling_state()).toBe(WebRTCPeerConnection.SIGNALING_STATE_STABLE);
    expect(p1.get_gathering_state()).toBe(WebRTCPeerConnection.GATHERING_STATE_NEW);
    expect(c1.get_ready_state()).toBe(WebRTCDataChannel.STATE_CLOSED);
    clock.runUntil(() => p2.get_connection_state() === WebRTCPeerConnection.STATE_CLOSED, 3000);
    expect(p2.get_connection_state()).toBe(WebRTCPeerConnection.STATE_CLOSED);
    expect(p1.create_data_channel("y", { negotiated: true, id: 4 })).not.toBeNull();
    // A second channel on the same negotiated id would never open (Native): refused at once.
    expect(p1.create_data_channel("z", { negotiated: true, id: 4 })).toBeNull();
    // Candidates the engine cannot use (TCP) are ignored like duplicates; malformed ones are refused.
    expect(p1.add_ice_candidate("0", 0, "candidate:1 1 tcp 1518280447 10.0.0.9 9 typ host tcptype active")).toBe(Error.OK);
    expect(p1.add_ice_candidate("0", 0, "candidate:1 1 udp x 10.0.0.9 9 typ host")).toBe(Error.ERR_INVALID_PARAMETER);
    // A description that is not one: FAILED, nothing changes.
    expect(p1.set_remote_description("answer", "v=0\r\nm=audio 9 RTP/AVP 0\r\n")).toBe(Error.FAILED);
    expect(p1.get_signaling_state()).toBe(WebRTCPeerConnection.SIGNALING_STATE_STABLE);
    p1.close();
    p2.close();
  });
});

/** Drives peers over one kind of network: `run` polls them every frame until `done` or `ms` pass. */
interface Harness {
  name: string;
  cfg(i: 1 | 2, extra?: Record<string, unknown>): Record<string, unknown>;
  run(pcs: WebRTCPeerConnection[], done: () => boolean, ms: number): Promise<boolean>;
}

function virtualHarness(): Harness {
  const { clock, cfg1, cfg2 } = virtualPair();
  return {
    name: "virtual network",
    cfg: (i, extra = {}) => ({ ...extra, ...(i === 1 ? cfg1 : cfg2) }),
    async run(pcs, done, ms) {
      const end = clock.now() + ms;
      for (let frame = 0; !done() && clock.now() < end; frame++) {
        pcs.forEach((p) => p.poll());
        clock.advance(2);
        if (frame % 64 === 0) await turn();  // socket binding and name resolution are promises
      }
      return done();
    },
  };
}

function udpHarness(): Harness {
  return {
    name: "UDP on 127.0.0.1",
    cfg: (_i, extra = {}) => ({ ...extra, wasmrtc: { bind: ["127.0.0.1"] } }),
    async run(pcs, done, ms) {
      const end = Date.now() + ms;
      while (!done() && Date.now() < end) {
        pcs.forEach((p) => p.poll());
        await new Promise((r) => setTimeout(r, 2));
      }
      return done();
    },
  };
}

for (const make of [virtualHarness, udpHarness]) {
  describe(`Godot demos on the engine, ${make().name}`, () => {
    it("minimal demo (§7.3): both poll every frame, send once OPEN, p2 answers", async () => {
      const h = make();
      const p1 = new WebRTCPeerConnection();
      const p2 = new WebRTCPeerConnection();
      expect(p1.initialize(h.cfg(1))).toBe(Error.OK);
      expect(p2.initialize(h.cfg(2))).toBe(Error.OK);
      const record: string[] = [];
      wire(p1, p2, record);
      const c1 = p1.create_data_channel("chat", { id: 1, negotiated: true })!;
      const c2 = p2.create_data_channel("chat", { id: 1, negotiated: true })!;
      expect(p1.create_offer()).toBe(Error.OK);
      try {
        const open = () => c1.get_ready_state() === WebRTCDataChannel.STATE_OPEN && c2.get_ready_state() === WebRTCDataChannel.STATE_OPEN;
        expect(await h.run([p1, p2], open, 10000)).toBe(true);
        expect(record[0]).toBe("p1 sdp offer");
        expect(record).toContain("p2 sdp answer");
        expect(c1.put_packet(enc.encode("Hi from P1"))).toBe(Error.OK);
        expect(await h.run([p1, p2], () => c2.get_available_packet_count() === 1, 5000)).toBe(true);
        expect(dec.decode(c2.get_packet())).toBe("Hi from P1");
        expect(c2.put_packet(enc.encode("Hi from P2"))).toBe(Error.OK);
        expect(await h.run([p1, p2], () => c1.get_available_packet_count() === 1, 5000)).toBe(true);
        expect(dec.decode(c1.get_packet())).toBe("Hi from P2");
      } finally {
        p1.close();
        p2.close();
      }
    });

    it("follows the demo client's call order (§7.2) and exchanges data", async () => {
      const h = make();
      const servers = { iceServers: [{ urls: ["stun:127.0.0.1:3478"] }] };
      // Peer ids as the signaling server hands them out: the higher id offers.
      const host = new WebRTCPeerConnection();
      const client = new WebRTCPeerConnection();
      expect(host.initialize(h.cfg(1, servers))).toBe(Error.OK);
      expect(client.initialize(h.cfg(2, servers))).toBe(Error.OK);
      const record: string[] = [];
      wire(client, host, record);
      // WebRTCMultiplayerPeer's channels: negotiated ids 1/2/3 (reliable, unreliable, ordered-unreliable).
      const ch = (pc: WebRTCPeerConnection) => [
        pc.create_data_channel("1", { negotiated: true, id: 1 })!,
        pc.create_data_channel("2", { negotiated: true, id: 2, maxRetransmits: 0, ordered: false })!,
        pc.create_data_channel("3", { negotiated: true, id: 3, maxPacketLifeTime: 1 })!,
      ];
      const hc = ch(host);
      const cc = ch(client);
      expect(client.create_offer()).toBe(Error.OK);
      const pcs = [host, client];
      try {
        await h.run(pcs, () => hc.concat(cc).every((c) => c.get_ready_state() === WebRTCDataChannel.STATE_OPEN), 10000);
        expect(hc.concat(cc).map((c) => c.get_ready_state())).toEqual([1, 1, 1, 1, 1, 1]);
        expect(record[0]).toBe("p1 sdp offer");
        for (let i = 0; i < 3; i++) expect(cc[i]!.put_packet(enc.encode(`ping ${i}`))).toBe(Error.OK);
        await h.run(pcs, () => hc.every((c) => c.get_available_packet_count() === 1), 5000);
        expect(hc.map((c) => dec.decode(c.get_packet()))).toEqual(["ping 0", "ping 1", "ping 2"]);
        // 1 MiB through the reliable channel, read as it arrives.
        const chunk = new Uint8Array(65536);
        for (let i = 0; i < 16; i++) {
          chunk[0] = i;
          expect(cc[0]!.put_packet(chunk)).toBe(Error.OK);
        }
        const got: number[] = [];
        await h.run(pcs, () => {
          while (hc[0]!.get_available_packet_count() > 0) got.push(hc[0]!.get_packet()[0]!);
          return got.length >= 16;
        }, 10000);
        expect(got).toEqual(Array.from({ length: 16 }, (_, i) => i));
      } finally {
        client.close();
        host.close();
      }
      expect(host.get_connection_state()).toBe(WebRTCPeerConnection.STATE_CLOSED);
    });
  });
}
