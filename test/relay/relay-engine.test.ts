// The engine through the relay in Node: one peer reaches the world only through
// a WebSocket to our relay (TURN in frames, relay candidates only), the other
// is an ordinary engine peer on UDP 127.0.0.1. Only the Godot API is used.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../src/index.js";
import { Error, WebRTCDataChannel, WebRTCPeerConnection, set_log_sink } from "../../src/godot/index.js";
import { createRelayCredentials, createRelayServer, type RelayServer } from "../../src/relay/index.js";

const SECRET = "relay-test-secret";
let relay: RelayServer;
const logs: string[] = [];
beforeAll(async () => {
  set_log_sink((level, msg) => logs.push(`${level}: ${msg}`));
  relay = await createRelayServer({ secret: SECRET, host: "127.0.0.1", port: 0, relayIp: "127.0.0.1", allow: ["127.0.0.1/32"] });
});
afterAll(async () => {
  await relay?.close();
});

const digest = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function wire(a: WebRTCPeerConnection, b: WebRTCPeerConnection, candidates: { a: string[]; b: string[] }) {
  a.session_description_created.connect((type, sdp) => {
    a.set_local_description(type, sdp);
    b.set_remote_description(type, sdp);
  });
  b.session_description_created.connect((type, sdp) => {
    b.set_local_description(type, sdp);
    a.set_remote_description(type, sdp);
  });
  a.ice_candidate_created.connect((mid, index, name) => {
    candidates.a.push(name);
    b.add_ice_candidate(mid, index, name);
  });
  b.ice_candidate_created.connect((mid, index, name) => {
    candidates.b.push(name);
    a.add_ice_candidate(mid, index, name);
  });
}

async function pump(pcs: WebRTCPeerConnection[], done: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) {
    for (const p of pcs) p.poll();
    await new Promise((r) => setTimeout(r, 2));
  }
  return done();
}

describe("the engine through the relay (Node, WebSocket from the ws package)", () => {
  for (const relayOffers of [true, false]) {
    it(`connects to a UDP peer and moves data both ways (${relayOffers ? "relay peer offers" : "UDP peer offers"})`, async () => {
      const creds = createRelayCredentials(SECRET, "alice", 600);
      const viaRelay = new WebRTCPeerConnection();
      const direct = new WebRTCPeerConnection();
      expect(viaRelay.initialize({ wasmrtc: { relay: { url: relay.url, ...creds } } })).toBe(Error.OK);
      expect(direct.initialize({ wasmrtc: { bind: ["127.0.0.1"] } })).toBe(Error.OK);
      const cands = { a: [] as string[], b: [] as string[] };
      wire(viaRelay, direct, cands);
      const c1 = viaRelay.create_data_channel("data", { negotiated: true, id: 3 })!;
      const c2 = direct.create_data_channel("data", { negotiated: true, id: 3 })!;
      expect((relayOffers ? viaRelay : direct).create_offer()).toBe(Error.OK);
      const before = relay.stats();
      try {
        const open = () => c1.get_ready_state() === WebRTCDataChannel.STATE_OPEN && c2.get_ready_state() === WebRTCDataChannel.STATE_OPEN;
        expect(await pump([viaRelay, direct], open, 15000), logs.join("\n")).toBe(true);
        // The relay peer announces only its relay candidate, on the relay's UDP address.
        expect(cands.a.length).toBeGreaterThan(0);
        expect(cands.a.every((c) => / typ relay /.test(c) && / 127\.0\.0\.1 /.test(c))).toBe(true);
        const sizes = [1, 100, 1200, 5000, 16384, 65536, 200000];
        const sent: string[] = [];
        const back: string[] = [];
        for (const [i, n] of sizes.entries()) {
          const a = new Uint8Array(n).map((_, k) => (k * 31 + i) & 255);
          const b = new Uint8Array(n).map((_, k) => (k * 17 + i + 1) & 255);
          expect(c1.put_packet(a)).toBe(Error.OK);
          expect(c2.put_packet(b)).toBe(Error.OK);
          sent.push(digest(a));
          back.push(digest(b));
        }
        const got1: string[] = [];
        const got2: string[] = [];
        const drain = () => {
          while (c2.get_available_packet_count() > 0) got2.push(digest(c2.get_packet()));
          while (c1.get_available_packet_count() > 0) got1.push(digest(c1.get_packet()));
          return got1.length === sizes.length && got2.length === sizes.length;
        };
        expect(await pump([viaRelay, direct], drain, 20000)).toBe(true);
        expect(got2).toEqual(sent);
        expect(got1).toEqual(back);
        const after = relay.stats();
        expect(after.allocations).toBeGreaterThanOrEqual(1);
        expect(after.datagramsToPeers - before.datagramsToPeers).toBeGreaterThan(100);
        expect(after.datagramsFromPeers - before.datagramsFromPeers).toBeGreaterThan(100);
      } finally {
        viaRelay.close();
        direct.close();
      }
      // Closing the connection closes its WebSocket: the relay frees the allocation.
      expect(await pump([], () => relay.stats().clients === 0 && relay.stats().allocations === 0, 5000)).toBe(true);
    }, 60000);
  }
});
