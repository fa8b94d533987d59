// The whole stack on the virtual network and virtual clock: the WebAssembly
// engine's STUN server and client, the pump, its one timer, retransmission
// timing (RFC 8489 §6.2.1) and NAT mappings.
import { beforeAll, describe, expect, it } from "vitest";
import { NodeCryptoProvider } from "../../src/crypto/node.js";
import { Engine } from "../../src/engine/engine.js";
import { Endpoint, type StunBindingResult } from "../../src/engine/endpoint.js";
import "../../src/engine/node.js";
import { VirtualClock } from "../../src/net/clock.js";
import { VirtualNetwork } from "../../src/net/virtual.js";

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.load({ crypto: new NodeCryptoProvider() });
});

async function setup(seed = 1) {
  const clock = new VirtualClock();
  const net = new VirtualNetwork(clock, { seed });
  const serverHost = net.addHost("192.0.2.1");
  const clientHost = net.addHost("10.0.0.2");
  const server = await Endpoint.create({ engine, transport: serverHost, clock, bind: [{ port: 3478 }], answerStun: true, inputMode: "immediate" });
  const client = await Endpoint.create({ engine, transport: clientHost, clock, inputMode: "immediate" });
  return { clock, net, server, client, serverAddr: { family: 4 as const, ip: "192.0.2.1", port: 3478 } };
}

describe("STUN through the engine on the virtual network", () => {
  it("gets the mapped address with the link's round trip", async () => {
    const { clock, net, server, client, serverAddr } = await setup();
    net.setLink("10.0.0.2", "192.0.2.1", { latencyMs: 25 });
    const p = client.stunBinding(serverAddr);
    clock.advance(100);
    const r = await p;
    expect(r.ok).toBe(true);
    expect(r.mapped).toEqual({ family: 4, ip: "10.0.0.2", port: client.sockets[0]!.local.port });
    expect(r.rttMs).toBeCloseTo(50, 3);
    expect(server.stats().stunRequestsAnswered).toBe(1);
    client.close();
    server.close();
    expect(clock.pending).toBe(0);
  });

  it("retransmits at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s and gives up at 39.5 s", async () => {
    const { clock, net, server, client, serverAddr } = await setup();
    net.setLink("10.0.0.2", "192.0.2.1", { loss: 1 });
    net.traceEnabled = true;
    const p = client.stunBinding(serverAddr);
    let done = false;
    void p.then(() => (done = true));
    const sendTimes: number[] = net.linkStats("10.0.0.2", "192.0.2.1").sent === 1 ? [0] : [];
    for (let i = 0; i < 400 && !done; i++) {
      const before = net.linkStats("10.0.0.2", "192.0.2.1").sent;
      clock.advance(250);
      await Promise.resolve();
      if (net.linkStats("10.0.0.2", "192.0.2.1").sent > before) sendTimes.push(clock.now());
    }
    const r = await p;
    expect(r.timedOut).toBe(true);
    // Every instant is a multiple of the 250 ms step, so the step end is the send time.
    expect(sendTimes).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(net.linkStats("10.0.0.2", "192.0.2.1").sent).toBe(7);
    expect(clock.now()).toBeGreaterThanOrEqual(39500);
    expect(clock.now()).toBeLessThan(39750 + 1);
    client.close();
    server.close();
  });

  it("survives 50% loss by retransmitting, deterministically for a seed", async () => {
    const traces: string[][] = [];
    for (let round = 0; round < 2; round++) {
      const { clock, net, server, client, serverAddr } = await setup(42);
      net.traceEnabled = true;
      net.setLink("10.0.0.2", "192.0.2.1", { loss: 0.5, latencyMs: 10, jitterMs: 5 });
      const results: StunBindingResult[] = [];
      for (let i = 0; i < 10; i++) {
        const p = client.stunBinding(serverAddr);
        clock.advance(40_000);
        results.push(await p);
      }
      const ok = results.filter((r) => r.ok).length;
      expect(ok).toBeGreaterThanOrEqual(9);  // 7 tries each way at 50%: failure odds are tiny
      traces.push(net.trace.map((t) => t.replace(/\|\d+>/, "|port>")));
      client.close();
      server.close();
    }
    expect(traces[0]!.length).toBeGreaterThan(10);
    expect(traces[1]).toEqual(traces[0]);
  });

  it("reports the NAT's public mapping", async () => {
    const clock = new VirtualClock();
    const net = new VirtualNetwork(clock, { seed: 3 });
    net.addHost("192.0.2.1");
    const behind = net.addHost("10.1.1.1", { type: "port-restricted", publicIp: "203.0.113.9" });
    const server = await Endpoint.create({ engine, transport: net.addHost("192.0.2.7"), clock, bind: [{ port: 3478 }], answerStun: true, inputMode: "immediate" });
    const client = await Endpoint.create({ engine, transport: behind, clock, inputMode: "immediate" });
    const p = client.stunBinding({ family: 4, ip: "192.0.2.7", port: 3478 });
    clock.advance(10);
    const r = await p;
    expect(r.ok).toBe(true);
    expect(r.mapped!.ip).toBe("203.0.113.9");
    expect(r.mapped!.port).not.toBe(client.sockets[0]!.local.port);
    client.close();
    server.close();
  });

  it("keeps one timer per endpoint and none after close", async () => {
    const { clock, net, server, client, serverAddr } = await setup();
    net.setLink("10.0.0.2", "192.0.2.1", { loss: 1 });
    const ps = [client.stunBinding(serverAddr), client.stunBinding(serverAddr), client.stunBinding(serverAddr)];
    // Three transactions in flight, one timer (lost datagrams schedule nothing).
    expect(clock.pending).toBe(1);
    client.close();
    const rs = await Promise.all(ps);
    expect(rs.every((r) => !r.ok)).toBe(true);
    server.close();
    clock.advance(60_000);
    expect(clock.pending).toBe(0);
  });
});

