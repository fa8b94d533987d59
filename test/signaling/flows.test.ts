// The demo's flows against a real server on 127.0.0.1 (lobbies in memory),
// with raw WebSocket clients speaking the JSON frames by hand: creating and
// joining lobbies, ids, announcements, relaying with the sender's id, the
// mesh flag, leaving, the host leaving, sealing and the seal timeout.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSignalingServer, type SignalingServer } from "../../src/signaling/index.js";
import { RawPeer, sleep } from "./helpers.js";

const JOIN = 0, ID = 1, PEER_CONNECT = 2, PEER_DISCONNECT = 3, OFFER = 4, ANSWER = 5, CANDIDATE = 6, SEAL = 7;
const SEAL_MS = 300;
let server: SignalingServer;
let allServer: SignalingServer;
const open: RawPeer[] = [];

beforeAll(async () => {
  server = await createSignalingServer({ host: "127.0.0.1", port: 0, sealCloseTimeoutMs: SEAL_MS, noLobbyTimeoutMs: 5000 });
  allServer = await createSignalingServer({ host: "127.0.0.1", port: 0, clientServerAnnounce: "all", noLobbyTimeoutMs: 5000 });
});
afterAll(async () => {
  for (const p of open) p.ws.terminate();
  await server?.close();
  await allServer?.close();
});

async function peer(s = server): Promise<RawPeer> {
  const p = await RawPeer.connect(s.url);
  open.push(p);
  return p;
}
/** A host and `n` members in one lobby, every announcement consumed. */
async function lobbyOf(n: number, mesh = true, s = server) {
  const host = await peer(s);
  const { lobby } = await host.join("", mesh);
  const members: Array<{ p: RawPeer; id: number }> = [];
  for (let i = 0; i < n; i++) {
    const p = await peer(s);
    const { id } = await p.join(lobby);
    members.push({ p, id });
  }
  await sleep(50);
  return { host, lobby, members };
}

