// The relay's rules that relay-hostile.test.ts does not cover, one per test,
// each against a real server on 127.0.0.1: caps on allocations and clients,
// lifetimes, Refresh, idleness, permission and channel lifetimes (on a clock
// the test moves, through the `now` option), Data indications and
// ChannelData, the TURN error answers, the total quota, and wss://.
import { spawnSync } from "node:child_process";
import * as dgram from "node:dgram";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect as tcpConnect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRelayCredentials, createRelayServer, type RelayServer, type RelayServerOptions } from "../../src/relay/index.js";
import { Attr, Class, Method, attrValue, findAttr, getU32, getXorAddresses, type StunMessage } from "../../src/relay/stun.js";
import { TurnWsClient, udpPeer } from "./turn-ws-client.js";

const SECRET = "rules-test-secret";
const BASE = { secret: SECRET, host: "127.0.0.1", port: 0, relayIp: "127.0.0.1", allow: ["127.0.0.1/32"] } satisfies RelayServerOptions;
const creds = (user: string) => createRelayCredentials(SECRET, user, 3600);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** How the client was closed, or "still open" after `ms` (a test that fails should not wait for the 30 s timeout). */
const closedWithin = (c: TurnWsClient, ms: number) => Promise.race([c.closed, sleep(ms).then(() => "still open" as const)]);

// Everything a test opens is closed after it, passed or failed.
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});
async function server(options: Partial<RelayServerOptions> = {}): Promise<RelayServer> {
  const s = await createRelayServer({ ...BASE, ...options });
  cleanups.push(() => s.close());
  return s;
}
async function client(url: string, headers: Record<string, string> = {}, options = {}): Promise<TurnWsClient> {
  const c = await TurnWsClient.connect(url, headers, options);
  cleanups.push(() => c.ws.terminate());
  return c;
}
async function peer(echo = false) {
  const p = await udpPeer("127.0.0.1", echo);
  cleanups.push(() => p.close());
  return p;
}
/** A client with an allocation; `user` picks the credential. */
async function allocated(url: string, user: string, lifetime?: number): Promise<TurnWsClient> {
  const c = await client(url);
  const u = creds(user);
  const res = await c.allocate(u.username, u.credential, lifetime);
  expect(res?.cls, JSON.stringify(TurnWsClient.errorOf(res))).toBe(Class.Success);
  return c;
}
/** What reaches the client from peers: payload text and the channel (null for a Data indication). */
function inbox(c: TurnWsClient): Array<{ text: string; channel: number | null }> {
  const got: Array<{ text: string; channel: number | null }> = [];
  c.onPeerData = (d, channel) => got.push({ text: Buffer.from(d).toString(), channel });
  return got;
}
const lifetimeOf = (m: StunMessage | null) => (m ? getU32(m, Attr.Lifetime) : null);
const refresh = (c: TurnWsClient, lifetime?: number) =>
  c.request(Method.Refresh, (b) => (lifetime === undefined ? undefined : void b.addU32(Attr.Lifetime, lifetime)));
const fromPeer = (p: { socket: dgram.Socket }, c: TurnWsClient, text: string) => p.socket.send(Buffer.from(text), c.relayed!.port, "127.0.0.1");

