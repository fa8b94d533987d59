// A server hosts many connections behind one UDP port (one endpoint shared by
// every server-side WebRTCPeerConnection); clients connect from their own
// sockets. The endpoint tells connections apart by ICE ufrag and then by the
// remote address each one learned.
import { describe, expect, it } from "vitest";
import { signalAcross } from "../helpers/signal-across.js";
import "../../src/index.js";
import { createNodeEndpoint } from "../../src/engine/node.js";
import { Error, WebRTCDataChannel, WebRTCPeerConnection } from "../../src/godot/index.js";

describe("one UDP port, many connections", () => {
  it("50 connections share the server's port, each carries its own data, close frees them all", async () => {
    const server = await createNodeEndpoint({ bind: [{ ip: "127.0.0.1" }] });
    const n = 50;
    const pairs: Array<{ s: WebRTCPeerConnection; c: WebRTCPeerConnection; sc: WebRTCDataChannel; cc: WebRTCDataChannel }> = [];
    for (let i = 0; i < n; i++) {
      const s = new WebRTCPeerConnection();
      const c = new WebRTCPeerConnection();
      expect(s.initialize({ wasmrtc: { endpoint: server } })).toBe(Error.OK);
      expect(c.initialize({ wasmrtc: { bind: ["127.0.0.1"] } })).toBe(Error.OK);
      signalAcross(c, s);
      const cc = c.create_data_channel("game", { negotiated: true, id: 0 })!;
      const sc = s.create_data_channel("game", { negotiated: true, id: 0 })!;
      expect(c.create_offer()).toBe(Error.OK);
      pairs.push({ s, c, sc, cc });
    }
    const pollAll = () => pairs.forEach((p) => { p.s.poll(); p.c.poll(); });
    const until = async (f: () => boolean, ms: number) => {
      const end = Date.now() + ms;
      while (!f() && Date.now() < end) {
        pollAll();
        await new Promise((r) => setTimeout(r, 2));
      }
      return f();
    };
    try {
      const open = () => pairs.every((p) => p.sc.get_ready_state() === WebRTCDataChannel.STATE_OPEN && p.cc.get_ready_state() === WebRTCDataChannel.STATE_OPEN);
      expect(await until(open, 20000)).toBe(true);
      expect(server.sockets.length).toBe(1);
      expect(server.peerCount()).toBe(n);
      pairs.forEach((p, i) => expect(p.cc.put_packet(new TextEncoder().encode(`client ${i}`))).toBe(Error.OK));
      expect(await until(() => pairs.every((p) => p.sc.get_available_packet_count() === 1), 10000)).toBe(true);
      // Every server-side connection got exactly its own client's message.
      pairs.forEach((p, i) => expect(new TextDecoder().decode(p.sc.get_packet())).toBe(`client ${i}`));
      pairs.forEach((p, i) => p.sc.put_packet(new TextEncoder().encode(`server ${i}`)));
      expect(await until(() => pairs.every((p) => p.cc.get_available_packet_count() === 1), 10000)).toBe(true);
      pairs.forEach((p, i) => expect(new TextDecoder().decode(p.cc.get_packet())).toBe(`server ${i}`));
    } finally {
      pairs.forEach((p) => { p.s.close(); p.c.close(); });
    }
    expect(server.peerCount()).toBe(0);
    expect(server.isClosed).toBe(false);  // shared: the connections do not own it
    server.close();
  }, 60000);
});