describe("signaling flows (in memory)", () => {
  it("JOIN with empty data creates a lobby: ID 1 (data 'true' for a mesh), then JOIN with the lobby's name", async () => {
    const host = await peer();
    host.send(JOIN, 0, "");
    await host.count(2);
    expect(host.got).toEqual([{ type: ID, id: 1, data: "true" }, { type: JOIN, id: 0, data: expect.stringMatching(/^[A-Za-z0-9]{16}$/) }]);
    expect(host.raw[0]).toBe('{"type":1,"id":1,"data":"true"}');
    expect(server.stats().lobbies).toBeGreaterThanOrEqual(1);
  });

  it("joining: the newcomer gets ID, a PEER_CONNECT per member, then JOIN; members get PEER_CONNECT of the newcomer", async () => {
    const host = await peer();
    const { lobby } = await host.join("");
    const b = await peer();
    b.send(JOIN, 0, lobby);
    await b.count(3);
    expect(b.got[0]!.type).toBe(ID);
    const idB = b.got[0]!.id;
    expect(idB).toBeGreaterThanOrEqual(2);
    expect(idB).toBeLessThanOrEqual(2147483647);
    expect(b.got.slice(1)).toEqual([{ type: PEER_CONNECT, id: 1, data: "" }, { type: JOIN, id: 0, data: lobby }]);
    expect(await host.take(PEER_CONNECT)).toEqual({ type: PEER_CONNECT, id: idB, data: "" });

    const c = await peer();
    c.send(JOIN, 0, lobby);
    await c.count(4);
    const idC = c.got[0]!.id;
    expect(c.got[0]).toEqual({ type: ID, id: idC, data: "true" });
    expect(c.got.slice(1, 3).map((m) => m.type)).toEqual([PEER_CONNECT, PEER_CONNECT]);
    expect(c.got.slice(1, 3).map((m) => m.id).sort()).toEqual([1, idB].sort());
    expect(c.got[3]).toEqual({ type: JOIN, id: 0, data: lobby });
    expect((await host.take(PEER_CONNECT)).id).toBe(idC);
    await b.count(4);
    expect(b.got[3]).toEqual({ type: PEER_CONNECT, id: idC, data: "" });
    expect(new Set([1, idB, idC]).size).toBe(3);
  });

  it("OFFER / ANSWER / CANDIDATE reach only their destination, carrying the sender's id (the host is 1)", async () => {
    const { host, members: [b, c] } = await lobbyOf(2);
    const cand = "\n0\n0\ncandidate:1 1 udp 2130706431 127.0.0.1 5000 typ host";
    b!.p.send(OFFER, 1, "offer from b");
    expect(await host.take(OFFER)).toEqual({ type: OFFER, id: b!.id, data: "offer from b" });
    host.send(ANSWER, b!.id, "answer from host");
    expect(await b!.p.take(ANSWER)).toEqual({ type: ANSWER, id: 1, data: "answer from host" });
    c!.p.send(OFFER, b!.id, "offer c→b");
    b!.p.send(CANDIDATE, c!.id, cand);
    expect(await b!.p.take(OFFER)).toEqual({ type: OFFER, id: c!.id, data: "offer c→b" });
    expect(await c!.p.take(CANDIDATE)).toEqual({ type: CANDIDATE, id: b!.id, data: cand });
    // A large SDP goes through unchanged.
    const big = "a=x\r\n".repeat(4000);
    host.send(OFFER, c!.id, big);
    expect((await c!.p.take(OFFER)).data).toBe(big);
    await sleep(50);
    // Nobody got what was not theirs.
    expect(host.got.filter((m) => m.type >= OFFER).length).toBe(1);
    expect(b!.p.got.filter((m) => m.type >= OFFER).length).toBe(2);
    expect(c!.p.got.filter((m) => m.type >= OFFER).length).toBe(2);
    expect(server.stats().relayed).toBeGreaterThanOrEqual(5);
  });

  it("the mesh flag is the creator's: JOIN id 1 makes a client/server lobby (ID data ''), a joiner's id does not change it", async () => {
    const host = await peer();
    const made = await host.join("", false);
    expect(made).toMatchObject({ id: 1, mesh: false });
    const b = await peer();
    b.send(JOIN, 0, made.lobby);  // asks for a mesh: the lobby stays client/server
    expect((await b.take(ID)).data).toBe("");
    const meshHost = await peer();
    const m = await meshHost.join("", true);
    const c = await peer();
    c.send(JOIN, 1, m.lobby);
    expect((await c.take(ID)).data).toBe("true");
  });

  it("client/server lobby: members see only the host and cannot address each other; the host sees all", async () => {
    const { host, lobby, members: [b, c] } = await lobbyOf(2, false);
    expect(b!.p.got.filter((m) => m.type === PEER_CONNECT).map((m) => m.id)).toEqual([1]);
    expect(c!.p.got.filter((m) => m.type === PEER_CONNECT).map((m) => m.id)).toEqual([1]);
    expect(host.got.filter((m) => m.type === PEER_CONNECT).map((m) => m.id)).toEqual([b!.id, c!.id]);
    c!.p.send(OFFER, 1, "to host");
    expect(await host.take(OFFER)).toMatchObject({ id: c!.id });
    // b leaving is news to the host only.
    b!.p.close();
    expect(await host.take(PEER_DISCONNECT)).toMatchObject({ id: b!.id });
    await sleep(50);
    expect(c!.p.got.some((m) => m.type === PEER_DISCONNECT)).toBe(false);
    // An unannounced member is no destination.
    const d = await peer();
    const { id: idD } = await d.join(lobby);
    d.send(OFFER, c!.id, "sneaky");
    expect(await d.closed).toEqual({ code: 4000, reason: "Invalid destination" });
    expect(c!.p.got.some((m) => m.type === OFFER)).toBe(false);
    expect(idD).toBeGreaterThan(1);
  });

  it("clientServerAnnounce 'all' (server.js): every member is announced to every other and may address it", async () => {
    const { members: [b, c] } = await lobbyOf(2, false, allServer);
    expect(c!.p.got.filter((m) => m.type === PEER_CONNECT).map((m) => m.id).sort()).toEqual([1, b!.id].sort());
    expect((await b!.p.take(PEER_CONNECT)).id).toBe(1);
    c!.p.send(OFFER, b!.id, "c to b");
    expect(await b!.p.take(OFFER)).toEqual({ type: OFFER, id: c!.id, data: "c to b" });
  });

  it("a member leaving: the others get PEER_DISCONNECT with its id; the lobby goes on", async () => {
    const { host, lobby, members: [b, c] } = await lobbyOf(2);
    c!.p.close();
    expect(await host.take(PEER_DISCONNECT)).toEqual({ type: PEER_DISCONNECT, id: c!.id, data: "" });
    expect(await b!.p.take(PEER_DISCONNECT)).toEqual({ type: PEER_DISCONNECT, id: c!.id, data: "" });
    // Still joinable; the departed id is no destination any more.
    const d = await peer();
    expect((await d.join(lobby)).id).toBeGreaterThan(1);
    b!.p.send(OFFER, c!.id, "to the departed");
    expect(await b!.p.closed).toEqual({ code: 4000, reason: "Invalid destination" });
  });

  it("the host leaving ends the lobby: every member is closed with 4000 'Room host has disconnected'", async () => {
    const before = server.stats();
    const { host, lobby, members } = await lobbyOf(3);
    host.close();
    for (const m of members) expect(await m.p.closed).toEqual({ code: 4000, reason: "Room host has disconnected" });
    const late = await peer();
    late.send(JOIN, 0, lobby);
    expect(await late.closed).toEqual({ code: 4000, reason: "Lobby does not exists" });
    const after = server.stats();
    expect(after.lobbiesClosed - before.lobbiesClosed).toBe(1);
    expect(after.closed["Room host has disconnected"]! - (before.closed["Room host has disconnected"] ?? 0)).toBe(3);
  });

  it("SEAL by a member is refused (4000 'Only host can seal the lobby'); by the host it reaches everyone, host included", async () => {
    const { host, lobby, members: [b, c] } = await lobbyOf(2);
    b!.p.send(SEAL, 0);
    expect(await b!.p.closed).toEqual({ code: 4000, reason: "Only host can seal the lobby" });
    expect((await host.take(PEER_DISCONNECT)).id).toBe(b!.id);
    const t0 = Date.now();
    host.send(SEAL, 0);
    expect(await host.take(SEAL)).toEqual({ type: SEAL, id: 0, data: "" });
    expect(await c!.p.take(SEAL)).toEqual({ type: SEAL, id: 0, data: "" });
    // Sealed: joins are refused, but signaling inside the lobby goes on until the timeout.
    const late = await peer();
    late.send(JOIN, 0, lobby);
    expect(await late.closed).toEqual({ code: 4000, reason: "Lobby is sealed" });
    c!.p.send(ANSWER, 1, "still signaling");
    expect((await host.take(ANSWER)).id).toBe(c!.id);
    // A second SEAL changes nothing (no second timer, no error).
    host.send(SEAL, 0);
    // After the seal timeout everyone, host included, is closed with 1000 "Seal complete".
    expect(await host.closed).toEqual({ code: 1000, reason: "Seal complete" });
    expect(await c!.p.closed).toEqual({ code: 1000, reason: "Seal complete" });
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(SEAL_MS - 20);
    expect(took).toBeLessThan(SEAL_MS + 1000);
    expect(host.got.filter((m) => m.type === SEAL)).toHaveLength(1);
    const again = await peer();
    again.send(JOIN, 0, lobby);
    expect(await again.closed).toEqual({ code: 4000, reason: "Lobby does not exists" });
  });

  it("the host leaving a sealed lobby before the timeout closes the others with 4000 at once", async () => {
    const { host, members: [b] } = await lobbyOf(1);
    host.send(SEAL, 0);
    await b!.p.take(SEAL);
    const t0 = Date.now();
    host.close();
    expect(await b!.p.closed).toEqual({ code: 4000, reason: "Room host has disconnected" });
    expect(Date.now() - t0).toBeLessThan(SEAL_MS);
  });
});
