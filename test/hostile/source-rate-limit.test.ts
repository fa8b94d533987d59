// The receive path's per-source rate limit (Endpoint, sourceRateLimit), on the
// virtual network and virtual clock: what is cut, what never is, and that its
// table and its overflow budget stay bounded.
import { beforeAll, describe, expect, it } from "vitest";
import { signalAcross } from "../helpers/signal-across.js";
import { NodeCryptoProvider } from "../../src/crypto/node.js";
import { Engine } from "../../src/engine/engine.js";
import { Endpoint, type SourceRateLimitOptions } from "../../src/engine/endpoint.js";
import "../../src/index.js";
import { Error, WebRTCDataChannel, WebRTCPeerConnection } from "../../src/godot/index.js";
import { VirtualClock } from "../../src/net/clock.js";
import { VirtualNetwork } from "../../src/net/virtual.js";
import type { NetAddress } from "../../src/net/address.js";

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.load({ crypto: new NodeCryptoProvider() });
});

const turn = () => new Promise((r) => setImmediate(r));
const SERVER: NetAddress = { family: 4, ip: "192.0.2.1", port: 4000 };
// Not STUN, not DTLS: the core counts it as unhandled and drops it (RFC 7983's unassigned range).
const JUNK = new Uint8Array([0xff, 1, 2, 3, 4, 5, 6, 7]);

async function server(limit: SourceRateLimitOptions | false = {}) {
  const clock = new VirtualClock();
  const net = new VirtualNetwork(clock, { seed: 7 });
  const host = net.addHost(SERVER.ip);
  const ep = await Endpoint.create({
    engine, transport: host, clock, bind: [{ port: SERVER.port }], inputMode: "immediate", sourceRateLimit: limit,
  });
  /** `n` datagrams from `from`, evenly over `ms` of virtual time. */
  const flood = (from: NetAddress, n: number, ms: number, data = JUNK) => {
    for (let i = 0; i < n; i++) {
      net.deliverFromOutside(from, SERVER, data);
      if (ms > 0) clock.advance(ms / n);
    }
  };
  return { clock, net, ep, flood };
}

const v4 = (i: number): NetAddress => ({ family: 4, ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 1000 + (i % 50000) });