describe("relay rules: caps", () => {
  it("total allocation cap: 508 Insufficient Capacity once the relay holds maxAllocations, a slot again after one leaves", async () => {
    const relay = await server({ maxAllocations: 2 });
    const a = await allocated(relay.url, "cap-a");
    await allocated(relay.url, "cap-b");
    const c = await client(relay.url);
    const u = creds("cap-c");
    const refused = await c.allocate(u.username, u.credential);
    expect(TurnWsClient.errorOf(refused)).toEqual({ code: 508, reason: "Insufficient Capacity: the relay is full" });
    expect(c.signedByServer(refused!)).toBe(true);
    expect(relay.stats().allocations).toBe(2);
    a.close();
    await waitFor("the first allocation to go", () => relay.stats().allocations === 1);
    const again = await c.request(Method.Allocate, (b) => b.addU32(Attr.RequestedTransport, 17 << 24));
    expect(again?.cls).toBe(Class.Success);
  });

  it("total client cap: HTTP 503 on upgrade past maxClients, room again after one leaves", async () => {
    const relay = await server({ maxClients: 2 });
    const a = await client(relay.url);
    await client(relay.url);
    await expect(TurnWsClient.connect(relay.url)).rejects.toThrow("HTTP 503");
    expect(relay.stats().refusedUpgrades.capacity).toBe(1);
    a.close();
    await waitFor("the first client to go", () => relay.stats().clients === 1);
    await client(relay.url);
  });

  it("per-IP client cap: HTTP 429 past maxClientsPerIp; another source address still gets in", async () => {
    const relay = await server({ maxClientsPerIp: 2 });
    await client(relay.url);
    await client(relay.url);
    await expect(TurnWsClient.connect(relay.url)).rejects.toThrow("HTTP 429");
    expect(relay.stats().refusedUpgrades["per-ip"]).toBe(1);
    await client(relay.url, {}, { localAddress: "127.0.0.2" });
    expect(relay.stats().clients).toBe(3);
  });
});

describe("relay rules: lifetimes", () => {
  it("Refresh with LIFETIME 0 deletes the allocation: its UDP port stops relaying and the stats drop it", async () => {
    const relay = await server();
    const p = await peer();
    const c = await allocated(relay.url, "deleter");
    const got = inbox(c);
    expect((await c.permit(p.address))?.cls).toBe(Class.Success);
    fromPeer(p, c, "before");
    await waitFor("the datagram before the delete", () => got.length === 1);
    const port = c.relayed!.port;
    const before = relay.stats();
    const res = await refresh(c, 0);
    expect(res?.cls).toBe(Class.Success);
    expect(lifetimeOf(res)).toBe(0);
    expect(relay.stats().allocations).toBe(before.allocations - 1);
    fromPeer(p, c, "after");
    await sleep(200);
    expect(got.map((g) => g.text)).toEqual(["before"]);
    // The port is free again: the allocation's socket is closed, not just muted.
    const probe = dgram.createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      probe.once("error", reject);
      probe.bind(port, "127.0.0.1", () => resolve());
    });
    probe.close();
    // Without an allocation a Refresh is a mismatch; a new Allocate works.
    expect(TurnWsClient.errorOf(await refresh(c))).toMatchObject({ code: 437 });
    expect((await c.request(Method.Allocate, (b) => b.addU32(Attr.RequestedTransport, 17 << 24)))?.cls).toBe(Class.Success);
  });

  it("LIFETIME: less than the default gets the default, more than the maximum the maximum (RFC 8656 §7.2, §8.2)", async () => {
    const relay = await server({ defaultLifetimeSeconds: 600, maxLifetimeSeconds: 3600 });
    const c = await allocated(relay.url, "lifetimes", 1);
    const again = await client(relay.url);
    const u = creds("lifetimes2");
    expect(lifetimeOf(await again.allocate(u.username, u.credential, 1))).toBe(600);
    expect(lifetimeOf(await refresh(c, 30))).toBe(600);
    expect(lifetimeOf(await refresh(c, 5000))).toBe(3600);
    expect(lifetimeOf(await refresh(c, 1200))).toBe(1200);
    expect(lifetimeOf(await refresh(c))).toBe(600);
    // The default never exceeds the maximum.
    const capped = await server({ maxLifetimeSeconds: 60 });
    const d = await client(capped.url);
    const v = creds("capped");
    expect(lifetimeOf(await d.allocate(v.username, v.credential))).toBe(60);
  });

  it("an allocation that is not refreshed expires: the sweep closes its client with the reason", async () => {
    const relay = await server({ defaultLifetimeSeconds: 1, maxLifetimeSeconds: 1 });
    const c = await allocated(relay.url, "expiring");
    // 1 s lifetime, 1 s sweep: closed within 3 s.
    expect(await closedWithin(c, 3000)).toEqual({ code: 1000, reason: "allocation expired (no Refresh)" });
    expect(relay.stats()).toMatchObject({ allocationsExpired: 1, allocations: 0 });
  });

  it("a Refresh extends the allocation; the one without it expires (the `now` option moves the clock)", async () => {
    let skew = 0;
    const relay = await server({ now: () => performance.now() + skew, idleTimeoutMs: 1e9 });
    const kept = await allocated(relay.url, "refresher");
    const dropped = await allocated(relay.url, "forgetter");
    skew += 500_000;
    expect(lifetimeOf(await refresh(kept, 600))).toBe(600);
    // A client without an allocation is closed by the same sweep (15 s auth timeout): when it goes, a sweep has run.
    const canary = await client(relay.url);
    skew += 200_000;  // 700 s: past the first lifetime, inside the refreshed one
    expect(await closedWithin(canary, 3000)).toMatchObject({ code: 1008 });
    expect(await closedWithin(dropped, 500)).toEqual({ code: 1000, reason: "allocation expired (no Refresh)" });
    expect(await closedWithin(kept, 100)).toBe("still open");
    const p = await peer();
    const got = inbox(kept);
    expect((await kept.permit(p.address))?.cls).toBe(Class.Success);
    fromPeer(p, kept, "still here");
    await waitFor("a datagram through the refreshed allocation", () => got.length === 1);
    // And without another Refresh it goes too.
    const canary2 = await client(relay.url);
    skew += 600_000;
    expect(await closedWithin(canary2, 3000)).toMatchObject({ code: 1008 });
    expect(await closedWithin(kept, 500)).toEqual({ code: 1000, reason: "allocation expired (no Refresh)" });
  });

  it("a client silent for idleTimeoutMs is closed; one that keeps sending is not", async () => {
    const relay = await server({ idleTimeoutMs: 1000 });
    const silent = await allocated(relay.url, "silent");
    const chatty = await allocated(relay.url, "chatty");
    const timer = setInterval(() => void chatty.request(Method.Binding, () => undefined, false), 200);
    cleanups.push(() => clearInterval(timer));
    expect(await closedWithin(silent, 3000)).toEqual({ code: 1000, reason: "idle: no frame for 1 s" });
    expect(await closedWithin(chatty, 1100)).toBe("still open");
    expect(relay.stats().closedIdle).toBe(1);
  });
});

