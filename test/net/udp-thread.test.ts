// NodeUdpThreadTransport: node:dgram in a worker thread, on real loopback sockets.
import { describe, expect, it } from "vitest";
import { signalAcross } from "../helpers/signal-across.js";
import type { Worker } from "node:worker_threads";
import "../../src/index.js";
import { createNodeEndpoint } from "../../src/engine/node.js";
import { Error, WebRTCDataChannel, WebRTCPeerConnection } from "../../src/godot/index.js";
import { NodeUdpTransport } from "../../src/net/udp.js";
import { NodeUdpThreadTransport } from "../../src/net/udp-thread.js";
import type { DatagramSocket } from "../../src/net/transport.js";

type Counters = { received: number; receiveRingDrops: number; sendRingDrops: number; sendErrors: number };
const counters = (s: DatagramSocket) => (s as unknown as { counters(): Counters }).counters();
const workerOf = (s: DatagramSocket) => (s as unknown as { worker: Worker }).worker;
const until = async (f: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!f() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  return f();
};

describe("NodeUdpThreadTransport", () => {
  it("sends and receives through the thread: every datagram intact, the right source, counted", async () => {
    // A ring that holds the whole burst, and pauses while sending: nothing may be lost even on a loaded machine.
    const t = new NodeUdpThreadTransport({ ringBytes: 8 * 1024 * 1024 });
    const a = await t.bind({ ip: "127.0.0.1" });
    const plain = await new NodeUdpTransport().bind({ ip: "127.0.0.1" });
    expect(a.local.ip).toBe("127.0.0.1");
    expect(a.local.port).toBeGreaterThan(0);
    const n = 3000;
    // plain -> thread
    const seen = new Set<number>();
    a.onDatagram = (d, from) => {
      expect(from).toEqual({ family: 4, ip: "127.0.0.1", port: plain.local.port });
      const b = Buffer.from(d);
      const i = b.readUInt32LE(0);
      if (b.length === 1200 && b.every((v, k) => k < 4 || v === ((i + k) & 255))) seen.add(i);
    };
    for (let i = 0; i < n; i++) {
      const b = Buffer.alloc(1200);
      for (let k = 4; k < 1200; k++) b[k] = (i + k) & 255;
      b.writeUInt32LE(i, 0);
      plain.send(b, a.local);
      if (i % 200 === 199) await new Promise((r) => setTimeout(r, 2));
    }
    expect(await until(() => seen.size === n, 5000)).toBe(true);
    expect(counters(a).received).toBe(n);
    expect(counters(a).receiveRingDrops).toBe(0);
    // thread -> plain
    let back = 0;
    plain.onDatagram = (d, from) => {
      expect(from.port).toBe(a.local.port);
      if (d.length === 100 + (back % 7)) back++;
    };
    for (let i = 0; i < n; i++) a.send(new Uint8Array(100 + (i % 7)), plain.local);
    expect(await until(() => back === n, 5000)).toBe(true);
    // Bad destinations are counted, not thrown.
    a.send(new Uint8Array(1), { family: 4, ip: "127.0.0.1", port: 0 });
    a.send(new Uint8Array(1), { family: 6, ip: "::1", port: 9 });
    expect(counters(a).sendErrors).toBe(2);
    const exited = new Promise<number>((r) => workerOf(a).once("exit", r));
    a.close();
    a.close();  // idempotent
    await exited;  // the thread ends by itself
    plain.close();
  });

  it("a connection through it: 2,000 reliable messages in order, then close ends the thread", async () => {
    const server = await createNodeEndpoint({ bind: [{ ip: "127.0.0.1" }], transport: new NodeUdpThreadTransport() });
    const s = new WebRTCPeerConnection();
    const c = new WebRTCPeerConnection();
    expect(s.initialize({ wasmrtc: { endpoint: server } })).toBe(Error.OK);
    expect(c.initialize({ wasmrtc: { bind: ["127.0.0.1"] } })).toBe(Error.OK);
    signalAcross(c, s);
    const cc = c.create_data_channel("x", { negotiated: true, id: 1 })!;
    const sc = s.create_data_channel("x", { negotiated: true, id: 1 })!;
    expect(c.create_offer()).toBe(Error.OK);
    const pump = () => { s.poll(); c.poll(); };
    const open = () => sc.get_ready_state() === WebRTCDataChannel.STATE_OPEN && cc.get_ready_state() === WebRTCDataChannel.STATE_OPEN;
    expect(await until(() => (pump(), open()), 10000)).toBe(true);
    const got: number[] = [];
    let sent = 0;
    const drain = () => {
      while (sc.get_available_packet_count() > 0) got.push(Buffer.from(sc.get_packet()).readUInt32LE(0));
      while (cc.get_available_packet_count() > 0) cc.get_packet();
    };
    const ok = await until(() => {
      pump();
      for (; sent < 2000 && cc.get_buffered_amount() < 64 * 1024; sent++) {
        const b = Buffer.alloc(1000, sent & 255);
        b.writeUInt32LE(sent, 0);
        expect(cc.put_packet(new Uint8Array(b))).toBe(Error.OK);
      }
      drain();
      return got.length === 2000;
    }, 20000);
    expect(ok).toBe(true);
    expect(got).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    // And the other way, the server's datagrams leaving through the thread.
    expect(sc.put_packet(new TextEncoder().encode("from the server"))).toBe(Error.OK);
    let reply = "";
    expect(await until(() => {
      pump();
      while (cc.get_available_packet_count() > 0) reply = new TextDecoder().decode(cc.get_packet());
      return reply !== "";
    }, 5000)).toBe(true);
    expect(reply).toBe("from the server");
    const exited = new Promise<number>((r) => workerOf(server.sockets[0]!).once("exit", r));
    s.close();
    c.close();
    server.close();
    await exited;
  });

  it("refuses a port already taken, with the address in the message", async () => {
    const taken = await new NodeUdpTransport().bind({ ip: "127.0.0.1" });
    await expect(new NodeUdpThreadTransport().bind({ ip: "127.0.0.1", port: taken.local.port }))
      .rejects.toThrow(new RegExp(`bind 127\\.0\\.0\\.1:${taken.local.port}`));
    taken.close();
  });

  it("a main thread that does not read for a while: the ring fills, drops are counted, memory stays the ring's", async () => {
    const a = await new NodeUdpThreadTransport({ ringBytes: 64 * 1024 }).bind({ ip: "127.0.0.1" });
    const sender = await new NodeUdpThreadTransport().bind({ ip: "127.0.0.1" });
    let delivered = 0;
    let small = 0;
    a.onDatagram = (d) => {
      delivered++;
      if (d.length === 10) small++;
    };
    const n = 2000;
    for (let i = 0; i < n; i++) sender.send(new Uint8Array(1000), a.local);
    // Block this thread while the sender's thread sends and a's thread receives (no await: nothing is read here).
    // The counters are shared memory, so they can be watched while blocked: wait until the thread has received
    // far more than the ring holds (~64 datagrams of 1,000 bytes).
    const end = Date.now() + 10000;
    while (Date.now() < end && counters(a).received < 400) { /* busy */ }
    const atUnblock = counters(a).received;
    expect(atUnblock).toBeGreaterThanOrEqual(400);
    // Every datagram the thread received is either delivered or counted as dropped.
    expect(await until(() => delivered + counters(a).receiveRingDrops === counters(a).received, 5000)).toBe(true);
    const c = counters(a);
    expect(c.receiveRingDrops).toBeGreaterThanOrEqual(atUnblock - Math.ceil((64 * 1024) / 1020));
    // What was delivered: at most what fits in the ring, plus what arrived after this thread read again.
    expect(delivered).toBeLessThanOrEqual(Math.ceil((64 * 1024) / 1020) + (c.received - atUnblock));
    expect(delivered).toBeGreaterThan(0);
    // Reading again: a new datagram gets through (the burst's stragglers may still be arriving beside it).
    // (UDP: on a loaded machine the kernel may drop one, so it is sent again every 100 ms until seen.)
    let lastSent = 0;
    expect(await until(() => {
      if (Date.now() - lastSent >= 100) {
        sender.send(new Uint8Array(10), a.local);
        lastSent = Date.now();
      }
      return small > 0;
    }, 8000)).toBe(true);
    a.close();
    sender.close();
  });
});
