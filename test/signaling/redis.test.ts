// Lobbies shared through Redis by two wasmrtc-signaling processes (the built
// CLI, spawned twice, each with its own Redis connections) in front of a
// redis-server of the test's own: peers of one lobby on different processes
// see each other join and leave and exchange offers, answers and candidates;
// seal, the host leaving and the lobby cap hold across processes; a process
// killed with SIGKILL is noticed through expiring keys; no key outlives its lobby.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "redis";
import { RawPeer, assertCliFresh, sleep, spawnCli, startRedis, type CliProcess, type RedisServer } from "./helpers.js";

const JOIN = 0, ID = 1, PEER_CONNECT = 2, PEER_DISCONNECT = 3, OFFER = 4, ANSWER = 5, CANDIDATE = 6, SEAL = 7;
const PREFIX = "t:";
const BEAT_MS = 150;
const SEAL_MS = 400;
let redis: RedisServer;
let db: ReturnType<typeof createClient>;
let a: CliProcess;
let b: CliProcess;
const procs: CliProcess[] = [];
const open: RawPeer[] = [];

const cliArgs = (prefix = PREFIX, extra: string[] = [], url = redis.url) => [
  "--redis", url, "--redis-prefix", prefix, "--redis-heartbeat-ms", String(BEAT_MS),
  "--seal-timeout-ms", String(SEAL_MS), "--no-lobby-timeout-ms", "5000", "--quiet", ...extra,
];
async function cli(prefix = PREFIX, extra: string[] = [], url = redis.url): Promise<CliProcess> {
  const p = await spawnCli(cliArgs(prefix, extra, url));
  procs.push(p);
  return p;
}

beforeAll(async () => {
  assertCliFresh();
  redis = await startRedis();
  db = createClient({ url: redis.url });
  db.on("error", () => undefined);
  await db.connect();
  [a, b] = await Promise.all([cli(), cli()]);
});
afterAll(async () => {
  for (const p of open) p.ws.terminate();
  for (const p of procs) await p.kill();
  await db?.close().catch(() => undefined);
  await redis?.stop();
});

async function peer(on: CliProcess): Promise<RawPeer> {
  const p = await RawPeer.connect(on.url);
  open.push(p);
  return p;
}
const keys = (pattern = `${PREFIX}lobby:*`) => db.keys(pattern);
async function until(cond: () => Promise<boolean> | boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await sleep(20);
  }
  return cond();
}