describe("relay rules: permissions and channels", () => {
  let skew = 0;
  let relay: RelayServer;
  beforeAll(async () => {
    relay = await createRelayServer({ ...BASE, now: () => performance.now() + skew, idleTimeoutMs: 1e9, maxLifetimeSeconds: 3600 });
  });
  afterAll(() => relay?.close());

  it("a permission lasts 300 s (RFC 8656 §9) and a CreatePermission refreshes it; both directions stop when it expires", async () => {
    const c = await allocated(relay.url, "permits", 3600);
    const got = inbox(c);
    const a = await peer();
    expect((await c.permit(a.address))?.cls).toBe(Class.Success);
    c.sendIndication(a.address, Buffer.from("t0"));
    await waitFor("t0 at a", () => a.count() === 1);
    skew += 200_000;
    expect((await c.permit(a.address))?.cls).toBe(Class.Success);  // refreshed at 200 s: until 500 s
    skew += 250_000;  // 450 s
    c.sendIndication(a.address, Buffer.from("t450"));
    fromPeer(a, c, "from a at 450 s");
    await waitFor("t450 at a and a's datagram at the client", () => a.count() === 2 && got.length === 1);
    skew += 100_000;  // 550 s: expired
    const before = relay.stats().droppedNoPermission;
    c.sendIndication(a.address, Buffer.from("t550"));
    fromPeer(a, c, "from a at 550 s");
    await waitFor("both drops counted", () => relay.stats().droppedNoPermission - before === 2);
    await sleep(100);
    expect(a.count()).toBe(2);
    expect(got.map((g) => g.text)).toEqual(["from a at 450 s"]);
  });

  it("a channel lasts 600 s (RFC 8656 §12): after it, ChannelData is dropped and the peer's datagrams come as Data indications", async () => {
    const c = await allocated(relay.url, "channels", 3600);
    const got = inbox(c);
    const p = await peer();
    expect((await c.bindChannel(0x4005, p.address))?.cls).toBe(Class.Success);
    c.sendChannel(0x4005, Buffer.from("c0"));
    fromPeer(p, c, "p0");
    await waitFor("c0 at the peer and p0 at the client", () => p.count() === 1 && got.length === 1);
    expect(got[0]).toEqual({ text: "p0", channel: 0x4005 });
    // The permission (300 s) is kept alive; the channel is not rebound.
    for (const step of [250_000, 250_000]) {
      skew += step;
      expect((await c.permit(p.address))?.cls).toBe(Class.Success);
    }
    skew += 110_000;  // 610 s
    c.sendChannel(0x4005, Buffer.from("c610"));
    c.sendIndication(p.address, Buffer.from("s610"));
    fromPeer(p, c, "p610");
    await waitFor("s610 at the peer and p610 at the client", () => p.count() === 2 && got.length === 2);
    await sleep(100);
    expect(p.count()).toBe(2);  // c610 was dropped
    expect(got[1]).toEqual({ text: "p610", channel: null });
  });
});

