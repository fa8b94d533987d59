// The virtual network's impairments do what they say, deterministically.
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/net/clock.js";
import { VirtualNetwork, type LinkConfig } from "../../src/net/virtual.js";
import type { DatagramSocket } from "../../src/net/transport.js";
import type { NetAddress } from "../../src/net/address.js";

async function pair(cfg: LinkConfig, seed = 7) {
  const clock = new VirtualClock();
  const net = new VirtualNetwork(clock, { seed });
  const a = await net.addHost("10.0.0.1").bind({ port: 1000 });
  const b = await net.addHost("10.0.0.2").bind({ port: 2000 });
  net.setLink("10.0.0.1", "10.0.0.2", cfg);
  const got: Array<{ t: number; seq: number; len: number; from: NetAddress }> = [];
  b.onDatagram = (d, from) => got.push({ t: clock.now(), seq: d.length >= 4 ? new DataView(d.buffer, d.byteOffset).getUint32(0) : -1, len: d.length, from });
  return { clock, net, a, b, got };
}

function sendSeq(s: DatagramSocket, n: number, to: NetAddress, size = 100): void {
  for (let i = 0; i < n; i++) {
    const d = new Uint8Array(size);
    new DataView(d.buffer).setUint32(0, i);
    s.send(d, to);
  }
}

const B: NetAddress = { family: 4, ip: "10.0.0.2", port: 2000 };

describe("VirtualNetwork", () => {
  it("delays by the latency", async () => {
    const { clock, a, got } = await pair({ latencyMs: 40 });
    sendSeq(a, 1, B);
    clock.advance(39.9);
    expect(got.length).toBe(0);
    clock.advance(0.1);
    expect(got.length).toBe(1);
    expect(got[0]!.t).toBe(40);
    expect(got[0]!.from).toEqual({ family: 4, ip: "10.0.0.1", port: 1000 });
  });

  it("loses the configured fraction (binomial band over 10,000 datagrams)", async () => {
    const { clock, net, a, got } = await pair({ loss: 0.3 });
    sendSeq(a, 10_000, B);
    clock.advance(10);
    // mean 7000, sd ~46: +-5 sd
    expect(got.length).toBeGreaterThan(7000 - 230);
    expect(got.length).toBeLessThan(7000 + 230);
    const st = net.linkStats("10.0.0.1", "10.0.0.2");
    expect(st.droppedLoss + st.delivered).toBe(10_000);
  });

  it("duplicates the configured fraction", async () => {
    const { clock, net, a, got } = await pair({ duplicate: 0.1 });
    sendSeq(a, 5000, B);
    clock.advance(10);
    const dups = net.linkStats("10.0.0.1", "10.0.0.2").duplicated;
    expect(dups).toBeGreaterThan(500 - 110);
    expect(dups).toBeLessThan(500 + 110);
    expect(got.length).toBe(5000 + dups);
  });

  it("jitter keeps order unless reordering is allowed", async () => {
    const inOrder = await pair({ latencyMs: 10, jitterMs: 20 });
    sendSeq(inOrder.a, 500, B);
    inOrder.clock.advance(100);
    expect(inOrder.got.map((g) => g.seq)).toEqual([...Array(500).keys()]);

    const reordered = await pair({ latencyMs: 10, jitterMs: 20, reorder: true });
    sendSeq(reordered.a, 500, B);
    reordered.clock.advance(100);
    const seqs = reordered.got.map((g) => g.seq);
    expect(seqs.length).toBe(500);
    expect(seqs).not.toEqual([...Array(500).keys()]);
    expect([...seqs].sort((x, y) => x - y)).toEqual([...Array(500).keys()]);
  });

  it("drops datagrams above the MTU", async () => {
    const { clock, net, a, got } = await pair({ mtu: 1200 });
    sendSeq(a, 1, B, 1200);
    sendSeq(a, 1, B, 1201);
    clock.advance(1);
    expect(got.map((g) => g.len)).toEqual([1200]);
    expect(net.linkStats("10.0.0.1", "10.0.0.2").droppedMtu).toBe(1);
  });

  it("rate-limits: deliveries spaced by size / rate, tail drop beyond the queue", async () => {
    const { clock, net, a, got } = await pair({ rateBytesPerSec: 100_000, queueBytes: 10_000 });
    sendSeq(a, 20, B, 1000);  // 10 fit in the queue
    clock.advance(1000);
    expect(got.length).toBe(10);
    expect(got.map((g) => g.t)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(net.linkStats("10.0.0.1", "10.0.0.2").droppedQueue).toBe(10);
  });

  it("is deterministic for a seed and differs across seeds", async () => {
    const run = async (seed: number) => {
      const p = await pair({ loss: 0.2, jitterMs: 5, reorder: true, duplicate: 0.05 }, seed);
      p.net.traceEnabled = true;
      sendSeq(p.a, 300, B);
      p.clock.advance(100);
      return p.got.map((g) => `${g.t.toFixed(6)}:${g.seq}`);
    };
    expect(await run(11)).toEqual(await run(11));
    expect(await run(11)).not.toEqual(await run(12));
  });

  it("NAT filtering: full-cone, address-restricted, port-restricted, symmetric", async () => {
    for (const type of ["full-cone", "address-restricted", "port-restricted", "symmetric"] as const) {
      const clock = new VirtualClock();
      const net = new VirtualNetwork(clock, { seed: 1 });
      const inside = await net.addHost("10.0.0.5", { type, publicIp: "203.0.113.1" }).bind({ port: 5000 });
      const server = net.addHost("198.51.100.1");
      const s1 = await server.bind({ port: 3478 });
      const s2 = await server.bind({ port: 3479 });
      const other = await net.addHost("198.51.100.2").bind({ port: 3478 });
      const mapped: NetAddress[] = [];
      s1.onDatagram = (_d, from) => mapped.push(from);
      s2.onDatagram = (_d, from) => mapped.push(from);
      inside.send(new Uint8Array([1]), { family: 4, ip: "198.51.100.1", port: 3478 });
      inside.send(new Uint8Array([1]), { family: 4, ip: "198.51.100.1", port: 3479 });
      clock.advance(1);
      expect(mapped.length).toBe(2);
      expect(mapped[0]!.ip).toBe("203.0.113.1");
      // Symmetric NATs use a new mapping per destination; the others reuse one.
      expect(mapped[0]!.port === mapped[1]!.port).toBe(type !== "symmetric");
      const heard: string[] = [];
      inside.onDatagram = (_d, from) => heard.push(`${from.ip}:${from.port}`);
      const pub = mapped[0]!;
      s1.send(new Uint8Array([2]), pub);       // the contacted address and port
      other.send(new Uint8Array([3]), pub);    // an uncontacted host
      clock.advance(1);
      const fromOther = heard.includes("198.51.100.2:3478");
      expect(heard).toContain("198.51.100.1:3478");
      expect(fromOther).toBe(type === "full-cone");
    }
  });
});