describe("signaling over Redis, two processes", () => {
  it("a lobby made on one process is joined through the other: ids, PEER_CONNECT both ways, the JOIN reply", async () => {
    const host = await peer(a);
    const made = await host.join("");
    expect(made).toMatchObject({ id: 1, mesh: true });
    expect(made.lobby).toMatch(/^[A-Za-z0-9]{16}$/);
    expect((await keys()).sort()).toEqual([`${PREFIX}lobby:${made.lobby}`, `${PREFIX}lobby:${made.lobby}:peers`]);

    const m1 = await peer(b);
    m1.send(JOIN, 0, made.lobby);
    await m1.count(3);
    expect(m1.got[0]).toMatchObject({ type: ID, data: "true" });
    const id1 = m1.got[0]!.id;
    expect(m1.got.slice(1)).toEqual([{ type: PEER_CONNECT, id: 1, data: "" }, { type: JOIN, id: 0, data: made.lobby }]);
    expect(await host.take(PEER_CONNECT)).toEqual({ type: PEER_CONNECT, id: id1, data: "" });

    const m2 = await peer(a);
    const { id: id2 } = await m2.join(made.lobby);
    expect(m2.got.filter((m) => m.type === PEER_CONNECT).map((m) => m.id).sort()).toEqual([1, id1].sort());
    expect((await host.take(PEER_CONNECT)).id).toBe(id2);
    await m1.count(4);
    expect(m1.got[3]).toEqual({ type: PEER_CONNECT, id: id2, data: "" });
    expect(new Set([1, id1, id2]).size).toBe(3);
  });

  it("OFFER / ANSWER / CANDIDATE cross processes to the right peer with the sender's id; a bad destination is refused", async () => {
    const host = await peer(a);
    const { lobby } = await host.join("");
    const m1 = await peer(b);
    const { id: id1 } = await m1.join(lobby);
    const m2 = await peer(a);
    const { id: id2 } = await m2.join(lobby);
    const cand = "\n0\n0\ncandidate:1 1 udp 2130706431 127.0.0.1 40000 typ host";
    // The higher id offers (multiplayer_client.gd): m1 and m2 offer the host; between them, the higher one.
    m1.send(OFFER, 1, "offer 1→host");
    m2.send(OFFER, 1, "offer 2→host");
    const offers = [await host.take(OFFER), await host.take(OFFER)].sort((x, y) => x.id - y.id);
    expect(offers).toEqual([{ type: OFFER, id: id1, data: "offer 1→host" }, { type: OFFER, id: id2, data: "offer 2→host" }].sort((x, y) => x.id - y.id));
    host.send(ANSWER, id1, "answer host→1");
    host.send(CANDIDATE, id1, cand);
    expect(await m1.take(ANSWER)).toEqual({ type: ANSWER, id: 1, data: "answer host→1" });
    expect(await m1.take(CANDIDATE)).toEqual({ type: CANDIDATE, id: 1, data: cand });
    m1.send(OFFER, id2, "offer 1→2 across");
    expect(await m2.take(OFFER)).toEqual({ type: OFFER, id: id1, data: "offer 1→2 across" });
    m2.send(ANSWER, id1, "answer 2→1 across");
    expect(await m1.take(ANSWER)).toEqual({ type: ANSWER, id: id2, data: "answer 2→1 across" });
    // Order is kept: 50 candidates from one side arrive in order on the other process.
    for (let i = 0; i < 50; i++) m2.send(CANDIDATE, id1, `\n0\n${i}\nc${i}`);
    const got: string[] = [];
    for (let i = 0; i < 50; i++) got.push((await m1.take(CANDIDATE)).data);
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => `\n0\n${i}\nc${i}`));
    m1.send(OFFER, 987654, "nobody");
    expect(await m1.closed).toEqual({ code: 4000, reason: "Invalid destination" });
    expect((await host.take(PEER_DISCONNECT)).id).toBe(id1);
    expect((await m2.take(PEER_DISCONNECT)).id).toBe(id1);
  });

  it("client/server lobby across processes: members see only the host, and the host hears who leaves", async () => {
    const host = await peer(b);
    const made = await host.join("", false);
    expect(made.mesh).toBe(false);
    const m1 = await peer(a);
    const j1 = await m1.join(made.lobby);
    const m2 = await peer(b);
    const j2 = await m2.join(made.lobby);
    expect(j1.mesh || j2.mesh).toBe(false);
    expect(m2.got.filter((m) => m.type === PEER_CONNECT).map((m) => m.id)).toEqual([1]);
    expect([(await host.take(PEER_CONNECT)).id, (await host.take(PEER_CONNECT)).id]).toEqual([j1.id, j2.id]);
    m1.close();
    expect((await host.take(PEER_DISCONNECT)).id).toBe(j1.id);
    await sleep(100);
    expect(m2.got.some((m) => m.type === PEER_DISCONNECT || (m.type === PEER_CONNECT && m.id !== 1))).toBe(false);
    m2.send(OFFER, j1.id, "to a stranger");
    expect(await m2.closed).toEqual({ code: 4000, reason: "Invalid destination" });
  });

  it("the host leaving closes members on the other process with 4000, and the lobby's keys go", async () => {
    const host = await peer(a);
    const { lobby } = await host.join("");
    const members = [await peer(b), await peer(b), await peer(a)];
    for (const m of members) await m.join(lobby);
    expect(await keys(`${PREFIX}lobby:${lobby}*`)).toHaveLength(2);
    host.close();
    for (const m of members) expect(await m.closed).toEqual({ code: 4000, reason: "Room host has disconnected" });
    expect(await until(async () => (await keys(`${PREFIX}lobby:${lobby}*`)).length === 0)).toBe(true);
    expect(await db.zScore(`${PREFIX}lobbies`, lobby)).toBeNull();
    const late = await peer(b);
    late.send(JOIN, 0, lobby);
    expect(await late.closed).toEqual({ code: 4000, reason: "Lobby does not exists" });
  });

  it("SEAL crosses processes; joins are refused everywhere; after the timeout all close with 1000 and the keys go", async () => {
    const host = await peer(b);
    const { lobby } = await host.join("");
    const m = await peer(a);
    const { id } = await m.join(lobby);
    m.send(SEAL, 0);
    expect(await m.closed).toEqual({ code: 4000, reason: "Only host can seal the lobby" });
    expect((await host.take(PEER_DISCONNECT)).id).toBe(id);
    const m2 = await peer(a);
    await m2.join(lobby);
    host.send(SEAL, 0);
    expect(await m2.take(SEAL)).toEqual({ type: SEAL, id: 0, data: "" });
    expect(await host.take(SEAL)).toEqual({ type: SEAL, id: 0, data: "" });
    for (const on of [a, b]) {
      const late = await peer(on);
      late.send(JOIN, 0, lobby);
      expect(await late.closed).toEqual({ code: 4000, reason: "Lobby is sealed" });
    }
    expect(await m2.closed).toEqual({ code: 1000, reason: "Seal complete" });
    expect(await host.closed).toEqual({ code: 1000, reason: "Seal complete" });
    expect(await until(async () => (await keys(`${PREFIX}lobby:${lobby}*`)).length === 0)).toBe(true);
  });

  it("the lobby cap counts lobbies on every process", async () => {
    const [c1, c2] = await Promise.all([cli("cap:", ["--max-lobbies", "3"]), cli("cap:", ["--max-lobbies", "3"])]);
    const hosts = [await peer(c1), await peer(c2), await peer(c1)];
    for (const h of hosts) await h.join("");
    const fourth = await peer(c2);
    fourth.send(JOIN, 0, "");
    expect(await fourth.closed).toEqual({ code: 4000, reason: "Too many lobbies open, disconnecting" });
    hosts[1]!.close();
    await until(async () => (await db.zCard("cap:lobbies")) === 2);
    const fifth = await peer(c2);
    expect((await fifth.join("")).id).toBe(1);
    for (const h of [...hosts, fifth]) h.close();
    expect(await until(async () => (await db.keys("cap:lobby*")).length === 0)).toBe(true);
    expect(await c1.stop()).toBe(0);
    expect(await c2.stop()).toBe(0);
    expect(await db.keys("cap:*")).toEqual([]);
  });

  it("a process killed with SIGKILL: its members are announced gone, its lobbies expire and their members are closed", async () => {
    const [c1, c2] = await Promise.all([cli("kill:"), cli("kill:")]);
    // Lobby X hosted on c1 with a member on c2; lobby Y hosted on c2 with a member on c1.
    const hostX = await peer(c1);
    const x = await hostX.join("");
    const memberX = await peer(c2);
    const { id: idX } = await memberX.join(x.lobby);
    const hostY = await peer(c2);
    const y = await hostY.join("");
    const memberY = await peer(c1);
    await memberY.join(y.lobby);
    await c2.kill();
    const t0 = Date.now();
    // c1 notices c2's member of X once c2's key expired (3 beats) and tells X's host.
    expect(await hostX.take(PEER_DISCONNECT, 3000)).toEqual({ type: PEER_DISCONNECT, id: idX, data: "" });
    // Y's host died with c2: Y's keys expire and c1 closes Y's member as the host leaving would.
    expect(await memberY.closed).toEqual({ code: 4000, reason: "Room host has disconnected" });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(await until(async () => (await db.keys(`kill:lobby:${y.lobby}*`)).length === 0)).toBe(true);
    expect(await until(async () => (await db.zScore("kill:lobbies", y.lobby)) === null)).toBe(true);
    expect((await db.keys("kill:proc:*")).length).toBe(1);
    // X goes on.
    const again = await peer(c1);
    expect((await again.join(x.lobby)).id).toBeGreaterThan(1);
    hostX.close();
    await again.closed;
    expect(await c1.stop()).toBe(0);
    expect(await until(async () => (await db.keys("kill:*")).length === 0)).toBe(true);
  });

  it("Redis going away: the connections asking are closed with 1011, the process lives on and works again once Redis is back", async () => {
    const own = await startRedis();
    try {
      const c = await cli("away:", [], own.url);
      const host = await peer(c);
      const { lobby } = await host.join("");
      const m = await peer(c);
      await m.join(lobby);
      await own.stop();
      m.send(OFFER, 1, "while Redis is away");
      expect(await m.closed).toEqual({ code: 1011, reason: "Internal server error" });
      const newcomer = await peer(c);
      newcomer.send(JOIN, 0, "");
      expect(await newcomer.closed).toEqual({ code: 1011, reason: "Internal server error" });
      expect(c.child.exitCode).toBeNull();
      // Back, empty (no persistence): the host's lobby is gone, and new lobbies work.
      const back = await startRedis(Number(new URL(own.url).port));
      try {
        expect(await host.closed).toEqual({ code: 4000, reason: "Server error, lobby not found" });
        let joined = false;
        for (let i = 0; i < 40 && !joined; i++) {
          const p = await peer(c);
          p.send(JOIN, 0, "");
          joined = await Promise.race([p.take(ID, 5000).then(() => true, () => false), p.closed.then(() => false)]);
          if (!joined) await sleep(100);
        }
        expect(joined).toBe(true);
        expect(await c.stop()).toBe(0);
      } finally {
        await back.stop();
      }
    } finally {
      await own.stop();
    }
  });

  it("SIGTERM on both processes: clients get 1001, every key is gone", async () => {
    const host = await peer(a);
    const { lobby } = await host.join("");
    const m = await peer(b);
    await m.join(lobby);
    expect(await keys()).not.toEqual([]);
    const [ca, cb] = await Promise.all([a.stop(), b.stop()]);
    expect([ca, cb]).toEqual([0, 0]);
    expect((await host.closed).code).toBe(1001);
    expect([1001, 4000]).toContain((await m.closed).code);  // whichever reached it first
    expect(await db.keys(`${PREFIX}*`)).toEqual([]);
  });
});