describe("relay rules: Data indications and ChannelData", () => {
  it("before a ChannelBind the peer's datagrams come as Data indications, after it as ChannelData on that channel", async () => {
    const relay = await server();
    const echo = await peer(true);
    const c = await allocated(relay.url, "binder");
    const got = inbox(c);
    expect((await c.permit(echo.address))?.cls).toBe(Class.Success);
    c.sendIndication(echo.address, Buffer.from("one"));
    await waitFor("the first echo", () => got.length === 1);
    expect(got[0]).toEqual({ text: "one", channel: null });
    expect((await c.bindChannel(0x4abc, echo.address))?.cls).toBe(Class.Success);
    c.sendChannel(0x4abc, Buffer.from("two"));
    c.sendIndication(echo.address, Buffer.from("three"));  // a Send indication still works; its echo comes on the channel
    await waitFor("two more echoes", () => got.length === 3);
    expect(got.slice(1).sort((x, y) => x.text.localeCompare(y.text))).toEqual([{ text: "three", channel: 0x4abc }, { text: "two", channel: 0x4abc }]);
    expect(relay.stats()).toMatchObject({ datagramsToPeers: 3, datagramsFromPeers: 3 });
  });
});

describe("relay rules: TURN error answers", () => {
  let relay: RelayServer;
  beforeAll(async () => {
    relay = await createRelayServer(BASE);
  });
  afterAll(() => relay?.close());
  const transport = (proto = 17) => (b: { addU32(t: number, v: number): unknown }) => void b.addU32(Attr.RequestedTransport, proto << 24);

  it("437 for requests without an allocation and for a second Allocate; a retransmitted Allocate gets the same answer", async () => {
    const c = await client(relay.url);
    const u = creds("mismatch");
    expect(TurnWsClient.errorOf(await c.login(u.username, u.credential))).toMatchObject({ code: 401 });
    const p = { family: 4 as const, ip: "127.0.0.1", port: 9 };
    for (const res of [await refresh(c), await c.permit(p), await c.bindChannel(0x4001, p)]) {
      expect(TurnWsClient.errorOf(res)).toEqual({ code: 437, reason: "Allocation Mismatch" });
    }
    const created = relay.stats().allocationsCreated;
    const allocate = c.build(Method.Allocate, transport());
    const first = await c.exchange(allocate);
    expect(first?.cls).toBe(Class.Success);
    const retransmitted = await c.exchange(allocate);
    expect(Buffer.from(retransmitted!.bytes).equals(Buffer.from(first!.bytes))).toBe(true);
    expect(TurnWsClient.errorOf(await c.exchange(c.build(Method.Allocate, transport())))).toMatchObject({ code: 437 });
    expect(relay.stats().allocationsCreated - created).toBe(1);
  });

  it("420 with UNKNOWN-ATTRIBUTES for an unknown comprehension-required attribute; an unknown optional one is ignored", async () => {
    const c = await client(relay.url);
    const u = creds("unknown");
    await c.login(u.username, u.credential);
    const res = await c.request(Method.Allocate, (b) => b.addU32(Attr.RequestedTransport, 17 << 24).add(0x0031, new Uint8Array(4)).add(0x0032, new Uint8Array(2)));
    expect(TurnWsClient.errorOf(res)).toMatchObject({ code: 420 });
    const ua = attrValue(res!, findAttr(res!, Attr.UnknownAttributes)!);
    expect([new DataView(ua.buffer, ua.byteOffset).getUint16(0), new DataView(ua.buffer, ua.byteOffset).getUint16(2)]).toEqual([0x0031, 0x0032]);
    expect(relay.stats().allocations).toBe(0);
    const ok = await c.request(Method.Allocate, (b) => b.addU32(Attr.RequestedTransport, 17 << 24).add(0x8031, new Uint8Array(4)));
    expect(ok?.cls).toBe(Class.Success);
  });

  it("442 for REQUESTED-TRANSPORT TCP; nothing is allocated", async () => {
    const c = await client(relay.url);
    const u = creds("tcp");
    await c.login(u.username, u.credential);
    const before = relay.stats().allocationsCreated;
    expect(TurnWsClient.errorOf(await c.request(Method.Allocate, transport(6)))).toEqual({ code: 442, reason: "Unsupported Transport Protocol" });
    expect(relay.stats().allocationsCreated).toBe(before);
  });

  it("438 Stale Nonce for a wrong nonce, with the right one to retry", async () => {
    const c = await allocated(relay.url, "nonce");
    const stale = await c.exchange(c.build(Method.Refresh, () => undefined, { nonce: "not-the-nonce" }));
    expect(TurnWsClient.errorOf(stale)).toMatchObject({ code: 438 });
    const first401 = await (await client(relay.url)).request(Method.Refresh, () => undefined, false);
    expect(first401 && findAttr(first401, Attr.Nonce)).toBeTruthy();
    const nonce = new TextDecoder().decode(attrValue(stale!, findAttr(stale!, Attr.Nonce)!));
    expect((await c.exchange(c.build(Method.Refresh, () => undefined, { nonce })))?.cls).toBe(Class.Success);
  });

  it("441 Wrong Credentials when a second credential is used on the same allocation; the first still works", async () => {
    const c = await allocated(relay.url, "first");
    const other = creds("second");
    c.useCredential(other.username, other.credential);
    expect(TurnWsClient.errorOf(await refresh(c))).toEqual({ code: 441, reason: "Wrong Credentials" });
    // The same user with a credential of another expiry is another credential too.
    const later = createRelayCredentials(SECRET, "first", 7200);
    c.useCredential(later.username, later.credential);
    expect(TurnWsClient.errorOf(await refresh(c))).toMatchObject({ code: 441 });
    const first = creds("first");
    c.useCredential(first.username, first.credential);
    expect((await refresh(c))?.cls).toBe(Class.Success);
  });
});

