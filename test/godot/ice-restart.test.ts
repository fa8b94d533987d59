// Keeping a connection alive through the Godot API (issue: a game on a phone changing networks): one
// peer moves to a new address on the virtual network, the connection goes STATE_DISCONNECTED, a new
// create_offer() restarts ICE (RFC 8445 §9) and the same data channels carry on — nothing sent in
// between is lost. A second offer/answer that changes nothing is accepted (renegotiation).
import { beforeAll, describe, expect, it } from "vitest";
import { NodeCryptoProvider } from "../../src/crypto/node.js";
import { Engine } from "../../src/engine/engine.js";
import "../../src/index.js";
import { Error, WebRTCDataChannel, WebRTCPeerConnection, WebRTCPeerConnectionEngine } from "../../src/godot/index.js";
import { VirtualClock } from "../../src/net/clock.js";
import { VirtualNetwork } from "../../src/net/virtual.js";

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.load({ crypto: new NodeCryptoProvider() });
});

const enc = new TextEncoder();
const dec = new TextDecoder();
const turn = () => new Promise((r) => setImmediate(r));
const { STATE_CONNECTED, STATE_DISCONNECTED } = WebRTCPeerConnection;

interface World {
  clock: VirtualClock;
  net: VirtualNetwork;
  p1: WebRTCPeerConnectionEngine;
  p2: WebRTCPeerConnectionEngine;
  c1: WebRTCDataChannel;
  c2: WebRTCDataChannel;
  offers: string[];
  answers: string[];
  /** Every set_remote_description the signaling made that was refused. */
  refused: string[];
  states: Record<"p1" | "p2", number[]>;
  h1: ReturnType<VirtualNetwork["addHost"]>;
}

/** Two Godot peers on the virtual network, signaling straight into each other, a negotiated channel open. */
async function connected(): Promise<World> {
  const clock = new VirtualClock();
  const net = new VirtualNetwork(clock, { seed: 7, defaultLink: { latencyMs: 10 } });
  const h1 = net.addHost("10.0.0.1");
  const h2 = net.addHost("10.0.0.2");
  const p1 = new WebRTCPeerConnection() as WebRTCPeerConnectionEngine;
  const p2 = new WebRTCPeerConnection() as WebRTCPeerConnectionEngine;
  expect(p1.initialize({ wasmrtc: { engine, transport: h1, clock, inputMode: "immediate" } })).toBe(Error.OK);
  expect(p2.initialize({ wasmrtc: { engine, transport: h2, clock, inputMode: "immediate" } })).toBe(Error.OK);
  const offers: string[] = [];
  const answers: string[] = [];
  const refused: string[] = [];
  const pair: Array<[WebRTCPeerConnection, WebRTCPeerConnection]> = [[p1, p2], [p2, p1]];
  for (const [from, to] of pair) {
    from.session_description_created.connect((type, sdp) => {
      if (type === "offer") offers.push(sdp);
      else answers.push(sdp);
      expect(from.set_local_description(type, sdp)).toBe(Error.OK);
      const e = to.set_remote_description(type, sdp);
      if (e !== Error.OK) refused.push(`${type} ${e}`);
    });
    from.ice_candidate_created.connect((mid, index, name) => expect(to.add_ice_candidate(mid, index, name)).toBe(Error.OK));
  }
  const c1 = p1.create_data_channel("game", { id: 1, negotiated: true })!;
  const c2 = p2.create_data_channel("game", { id: 1, negotiated: true })!;
  const states = { p1: [] as number[], p2: [] as number[] };
  const poll = () => {
    for (const [name, p] of [["p1", p1], ["p2", p2]] as const) {
      p.poll();
      const s = p.get_connection_state();
      if (states[name].at(-1) !== s) states[name].push(s);
    }
    clock.setTimer(clock.now() + 16, poll);
  };
  expect(p1.create_offer()).toBe(Error.OK);
  await turn();  // sockets bind
  poll();
  const open = () => c1.get_ready_state() === WebRTCDataChannel.STATE_OPEN && c2.get_ready_state() === WebRTCDataChannel.STATE_OPEN;
  for (let i = 0; i < 20 && !open(); i++) {
    clock.runUntil(open, 500);
    await turn();
  }
  expect(open()).toBe(true);
  return { clock, net, p1, p2, c1, c2, offers, answers, refused, states, h1 };
}

function ufrag(sdp: string): string {
  return /a=ice-ufrag:(\S+)/.exec(sdp)?.[1] ?? "";
}

/** Reads everything a channel has, as text. */
function drain(c: WebRTCDataChannel): string[] {
  const out: string[] = [];
  while (c.get_available_packet_count() > 0) out.push(dec.decode(c.get_packet()));
  return out;
}

