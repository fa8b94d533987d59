// ICE restart over real UDP on loopback, with the real clock, through the Godot API only: two engine
// peers (p1 on 127.0.0.2, p2 on 127.0.0.1) on MovableUdpTransport. p1's network goes away (an outage:
// every datagram dropped both ways), both reach STATE_DISCONNECTED, p1 comes back on another address
// (127.0.0.3, a new port: its old socket is closed), and one side's create_offer() restarts ICE. The
// same channel objects carry on; everything sent during the outage arrives once, in order; the new
// address carries the traffic. The virtual-network version is test/godot/ice-restart.test.ts.
import { afterEach, describe, expect, it } from "vitest";
import "../../src/index.js";
import { Error, WebRTCDataChannel, WebRTCPeerConnection, type WebRTCPeerConnectionEngine } from "../../src/godot/index.js";
import { formatAddress } from "../../src/net/address.js";
import { MovableUdpTransport, type Binding } from "../helpers/movable-udp.js";

const enc = new TextEncoder();
const dec = new TextDecoder();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const { STATE_CONNECTED, STATE_DISCONNECTED } = WebRTCPeerConnection;
const { STATE_OPEN } = WebRTCDataChannel;

/** Shorter consent timers than RFC 7675's (PeerOptions): disconnected after 2 s without consent, failed only after 30 s. */
const TIMERS = { consentIntervalMs: 500, disconnectedAfterMs: 2000, failedAfterMs: 30000 };
const N = 20;

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(5);
  return cond();
}

interface Side {
  pc: WebRTCPeerConnectionEngine;
  net: MovableUdpTransport;
  ch: WebRTCDataChannel;
  got: string[];
  states: number[];
  offers: string[];
  answers: string[];
  candidates: string[];
}

const open: Array<() => void> = [];
afterEach(() => {
  for (const f of open.splice(0)) f();
});

async function connectedPair(): Promise<{ p1: Side; p2: Side; refused: string[]; stop: () => void }> {
  const make = (ip: string): Side => {
    const net = new MovableUdpTransport();
    const pc = new WebRTCPeerConnection() as WebRTCPeerConnectionEngine;
    expect(pc.initialize({ iceServers: [], wasmrtc: { transport: net, bind: [ip], ...TIMERS } })).toBe(Error.OK);
    const ch = pc.create_data_channel("game", { id: 1, negotiated: true })!;
    return { pc, net, ch, got: [], states: [], offers: [], answers: [], candidates: [] };
  };
  const p1 = make("127.0.0.2");
  const p2 = make("127.0.0.1");
  const refused: string[] = [];
  for (const [from, to] of [[p1, p2], [p2, p1]] as const) {
    from.pc.session_description_created.connect((type, sdp) => {
      (type === "offer" ? from.offers : from.answers).push(sdp);
      expect(from.pc.set_local_description(type, sdp)).toBe(Error.OK);
      const e = to.pc.set_remote_description(type, sdp);
      if (e !== Error.OK) refused.push(`${type} ${e}`);
    });
    from.pc.ice_candidate_created.connect((mid, index, name) => {
      from.candidates.push(name);
      expect(to.pc.add_ice_candidate(mid, index, name)).toBe(Error.OK);
    });
  }
  // A game loop: poll every 5 ms, read every packet.
  const timer = setInterval(() => {
    for (const s of [p1, p2]) {
      s.pc.poll();
      const st = s.pc.get_connection_state();
      if (s.states.at(-1) !== st) s.states.push(st);
      while (s.ch.get_available_packet_count() > 0) s.got.push(dec.decode(s.ch.get_packet()));
    }
  }, 5);
  const stop = () => {
    clearInterval(timer);
    p1.pc.close();
    p2.pc.close();
  };
  open.push(stop);
  expect(p1.pc.create_offer()).toBe(Error.OK);
  expect(await until(() => p1.ch.get_ready_state() === STATE_OPEN && p2.ch.get_ready_state() === STATE_OPEN, 10000)).toBe(true);
  return { p1, p2, refused, stop };
}