describe("the C ABI checks every handle", () => {
  it("refuses stale, zero and forged handles", async () => {
    const abi = engine.abi;
    const before = engine.endpointCount();
    const cfg = engine.wasm.copyIn(new TextEncoder().encode("answer_stun=1"));
    const h = abi.wr_endpoint_new(cfg, 13);
    expect(h).not.toBe(0);
    expect(engine.endpointCount()).toBe(before + 1);
    expect(abi.wr_endpoint_free(h)).toBe(0);
    expect(abi.wr_endpoint_free(h)).toBe(-1);  // stale
    expect(abi.wr_endpoint_poll(h, engine.outPtr, engine.outCap)).toBe(-1);
    expect(abi.wr_endpoint_timeout(0, 0)).toBe(-1);
    expect(abi.wr_endpoint_input(0xdeadbeef, 0, engine.inPtr, 0)).toBe(-1);
    expect(abi.wr_endpoint_next_deadline(12345)).toBe(-1);
    // A reused slot gets a new generation: the old handle stays invalid.
    const h2 = abi.wr_endpoint_new(cfg, 13);
    expect(h2).not.toBe(h);
    expect(abi.wr_endpoint_timeout(h, 0)).toBe(-1);
    expect(abi.wr_endpoint_free(h2)).toBe(0);
    expect(engine.endpointCount()).toBe(before);
    const bad = engine.wasm.copyIn(new TextEncoder().encode("unknown_key=1"));
    expect(abi.wr_endpoint_new(bad, 13)).toBe(0);
  });

  it("refuses malformed input batches without crashing", async () => {
    const abi = engine.abi;
    const cfg = engine.wasm.copyIn(new TextEncoder().encode("answer_stun=1"));
    const h = abi.wr_endpoint_new(cfg, 13);
    const u8 = engine.wasm.u8();
    for (let i = 0; i < 200; i++) {
      const len = (i * 37) % 300;
      for (let j = 0; j < len; j++) u8[engine.inPtr + j] = (i * 131 + j * 7) & 0xff;
      const r = abi.wr_endpoint_input(h, i * 1000, engine.inPtr, len);
      expect(r === -2 || r >= 0).toBe(true);
      expect(abi.wr_endpoint_poll(h, engine.outPtr, engine.outCap)).toBeGreaterThanOrEqual(0);
    }
    abi.wr_endpoint_free(h);
  });
});