describe("ICE restart and renegotiation through the Godot API (virtual network)", () => {
  for (const who of ["the peer that moved", "the peer that stayed"] as const) {
    it(`a peer moves to a new address; ${who} offers after STATE_DISCONNECTED; the channel carries on`, async () => {
      const w = await connected();
      const { clock, net, p1, p2, c1, c2 } = w;
      expect(c1.put_packet(enc.encode("before"))).toBe(Error.OK);
      clock.runUntil(() => c2.get_available_packet_count() === 1, 2000);
      const got2 = drain(c2);
      const got1: string[] = [];
      // p1's network changes: a new address, and nothing gets through while the switch lasts.
      net.moveHost(w.h1, "10.0.9.1");
      net.setLink("10.0.9.1", "10.0.0.2", { loss: 1 });
      for (let i = 0; i < 20; i++) {
        expect(c1.put_packet(enc.encode(`p1 ${i}`))).toBe(Error.OK);
        expect(c2.put_packet(enc.encode(`p2 ${i}`))).toBe(Error.OK);
      }
      const offerer = who === "the peer that moved" ? p1 : p2;
      clock.runUntil(() => offerer.get_connection_state() === STATE_DISCONNECTED, 20_000);
      expect(offerer.get_connection_state()).toBe(STATE_DISCONNECTED);
      expect(c1.get_ready_state()).toBe(WebRTCDataChannel.STATE_OPEN);  // channels wait, they are not closed
      net.setLink("10.0.9.1", "10.0.0.2", { latencyMs: 10 });  // the new network is up
      const offersBefore = w.offers.length;
      expect(offerer.create_offer()).toBe(Error.OK);
      const both = () => p1.get_connection_state() === STATE_CONNECTED && p2.get_connection_state() === STATE_CONNECTED;
      clock.runUntil(() => {
        got1.push(...drain(c1));
        got2.push(...drain(c2));
        return both() && got1.length === 20 && got2.length === 21;
      }, 20_000);
      expect([p1.get_connection_state(), p2.get_connection_state(), got1.length, got2.length, w.refused]).toEqual([STATE_CONNECTED, STATE_CONNECTED, 20, 21, []]);
      expect(w.offers.length).toBe(offersBefore + 1);
      expect(ufrag(w.offers.at(-1)!)).not.toBe(ufrag(w.offers[0]!));  // new ICE credentials
      // p1's new address is a candidate of the new generation, in its offer or its answer.
      expect(who === "the peer that moved" ? w.offers.at(-1) : w.answers.at(-1)).toContain(" 10.0.9.1 ");
      expect(who === "the peer that moved" ? w.offers.at(-1) : w.answers.at(-1)).not.toContain(" 10.0.0.1 ");  // the old one is gone
      expect(got2).toEqual(["before", ...Array.from({ length: 20 }, (_, i) => `p1 ${i}`)]);
      expect(got1).toEqual(Array.from({ length: 20 }, (_, i) => `p2 ${i}`));
      expect(p1.get_ice_restart_count()).toBe(1);
      expect(p2.get_ice_restart_count()).toBe(1);
      const seq = w.states[offerer === p1 ? "p1" : "p2"];
      expect(seq.slice(-3)).toEqual([STATE_CONNECTED, STATE_DISCONNECTED, STATE_CONNECTED]);
      expect(c1.get_ready_state()).toBe(WebRTCDataChannel.STATE_OPEN);
      expect(c2.get_ready_state()).toBe(WebRTCDataChannel.STATE_OPEN);
      // Still alive well past the consent timeouts on the new path.
      clock.advance(40_000);
      expect(both()).toBe(true);
      expect(c2.put_packet(enc.encode("later"))).toBe(Error.OK);
      clock.runUntil(() => c1.get_available_packet_count() === 1, 2000);
      expect(drain(c1)).toEqual(["later"]);
      p1.close();
      p2.close();
    });
  }

  it("a repeated remote offer is answered (renegotiation); create_offer() while CONNECTED needs restart_ice()", async () => {
    const { clock, p1, p2, c1, c2, offers, refused } = await connected();
    // Godot: create_offer() after STATE_NEW is FAILED, unless it restarts ICE.
    expect(p1.create_offer()).toBe(Error.FAILED);
    // The same offer once more: a renegotiation that changes nothing. p2 answers; p1, already stable,
    // refuses that answer, and nothing else changes for either.
    expect(p2.set_remote_description("offer", offers[0]!)).toBe(Error.OK);
    clock.advance(100);
    expect(refused).toEqual([`answer ${Error.FAILED}`]);
    expect(p2.get_signaling_state()).toBe(WebRTCPeerConnection.SIGNALING_STATE_STABLE);
    expect(p1.get_ice_restart_count() + p2.get_ice_restart_count()).toBe(0);
    expect(c1.put_packet(enc.encode("renegotiated"))).toBe(Error.OK);
    clock.runUntil(() => c2.get_available_packet_count() === 1, 3000);
    expect(drain(c2)).toEqual(["renegotiated"]);
    // restart_ice(): the next offer restarts ICE while connected, and data keeps flowing meanwhile.
    expect(p1.restart_ice()).toBe(Error.OK);
    expect(p1.create_offer()).toBe(Error.OK);
    expect(c1.put_packet(enc.encode("during the restart"))).toBe(Error.OK);
    clock.runUntil(() => c2.get_available_packet_count() === 1, 3000);
    expect(drain(c2)).toEqual(["during the restart"]);
    clock.advance(500);
    expect(offers.length).toBe(2);
    expect(ufrag(offers[1]!)).not.toBe(ufrag(offers[0]!));
    expect(p1.get_ice_restart_count()).toBe(1);
    expect(p2.get_ice_restart_count()).toBe(1);
    expect(p1.create_offer()).toBe(Error.FAILED);  // one restart per restart_ice()
    expect(p1.get_connection_state()).toBe(STATE_CONNECTED);
    expect(p2.get_connection_state()).toBe(STATE_CONNECTED);
    clock.advance(40_000);
    expect(p1.get_connection_state()).toBe(STATE_CONNECTED);
    expect(p2.get_connection_state()).toBe(STATE_CONNECTED);
    expect(refused.length).toBe(1);
    p1.close();
    p2.close();
  });
});