describe("relay rules: quotas", () => {
  it("the total quota caps two allocations together, though each is under its own", async () => {
    const relay = await server({ totalQuota: { datagramsPerSecond: 100 } });
    const sinks = [await peer(), await peer()];
    const clients = [await allocated(relay.url, "q1"), await allocated(relay.url, "q2")];
    for (let i = 0; i < 2; i++) expect((await clients[i]!.bindChannel(0x4001, sinks[i]!.address))?.cls).toBe(Class.Success);
    const t0 = performance.now();
    for (let n = 0; n < 200; n++) for (const c of clients) c.sendChannel(0x4001, new Uint8Array(100));
    await waitFor("the relay to take every frame", () => relay.stats().datagramsToPeers + relay.stats().droppedQuota === 400);
    const secs = (performance.now() - t0) / 1000;
    await sleep(100);
    const delivered = sinks[0]!.count() + sinks[1]!.count();
    // One second of burst (100) plus 100/s for the time it took.
    expect(delivered).toBeLessThanOrEqual(100 + Math.ceil(100 * secs) + 1);
    expect(delivered).toBeGreaterThanOrEqual(100);
    expect(relay.stats().droppedQuota).toBe(400 - delivered);
  });
});

describe("relay rules: wss://", () => {
  const haveOpenssl = spawnSync("openssl", ["version"]).status === 0;
  it.skipIf(!haveOpenssl)("serves wss:// with a certificate made at test time", async () => {
    const dir = mkdtempSync(join(tmpdir(), "relay-tls-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const made = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "1", "-subj", "/CN=127.0.0.1"], { encoding: "utf8" });
    expect(made.status, made.stderr).toBe(0);
    const relay = await server({ tls: { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) } });
    expect(relay.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/$/);
    const c = await client(relay.url, {}, { rejectUnauthorized: false });
    const u = creds("tls");
    expect((await c.allocate(u.username, u.credential))?.cls).toBe(Class.Success);
    const echo = await peer(true);
    const got = inbox(c);
    expect((await c.bindChannel(0x4001, echo.address))?.cls).toBe(Class.Success);
    c.sendChannel(0x4001, Buffer.from("over tls"));
    await waitFor("the echo over wss", () => got.length === 1);
    expect(got[0]).toEqual({ text: "over tls", channel: 0x4001 });
    // A certificate check still applies when not turned off.
    await expect(TurnWsClient.connect(relay.url)).rejects.toThrow(/self[- ]signed|certificate/i);
  });
});

describe("relay rules: regressions", () => {
  it("allocationQuota with entries left undefined (as the CLI passes them) keeps the defaults; a zero quota is refused", async () => {
    const relay = await server({ allocationQuota: { datagramsPerSecond: undefined, bytesPerSecond: undefined }, totalQuota: { bytesPerSecond: undefined } });
    const echo = await peer(true);
    const c = await allocated(relay.url, "quota-defaults");
    const got = inbox(c);
    expect((await c.bindChannel(0x4001, echo.address))?.cls).toBe(Class.Success);
    for (let i = 0; i < 10; i++) c.sendChannel(0x4001, Buffer.from(`d${i}`));
    await waitFor("ten echoes", () => got.length === 10);
    expect(relay.stats().droppedQuota).toBe(0);
    await expect(createRelayServer({ ...BASE, allocationQuota: { datagramsPerSecond: 0 } })).rejects.toThrow(/allocationQuota\.datagramsPerSecond/);
  });

  it("a refused upgrade's socket is closed, not left half-open; close() waits neither for it nor for a half-sent request", async () => {
    const relay = await createRelayServer({ ...BASE, origins: ["http://game.test"] });
    let closed = false;
    try {
      const raw = (allowHalfOpen: boolean) => {
        const s: Socket = tcpConnect({ port: relay.port, host: "127.0.0.1", allowHalfOpen });
        s.on("error", () => undefined);
        cleanups.push(() => s.destroy());
        return s;
      };
      const refused = raw(true);
      let text = "";
      refused.on("data", (d) => (text += d.toString()));
      const ended = new Promise((r) => refused.once("end", r));
      const gone = new Promise((r) => refused.once("close", r));
      refused.write("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nOrigin: http://evil.test\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
      await ended;
      expect(text).toMatch(/^HTTP\/1.1 403/);
      // Our side is still open; writing to a socket the server destroyed gets a reset.
      const writer = setInterval(() => refused.writable && refused.write("x"), 50);
      cleanups.push(() => clearInterval(writer));
      expect(await Promise.race([gone.then(() => "closed"), sleep(2000).then(() => "still open")])).toBe("closed");
      const half = raw(false);
      half.write("GET / HTTP/1.1\r\nHost: x\r\n");
      await sleep(100);
      const t0 = performance.now();
      await Promise.race([relay.close(), sleep(3000)]);
      closed = true;
      expect(performance.now() - t0).toBeLessThan(1000);
    } finally {
      if (!closed) await Promise.race([relay.close(), sleep(1000)]);
    }
  });

  it("a dual-stack listener (host ::) reports an IPv4 client as IPv4 in XOR-MAPPED-ADDRESS", async (ctx) => {
    let relay: RelayServer;
    try {
      relay = await server({ host: "::" });
    } catch {
      return ctx.skip();  // no IPv6 here
    }
    const c = await client(`ws://127.0.0.1:${relay.port}/`);
    const res = await c.request(Method.Binding, () => undefined, false);
    const mapped = getXorAddresses(res!, Attr.XorMappedAddress)!;
    expect(mapped).toEqual([{ family: 4, ip: "127.0.0.1", port: (c.ws as unknown as { _socket: Socket })._socket.localPort }]);
  });
});
