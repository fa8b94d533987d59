// The relay against hostile clients, one rule per test. Each asserts that the
// rule held and that a well-behaved client on the same server (an allocation,
// a channel to a UDP echo peer, 200 datagrams/s of 1000 bytes) kept its full
// rate meanwhile. Real sockets on 127.0.0.x only.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createRelayCredentials, createRelayServer, type RelayServer } from "../../src/relay/index.js";
import { Class } from "../../src/relay/stun.js";
import { TurnWsClient, udpPeer, wellBehaved, type RateReport } from "./turn-ws-client.js";

const SECRET = "hostile-test-secret";
const ALLOCATION_RATE = 2000;
let relay: RelayServer;
let good: Awaited<ReturnType<typeof wellBehaved>>;
const reports: Record<string, RateReport> = {};

beforeAll(async () => {
  relay = await createRelayServer({
    secret: SECRET, host: "127.0.0.1", port: 0, relayIp: "127.0.0.1", allow: ["127.0.0.1/32"],
    origins: ["http://game.test"], maxClientsPerIp: 300, maxAllocationsPerUser: 3,
    allocationQuota: { datagramsPerSecond: ALLOCATION_RATE, bytesPerSecond: 4_000_000 },
    clientBufferBytes: 64 * 1024, authTimeoutMs: 1500,
  });
  const c = createRelayCredentials(SECRET, "good");
  good = await wellBehaved(relay.url, c.username, c.credential);
});
afterAll(async () => {
  good?.close();
  await relay?.close();
  console.log("well-behaved client while each hostile test ran (asked / echoed datagrams/s, p99 ms):");
  for (const [k, r] of Object.entries(reports)) console.log(`  ${k}: ${r.askedRate.toFixed(0)} / ${r.echoRate.toFixed(0)}, p99 ${r.p99Ms.toFixed(1)}`);
});

/** Runs `hostile` while the good client sends; asserts the good client lost nothing. */
async function withGoodClient<T>(name: string, hostile: () => Promise<T>): Promise<T> {
  const { report, result } = await good.run(async () => {
    const r = await hostile();
    await new Promise((res) => setTimeout(res, 200));
    return r;
  });
  reports[name] = report;
  expect(report.sent).toBeGreaterThan(20);
  expect(report.echoed, `good client: ${JSON.stringify(report)}`).toBe(report.sent);
  return result;
}

const creds = (user: string, ttl = 600) => createRelayCredentials(SECRET, user, ttl);