const ufrag = (sdp: string) => /a=ice-ufrag:(\S+)/.exec(sdp)?.[1] ?? "";
/** Data (non-STUN) datagrams between two snapshots of a binding's per-remote counters. */
const dataTo = (b: Binding, remote: string) => b.sentTo.get(remote)?.data ?? 0;
const dataFrom = (b: Binding, remote: string) => b.receivedFrom.get(remote)?.data ?? 0;

describe("ICE restart over real UDP on 127.0.0.x (Godot API, real clock)", () => {
  for (const who of ["the peer that moved", "the peer that stayed"] as const) {
    it(`p1 has an outage and moves to 127.0.0.3; both go STATE_DISCONNECTED; ${who} offers; the channel carries on`, async () => {
      const t0 = Date.now();
      const { p1, p2, refused } = await connectedPair();
      const tConnected = Date.now() - t0;
      const oldAddress = formatAddress(p1.net.socket.local);
      const p2Address = formatAddress(p2.net.socket.local);
      const ch1 = p1.ch;
      const ch2 = p2.ch;
      expect(ch1.put_packet(enc.encode("before"))).toBe(Error.OK);
      expect(await until(() => p2.got.length === 1, 3000)).toBe(true);

      // The outage: p1's network is gone; both keep sending (SCTP holds it all).
      p1.net.setBlackhole(true);
      for (let i = 0; i < N; i++) {
        expect(ch1.put_packet(enc.encode(`p1 ${i}`))).toBe(Error.OK);
        expect(ch2.put_packet(enc.encode(`p2 ${i}`))).toBe(Error.OK);
      }
      const tOutage = Date.now();
      const bothDisconnected = () => p1.pc.get_connection_state() === STATE_DISCONNECTED && p2.pc.get_connection_state() === STATE_DISCONNECTED;
      expect(await until(bothDisconnected, 8000), `states p1 ${p1.states} p2 ${p2.states}`).toBe(true);
      const tDisconnected = Date.now() - tOutage;
      expect([ch1.get_ready_state(), ch2.get_ready_state()]).toEqual([STATE_OPEN, STATE_OPEN]);  // channels wait
      expect(p1.got.length + p2.got.length).toBe(1);  // nothing got through

      // p1 comes back elsewhere: a new socket on another loopback address and port; the old one is closed.
      const moved = await p1.net.socket.move({ ip: "127.0.0.3" });
      const newAddress = formatAddress(moved);
      expect(newAddress).not.toBe(oldAddress);
      expect(p1.pc.wasmrtcEndpoint!.hostAddresses().map((h) => formatAddress(h.address))).toEqual([newAddress]);
      p1.net.setBlackhole(false);
      const offerer = who === "the peer that moved" ? p1 : p2;
      const answerer = offerer === p1 ? p2 : p1;
      const offersBefore = offerer.offers.length;
      const tRestart = Date.now();
      expect(offerer.pc.create_offer()).toBe(Error.OK);
      const bothConnected = () => p1.pc.get_connection_state() === STATE_CONNECTED && p2.pc.get_connection_state() === STATE_CONNECTED;
      let tIce = -1;
      expect(await until(() => {
        if (tIce < 0 && bothConnected()) tIce = Date.now() - tRestart;
        return bothConnected() && p1.got.length === N && p2.got.length === N + 1;
      }, 12000),
        `states p1 ${p1.states} p2 ${p2.states}; got p1 ${p1.got.length} p2 ${p2.got.length}; refused ${refused}`).toBe(true);
      const tReconnected = Date.now() - tRestart;

      // Exactly once, in order, on the very same channel objects.
      expect(p2.got).toEqual(["before", ...Array.from({ length: N }, (_, i) => `p1 ${i}`)]);
      expect(p1.got).toEqual(Array.from({ length: N }, (_, i) => `p2 ${i}`));
      expect(refused).toEqual([]);
      expect(offerer.offers.length).toBe(offersBefore + 1);
      expect(answerer.answers.length).toBe(answerer === p2 ? 2 : 1);
      // New ICE credentials both ways (p1 made the first offer, p2 the first answer).
      const first = (s: Side) => (s === p1 ? p1.offers[0]! : p2.answers[0]!);
      expect(ufrag(offerer.offers.at(-1)!)).not.toBe(ufrag(first(offerer)));
      expect(ufrag(answerer.answers.at(-1)!)).not.toBe(ufrag(first(answerer)));
      expect(p1.pc.get_ice_restart_count()).toBe(1);
      expect(p2.pc.get_ice_restart_count()).toBe(1);
      expect(offerer.states.slice(-3)).toEqual([STATE_CONNECTED, STATE_DISCONNECTED, STATE_CONNECTED]);
      expect(answerer.states.slice(-3)).toEqual([STATE_CONNECTED, STATE_DISCONNECTED, STATE_CONNECTED]);
      expect([ch1.get_ready_state(), ch2.get_ready_state()]).toEqual([STATE_OPEN, STATE_OPEN]);
      // p1's new address is a candidate of the new generation: in its restart description and trickled.
      const [ip, port] = newAddress.split(":");
      const p1Sdp = who === "the peer that moved" ? p1.offers.at(-1)! : p1.answers.at(-1)!;
      expect(p1Sdp).toContain(` ${ip} ${port} typ host`);
      expect(p1.candidates.some((c) => c.includes(` ${ip} ${port} typ host`))).toBe(true);

      // The new address carries the data: the old socket is closed; p2 sends to and hears from the new one only.
      const b1 = p1.net.socket.current;
      const b2 = p2.net.socket.current;
      expect(p1.net.socket.bindings.length).toBe(2);
      expect(p1.net.socket.bindings[0]!.closedAt).not.toBeNull();
      const before = { to: dataTo(b2, newAddress), toOld: dataTo(b2, oldAddress), from: dataFrom(b2, newAddress), sent1: dataTo(b1, p2Address) };
      await sleep(300);  // the restart settles (anything still queued for the previous path is gone by now)
      const settled = { toOld: dataTo(b2, oldAddress) };
      for (let i = 0; i < 5; i++) {
        expect(ch2.put_packet(enc.encode(`after ${i}`))).toBe(Error.OK);
        expect(ch1.put_packet(enc.encode(`after ${i}`))).toBe(Error.OK);
      }
      expect(await until(() => p1.got.length === N + 5 && p2.got.length === N + 6, 3000)).toBe(true);
      expect(p1.got.slice(N)).toEqual(Array.from({ length: 5 }, (_, i) => `after ${i}`));
      expect(p2.got.slice(N + 1)).toEqual(Array.from({ length: 5 }, (_, i) => `after ${i}`));
      expect(dataTo(b2, newAddress)).toBeGreaterThan(before.to);
      expect(dataFrom(b2, newAddress)).toBeGreaterThan(before.from);
      expect(dataTo(b1, p2Address)).toBeGreaterThan(before.sent1);
      expect(dataTo(b2, oldAddress)).toBe(settled.toOld);  // nothing more for the old address
      expect(b1.received.data).toBeGreaterThan(0);
      console.log(`ice-restart-udp (${who} offers): connected ${tConnected} ms; both DISCONNECTED ${tDisconnected} ms after the outage began; ` +
        `restart: both CONNECTED after ${tIce} ms, every message in after ${tReconnected} ms (SCTP retransmission timers); p1 ${oldAddress} -> ${newAddress}; ` +
        `p2 data datagrams to the old address ${before.toOld}, to the new ${dataTo(b2, newAddress)}; outage dropped ${JSON.stringify(p1.net.socket.dropped)}`);
    }, 30000);
  }
});