describe("per-source rate limit in the receive path", () => {
  it("cuts a flooding unknown source to its budget, and counts what it dropped", async () => {
    const { ep, flood } = await server({ ratePerSecond: 100, burst: 200 });
    const attacker: NetAddress = { family: 4, ip: "203.0.113.9", port: 5555 };
    // 50,000 datagrams in 2 s of virtual time (25,000/s): budget = 200 + 2 s x 100/s.
    flood(attacker, 50_000, 2000);
    const s = ep.stats();
    expect(s.rateLimit.enabled).toBe(true);
    expect(s.rateLimit.admitted).toBeGreaterThanOrEqual(399);
    expect(s.rateLimit.admitted).toBeLessThanOrEqual(401);
    expect(s.rateLimit.dropped).toBe(50_000 - s.rateLimit.admitted);
    expect(s.rateLimit.droppedOverflow).toBe(0);
    expect(s.rateLimit.sources).toBe(1);
    expect(s.rateLimit.sourcesLimited).toBe(1);
    // What got through is all the core saw (and dropped as unhandled); the rest never crossed.
    expect(s.datagramsIn).toBe(s.rateLimit.admitted);
    expect(s.droppedUnhandled).toBe(s.rateLimit.admitted);
    // The core was asked about the dry source at most once per unknownCacheMs (500 ms) plus the first time.
    expect(s.rateLimit.routeQueries).toBeLessThanOrEqual(5);
    // Another source is not affected by the first one's debt.
    flood({ family: 4, ip: "203.0.113.9", port: 5556 }, 100, 0);
    expect(ep.stats().rateLimit.admitted).toBe(s.rateLimit.admitted + 100);
    ep.close();
  });

  it("refills at the configured rate: a source at its budget loses nothing", async () => {
    const { ep, flood } = await server({ ratePerSecond: 50, burst: 10 });
    flood({ family: 4, ip: "198.51.100.4", port: 9 }, 500, 10_000);  // exactly 50/s
    expect(ep.stats().rateLimit.dropped).toBe(0);
    flood({ family: 4, ip: "198.51.100.4", port: 9 }, 500, 5_000);  // 100/s: about half is cut
    const s = ep.stats().rateLimit;
    expect(s.dropped).toBeGreaterThan(200);
    expect(s.dropped).toBeLessThan(300);
    ep.close();
  });

  it("never limits a known route: an ICE-authenticated peer sends far past the budget and loses nothing", async () => {
    const clock = new VirtualClock();
    const net = new VirtualNetwork(clock, { seed: 11, defaultLink: { latencyMs: 5 } });
    // A budget far below what the connection needs even to set up: only the known-route path lets it work.
    const limit: SourceRateLimitOptions = { ratePerSecond: 5, burst: 20, unknownCacheMs: 100, knownCacheMs: 300 };
    const mk = async (ip: string) => Endpoint.create({
      engine, transport: net.addHost(ip), clock, bind: [{ port: 4000 }], inputMode: "immediate", sourceRateLimit: limit,
    });
    const se = await mk("192.0.2.1");
    const ce = await mk("10.0.0.2");
    const s = new WebRTCPeerConnection();
    const c = new WebRTCPeerConnection();
    expect(s.initialize({ wasmrtc: { endpoint: se } })).toBe(Error.OK);
    expect(c.initialize({ wasmrtc: { endpoint: ce } })).toBe(Error.OK);
    signalAcross(c, s);
    const cc = c.create_data_channel("bulk", { negotiated: true, id: 0 })!;
    const sc = s.create_data_channel("bulk", { negotiated: true, id: 0 })!;
    expect(c.create_offer()).toBe(Error.OK);
    await turn();
    const poll = () => {
      s.poll();
      c.poll();
      clock.setTimer(clock.now() + 10, poll);
    };
    poll();
    const open = () => sc.get_ready_state() === WebRTCDataChannel.STATE_OPEN && cc.get_ready_state() === WebRTCDataChannel.STATE_OPEN;
    for (let i = 0; i < 50 && !open(); i++) {
      clock.runUntil(open, 200);
      await turn();
    }
    expect(open()).toBe(true);
    const clientAddr: NetAddress = { family: 4, ip: "10.0.0.2", port: 4000 };
    expect(se.knowsRoute(0, clientAddr)).toBe(true);
    expect(se.knowsRoute(0, { family: 4, ip: "10.0.0.2", port: 4001 })).toBe(false);
    // 3 MB in 1200-byte messages: ~2,600 SCTP packets from one source in well under a second of virtual time.
    const total = 2500;
    let sent = 0;
    let got = 0;
    let bad = 0;
    let attackerSent = 0;
    const attacker: NetAddress = { family: 4, ip: "203.0.113.50", port: 7777 };
    for (let step = 0; step < 20000 && got < total; step++) {
      while (sent < total && cc.get_buffered_amount() < 256 * 1024) {
        const m = new Uint8Array(1200).fill(sent & 255);
        new DataView(m.buffer).setUint32(0, sent);
        expect(cc.put_packet(m)).toBe(Error.OK);
        sent++;
      }
      // Meanwhile an unknown source floods the same port: it stays cut to its budget.
      for (let k = 0; k < 5; k++, attackerSent++) net.deliverFromOutside(attacker, { family: 4, ip: "192.0.2.1", port: 4000 }, JUNK);
      clock.advance(1);
      while (sc.get_available_packet_count() > 0) {
        const p = sc.get_packet();
        if (p.length !== 1200 || new DataView(p.buffer, p.byteOffset).getUint32(0) !== got || p[1199] !== (got & 255)) bad++;
        got++;
      }
      if (step % 100 === 0) await turn();
    }
    expect(got).toBe(total);
    expect(bad).toBe(0);
    const r = se.stats().rateLimit;
    expect(r.admittedKnown).toBeGreaterThan(2000);  // the client's route, let through on the core's word
    // Every dropped datagram was the attacker's, and all but its budget (20 + 5/s over the run) were dropped.
    const seconds = clock.now() / 1000;
    expect(r.dropped).toBeLessThanOrEqual(attackerSent);
    expect(r.dropped).toBeGreaterThanOrEqual(attackerSent - (20 + 5 * seconds) - 1);
    expect(r.sourcesLimited).toBe(1);
    expect(r.routeQueries).toBeLessThan(20 + 30 * seconds);  // a question per cache period, not per datagram
    expect(s.get_connection_state()).toBe(WebRTCPeerConnection.STATE_CONNECTED);
    s.close();
    c.close();
    se.close();
    ce.close();
  }, 60000);

  it("keeps its table bounded under 100,000 distinct sources; new ones then share the overflow budget", async () => {
    // The shared budget of unknown traffic is off here: this is about the table and its overflow budget.
    const { clock, ep, net } = await server({ maxSources: 16384, overflowRatePerSecond: 500, overflowBurst: 500, overflowQueriesPerSecond: 1000,
      unknownRatePerSecond: Infinity });
    const heap0 = process.memoryUsage().heapUsed;
    // 100,000 sources, one datagram each, over 1 s of virtual time.
    for (let i = 0; i < 100_000; i++) {
      net.deliverFromOutside(v4(i), SERVER, JUNK);
      if (i % 100 === 99) clock.advance(1);
    }
    const s = ep.stats();
    expect(s.rateLimit.sources).toBe(16384);
    expect(s.rateLimit.peakSources).toBe(16384);
    // The first 16,384 each used their first allowance; the other 83,616 shared 500 + 1 s x 500/s.
    const overflowAdmitted = s.rateLimit.admitted - 16384;
    expect(overflowAdmitted).toBeGreaterThanOrEqual(500);
    expect(overflowAdmitted).toBeLessThanOrEqual(1001);
    expect(s.rateLimit.droppedOverflow).toBe(100_000 - s.rateLimit.admitted);
    expect(s.rateLimit.dropped).toBe(s.rateLimit.droppedOverflow);
    expect(s.datagramsIn).toBe(s.rateLimit.admitted);
    // Questions to the core about overflow sources are themselves budgeted (1000 + 1 s x 1000/s).
    expect(s.rateLimit.routeQueries).toBeLessThanOrEqual(2001);
    // The JS heap holds the table, not 100,000 entries (generous: the ip-bytes cache and the GC's slack).
    expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(64 * 1024 * 1024);

    // A second wave of 100,000 more (a flood that keeps changing its addresses): still bounded.
    for (let i = 100_000; i < 200_000; i++) {
      net.deliverFromOutside(v4(i), SERVER, JUNK);
      if (i % 100 === 99) clock.advance(1);
    }
    expect(ep.stats().rateLimit.sources).toBe(16384);
    expect(ep.stats().rateLimit.peakSources).toBe(16384);

    // Idle sources are forgotten after idleMs (30 s): the table empties out and new sources get a place again.
    clock.advance(40_000);
    net.deliverFromOutside({ family: 4, ip: "198.51.100.77", port: 1 }, SERVER, JUNK);
    const after = ep.stats().rateLimit;
    expect(after.sources).toBe(1);
    expect(after.evicted).toBeGreaterThanOrEqual(16384);
    ep.close();
  }, 60000);

  it("many sources within their own budgets share one budget of unknown traffic", async () => {
    const { clock, ep, net } = await server({ unknownRatePerSecond: 1000, unknownBurst: 1000 });
    // 2,000 sources sending 5 datagrams/s each for 2 s (10,000/s in all, each far under its own 100/s).
    for (let ms = 0; ms < 2000; ms += 10) {
      for (let i = 0; i < 100; i++) net.deliverFromOutside(v4((ms / 10) % 20 * 100 + i), SERVER, JUNK);
      clock.advance(10);
    }
    const s = ep.stats().rateLimit;
    // 1,000 (the burst) + 2 s x 1,000/s at most crossed; the rest was dropped before the core.
    expect(s.admitted).toBeGreaterThanOrEqual(2000);
    expect(s.admitted).toBeLessThanOrEqual(3001);
    expect(s.droppedUnknownBudget).toBe(20_000 - s.admitted);
    expect(ep.stats().datagramsIn).toBe(s.admitted);
    expect(s.sourcesLimited).toBe(0);  // no source went over its own budget
    ep.close();
  });

  it("the overflow budget holds for a full table however many sources share it", async () => {
    const { clock, ep, net } = await server({ maxSources: 100, overflowRatePerSecond: 20, overflowBurst: 10, overflowQueriesPerSecond: 0 });
    for (let i = 0; i < 100; i++) net.deliverFromOutside(v4(i), SERVER, JUNK);
    expect(ep.stats().rateLimit.sources).toBe(100);
    expect(ep.stats().rateLimit.admitted).toBe(100);
    // 5,000 new sources over 5 s: 10 + 5 s x 20/s of them get through.
    for (let i = 0; i < 5000; i++) {
      net.deliverFromOutside(v4(1000 + i), SERVER, JUNK);
      clock.advance(1);
    }
    const s = ep.stats().rateLimit;
    expect(s.sources).toBe(100);
    expect(s.admitted - 100).toBeGreaterThanOrEqual(100);
    expect(s.admitted - 100).toBeLessThanOrEqual(111);
    expect(s.droppedOverflow).toBe(5000 - (s.admitted - 100));
    // A source already in the table keeps its own budget (not the overflow's).
    const tabled = v4(5);
    let passed = 0;
    for (let i = 0; i < 100; i++) {
      const before = ep.stats().rateLimit.admitted;
      net.deliverFromOutside(tabled, SERVER, JUNK);
      passed += ep.stats().rateLimit.admitted - before;
    }
    expect(passed).toBe(100);
    ep.close();
  });

  it("can be turned off, and retuned at run time", async () => {
    const { ep, flood } = await server(false);
    flood({ family: 4, ip: "203.0.113.1", port: 1 }, 5000, 100);
    expect(ep.stats().rateLimit.enabled).toBe(false);
    expect(ep.stats().datagramsIn).toBe(5000);
    ep.setSourceRateLimit({ ratePerSecond: 0, burst: 3 });
    flood({ family: 4, ip: "203.0.113.1", port: 1 }, 5000, 100);
    expect(ep.stats().rateLimit.admitted).toBe(3);
    expect(ep.stats().datagramsIn).toBe(5003);
    ep.close();
  });
});