describe("relay: hostile clients", () => {
  it("wrong credentials: 401 with the reason, closed after 3 tries, nothing allocated", async () => {
    await withGoodClient("wrong credentials", async () => {
      const before = relay.stats();
      const c = await TurnWsClient.connect(relay.url);
      const u = creds("mallory");
      const r1 = await c.allocate(u.username, "not-the-password");
      expect(TurnWsClient.errorOf(r1)).toMatchObject({ code: 401 });
      expect(TurnWsClient.errorOf(r1)!.reason).toContain("wrong credential");
      // Forged username (another user's expiry, own password guess) and a signature by another secret.
      const forged = createRelayCredentials("another-secret", "mallory");
      await c.allocate(forged.username, forged.credential);
      await c.allocate(u.username, u.credential.slice(1));
      const closed = await c.closed;
      expect(closed.code).toBe(1008);
      expect(closed.reason).toMatch(/authentication failed/);
      const after = relay.stats();
      expect(after.allocationsCreated).toBe(before.allocationsCreated);
      expect(after.authFailures - before.authFailures).toBe(3);
    });
  });

  it("expired and malformed credentials are refused; a client that never authenticates is closed", async () => {
    await withGoodClient("expired credentials", async () => {
      const before = relay.stats();
      const c = await TurnWsClient.connect(relay.url);
      const expired = createRelayCredentials(SECRET, "eve", 1, Date.now() - 10_000);
      const r = await c.allocate(expired.username, expired.credential);
      expect(TurnWsClient.errorOf(r)).toEqual({ code: 401, reason: "Unauthorized: credentials expired" });
      const r2 = await c.allocate("eve", "x");
      expect(TurnWsClient.errorOf(r2)!.reason).toContain("not 'expiry:user'");
      c.close();
      const idle = await TurnWsClient.connect(relay.url);
      const closed = await idle.closed;  // authTimeoutMs 1500
      expect(closed).toEqual({ code: 1008, reason: "no allocation within 2 s" });
      expect(relay.stats().allocationsCreated).toBe(before.allocationsCreated);
    });
  });

  it("forbidden destinations: 403 for private, loopback other than allowed, link-local, multicast, unspecified; nothing sent there", async () => {
    await withGoodClient("forbidden destination", async () => {
      const trap = await udpPeer("127.0.0.2", false);  // loopback, but not in --allow
      const c = await TurnWsClient.connect(relay.url);
      const u = creds("probe");
      expect((await c.allocate(u.username, u.credential))!.cls).toBe(Class.Success);
      for (const ip of ["10.1.2.3", "192.168.0.1", "172.16.5.5", "169.254.169.254", "224.0.0.251", "0.0.0.0", "127.0.0.2", "100.64.0.1", "255.255.255.255"]) {
        const r = await c.permit({ family: 4, ip, port: 9 });
        expect(TurnWsClient.errorOf(r), ip).toMatchObject({ code: 403 });
        expect(TurnWsClient.errorOf(await c.bindChannel(0x4002, { family: 4, ip, port: 9 })), ip).toMatchObject({ code: 403 });
      }
      // Without a permission nothing leaves, whatever the client sends.
      for (let i = 0; i < 50; i++) c.sendIndication(trap.address, new Uint8Array(100));
      c.sendChannel(0x4003, new Uint8Array(100));
      await new Promise((r) => setTimeout(r, 200));
      expect(trap.count()).toBe(0);
      // The allowed address works.
      expect((await c.permit({ family: 4, ip: "127.0.0.1", port: 9 }))!.cls).toBe(Class.Success);
      c.close();
      trap.close();
    });
  });

  it("a flood over quota: the excess is dropped and counted, the peer sees at most the quota", async () => {
    await withGoodClient("flood over quota", async () => {
      const sink = await udpPeer("127.0.0.1", false);
      const c = await TurnWsClient.connect(relay.url);
      const u = creds("flooder");
      expect((await c.allocate(u.username, u.credential))!.cls).toBe(Class.Success);
      expect((await c.bindChannel(0x4100, sink.address))!.cls).toBe(Class.Success);
      const before = relay.stats();
      const t0 = performance.now();
      const data = new Uint8Array(200);
      let sent = 0;
      while (performance.now() - t0 < 1500) {
        for (let i = 0; i < 500; i++) c.sendChannel(0x4100, data);
        sent += 500;
        await new Promise((r) => setImmediate(r));
      }
      await new Promise((r) => setTimeout(r, 300));
      const secs = (performance.now() - t0) / 1000;
      const after = relay.stats();
      expect(sent).toBeGreaterThan(ALLOCATION_RATE * 3);
      expect(sink.count()).toBeLessThanOrEqual(ALLOCATION_RATE * (secs + 1));  // one second of burst
      expect(after.droppedQuota - before.droppedQuota).toBeGreaterThan(0);
      console.log(`flood: ${sent} sent in ${secs.toFixed(1)} s, ${sink.count()} reached the peer, ${after.droppedQuota - before.droppedQuota} dropped`);
      c.close();
      sink.close();
    });
  });

  it("oversize frames close the client (1009); an oversize datagram inside a frame is dropped", async () => {
    await withGoodClient("oversize frame", async () => {
      const sink = await udpPeer("127.0.0.1", false);
      const c = await TurnWsClient.connect(relay.url);
      const u = creds("big");
      expect((await c.allocate(u.username, u.credential))!.cls).toBe(Class.Success);
      expect((await c.bindChannel(0x4200, sink.address))!.cls).toBe(Class.Success);
      const before = relay.stats();
      c.sendChannel(0x4200, new Uint8Array(1600));  // fits the frame limit, over the 1500-byte datagram cap
      await new Promise((r) => setTimeout(r, 100));
      expect(relay.stats().droppedOversize - before.droppedOversize).toBe(1);
      expect(sink.count()).toBe(0);
      c.send(new Uint8Array(70_000));
      const closed = await c.closed;
      expect(closed.code).toBe(1009);
      sink.close();
    });
  });

  it("malformed frames close the client with a clear reason; text frames too", async () => {
    await withGoodClient("malformed frames", async () => {
      const cases: Array<[Uint8Array | string, number, RegExp]> = [
        ["hello", 1003, /binary frames/],
        [new Uint8Array([0, 1, 0, 0]), 1002, /shorter than a STUN header/],
        [new Uint8Array(20).fill(0), 1002, /magic cookie/],
        [Uint8Array.from([0x40, 0x01, 0x10, 0x00, 1, 2]), 1002, /ChannelData/],
        [Uint8Array.from([0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42, ...new Array(12).fill(7), 0x00, 0x06, 0x00, 0x40, 1, 2, 3, 4]), 1002, /overruns/],
      ];
      for (const [frame, code, reason] of cases) {
        const c = await TurnWsClient.connect(relay.url);
        if (typeof frame === "string") c.ws.send(frame);
        else c.send(frame);
        const closed = await c.closed;
        expect(closed.code).toBe(code);
        expect(closed.reason).toMatch(reason);
      }
    });
  });

  it("a client that never reads: datagrams for it are dropped once its buffer is full; the server's buffer stays bounded", async () => {
    await withGoodClient("client that never reads", async () => {
      const blaster = await udpPeer("127.0.0.1", false);
      const c = await TurnWsClient.connect(relay.url);
      const u = creds("sleeper");
      expect((await c.allocate(u.username, u.credential))!.cls).toBe(Class.Success);
      expect((await c.permit(blaster.address))!.cls).toBe(Class.Success);
      // Stop reading: the TCP window closes, the server's WebSocket queue fills.
      (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const before = relay.stats();
      const payload = new Uint8Array(1200);
      const t0 = performance.now();
      while (performance.now() - t0 < 2500) {
        for (let i = 0; i < 20; i++) blaster.socket.send(payload, c.relayed!.port, "127.0.0.1");
        await new Promise((r) => setTimeout(r, 10));
      }
      await new Promise((r) => setTimeout(r, 200));
      const after = relay.stats();
      expect(after.droppedSlowClient - before.droppedSlowClient).toBeGreaterThan(0);
      expect(after.maxClientBufferedBytes).toBeLessThanOrEqual(64 * 1024 + 2000);
      console.log(`never reads: ${after.droppedSlowClient - before.droppedSlowClient} datagrams dropped, server buffer peak ${after.maxClientBufferedBytes} B`);
      c.ws.terminate();
      blaster.close();
    });
  }, 20000);

  it("allocation caps: per user (486), Origin allowlist on upgrades (403)", async () => {
    await withGoodClient("caps and origins", async () => {
      const clients: TurnWsClient[] = [];
      const u = creds("greedy");
      for (let i = 0; i < 3; i++) {
        const c = await TurnWsClient.connect(relay.url);
        clients.push(c);
        expect((await c.allocate(u.username, u.credential))!.cls).toBe(Class.Success);
      }
      const extra = await TurnWsClient.connect(relay.url);
      expect(TurnWsClient.errorOf(await extra.allocate(u.username, u.credential))).toMatchObject({ code: 486 });
      for (const c of [...clients, extra]) c.close();
      await expect(TurnWsClient.connect(relay.url, { origin: "http://evil.test" })).rejects.toThrow(/403/);
      const ok = await TurnWsClient.connect(relay.url, { origin: "http://game.test" });
      ok.close();
      expect(relay.stats().refusedUpgrades.origin).toBeGreaterThanOrEqual(1);
    });
  });

  it("1,000 clients connecting, allocating and leaving: nothing is left behind", async () => {
    await withGoodClient("1,000 clients", async () => {
      const before = relay.stats();
      const heap0 = process.memoryUsage().heapUsed;
      for (let batch = 0; batch < 10; batch++) {
        const clients = await Promise.all(Array.from({ length: 100 }, () => TurnWsClient.connect(relay.url)));
        await Promise.all(clients.map(async (c, i) => {
          const u = creds(`crowd${batch}-${i}`);
          const r = await c.allocate(u.username, u.credential);
          expect(r!.cls).toBe(Class.Success);
        }));
        // Half leave politely, half just drop the TCP connection.
        clients.forEach((c, i) => (i % 2 ? c.close() : c.ws.terminate()));
        await Promise.all(clients.map((c) => c.closed));
      }
      const settle = performance.now();
      while ((relay.stats().clients > 1 || relay.stats().allocations > 1) && performance.now() - settle < 5000) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const after = relay.stats();
      expect(after.clients).toBe(1);  // the good client
      expect(after.allocations).toBe(1);
      expect(after.allocationsCreated - before.allocationsCreated).toBe(1000);
      const heapGrowth = process.memoryUsage().heapUsed - heap0;
      console.log(`1,000 clients: heap growth ${(heapGrowth / 1048576).toFixed(1)} MiB (test process, both ends)`);
      expect(heapGrowth).toBeLessThan(64 * 1048576);
    });
  }, 60000);

  it("a WebSocket with the wrong path or plain HTTP gets a clear refusal", async () => {
    await expect(TurnWsClient.connect(relay.url.replace(/\/$/, "/other"))).rejects.toThrow(/404/);
    const res = await fetch(relay.url.replace("ws:", "http:"));
    expect(res.status).toBe(426);
    expect(await res.text()).toMatch(/WebSocket/);
    const ws = new WebSocket(relay.url);
    await new Promise((r) => ws.once("open", r));
    ws.close();
  });
});
