// Two engine peer connections through the Godot API, allowed only relayed
// candidates (iceTransportPolicy "relay"), connect through coturn on
// 127.0.0.1 and move data both ways.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../../src/index.js";
import { Error, WebRTCDataChannel, WebRTCPeerConnection } from "../../src/godot/index.js";
import { haveCoturn, startCoturn, type Coturn } from "../helpers/coturn.js";

async function until(cond: () => boolean, ms: number, tick?: () => void): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) {
    tick?.();
    await new Promise((r) => setTimeout(r, 5));
  }
  return cond();
}

describe.runIf(haveCoturn())("engine through a TURN relay (coturn on 127.0.0.1)", () => {
  let turn: Coturn;
  beforeAll(async () => {
    turn = await startCoturn({ user: "gd", password: "relaypw", realm: "test" });
  });
  afterAll(async () => {
    await turn?.stop();
  });

  it("connects with relay candidates only and exchanges data", async () => {
    const cfg = {
      iceServers: [{ urls: [`turn:127.0.0.1:${turn.port}?transport=udp`], username: "gd", credential: "relaypw" }],
      iceTransportPolicy: "relay",
      wasmrtc: { bind: ["127.0.0.1"] },
    };
    const a = new WebRTCPeerConnection();
    const b = new WebRTCPeerConnection();
    expect(a.initialize(cfg)).toBe(Error.OK);
    expect(b.initialize(cfg)).toBe(Error.OK);
    const candidates: string[] = [];
    a.session_description_created.connect((t, s) => {
      a.set_local_description(t, s);
      b.set_remote_description(t, s);
    });
    b.session_description_created.connect((t, s) => {
      b.set_local_description(t, s);
      a.set_remote_description(t, s);
    });
    a.ice_candidate_created.connect((m, i, n) => {
      candidates.push(n);
      b.add_ice_candidate(m, i, n);
    });
    b.ice_candidate_created.connect((m, i, n) => {
      candidates.push(n);
      a.add_ice_candidate(m, i, n);
    });
    const ca = a.create_data_channel("relay", { negotiated: true, id: 7 })!;
    const cb = b.create_data_channel("relay", { negotiated: true, id: 7 })!;
    expect(a.create_offer()).toBe(Error.OK);
    const tick = () => {
      a.poll();
      b.poll();
    };
    try {
      const open = () => ca.get_ready_state() === WebRTCDataChannel.STATE_OPEN && cb.get_ready_state() === WebRTCDataChannel.STATE_OPEN;
      expect(await until(open, 15000, tick)).toBe(true);
      // Only relayed candidates were offered, by both sides.
      expect(candidates.length).toBeGreaterThanOrEqual(2);
      for (const c of candidates) expect(c).toMatch(/ typ relay /);
      const big = new Uint8Array(100_000).map((_, i) => i % 251);
      expect(ca.put_packet(big)).toBe(Error.OK);
      expect(cb.put_packet(new TextEncoder().encode("back through the relay"))).toBe(Error.OK);
      expect(await until(() => cb.get_available_packet_count() === 1 && ca.get_available_packet_count() === 1, 10000, tick)).toBe(true);
      expect(cb.get_packet()).toEqual(big);
      expect(new TextDecoder().decode(ca.get_packet())).toBe("back through the relay");
    } finally {
      a.close();
      b.close();
    }
  });
});
