// The signaling server against clients that break the rules, one rule per
// test, each answered as the demo's server.js answers it (close 4000 with its
// reason text) or, for the limits the demo lacks, with ours. A well-behaved
// host/member pair on the same server keeps signaling throughout.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createSignalingServer, type SignalingServer } from "../../src/signaling/index.js";
import { RawPeer, sleep } from "./helpers.js";

const JOIN = 0, ID = 1, OFFER = 4, ANSWER = 5, SEAL = 7;
let server: SignalingServer;
let good: { host: RawPeer; member: RawPeer; memberId: number; exchanged: number; stop: () => Promise<void> };
const open: RawPeer[] = [];

beforeAll(async () => {
  server = await createSignalingServer({
    host: "127.0.0.1", port: 0, maxPeers: 40, maxLobbies: 6, maxPeersPerLobby: 3, noLobbyTimeoutMs: 300,
    maxFrameBytes: 16 * 1024, rateLimit: { messagesPerSecond: 20, messagesBurst: 40 }, maxBufferedBytes: 64 * 1024,
    pingIntervalMs: 150,
  });
  // The good pair: an offer and an answer every 50 ms for as long as the tests run (within the rate).
  const host = await RawPeer.connect(server.url);
  const { lobby } = await host.join("");
  const member = await RawPeer.connect(server.url);
  const { id: memberId } = await member.join(lobby);
  let running = true;
  const state = { host, member, memberId, exchanged: 0, stop: async () => { running = false; await loop; } };
  const loop = (async () => {
    while (running) {
      member.send(OFFER, 1, `offer ${state.exchanged}`);
      const o = await host.take(OFFER);
      host.send(ANSWER, o.id, `answer ${state.exchanged}`);
      await member.take(ANSWER);
      state.exchanged++;
      await sleep(50);
    }
  })();
  good = state;
});
afterAll(async () => {
  await good?.stop();
  for (const p of open) p.ws.terminate();
  good?.host.ws.terminate();
  good?.member.ws.terminate();
  await server?.close();
});

/** Every connection but the good pair's gone, and the server has noticed. */
beforeEach(async () => {
  for (const p of open.splice(0)) p.ws.terminate();
  const t0 = Date.now();
  while ((server.stats().peers > 2 || server.stats().lobbies > 1) && Date.now() - t0 < 2000) await sleep(10);
  expect(server.stats()).toMatchObject({ peers: 2, lobbies: 1 });
});

async function peer(headers: Record<string, string> = {}): Promise<RawPeer> {
  const p = await RawPeer.connect(server.url, headers);
  open.push(p);
  return p;
}

/** Runs `hostile`, then checks the good pair kept exchanging meanwhile. */
async function withGoodPair(hostile: () => Promise<void>): Promise<void> {
  const before = good.exchanged;
  await hostile();
  await sleep(100);
  expect(good.exchanged, "the good pair stalled").toBeGreaterThan(before);
  expect(good.host.ws.readyState).toBe(WebSocket.OPEN);
  expect(good.member.ws.readyState).toBe(WebSocket.OPEN);
}

describe("signaling: bad frames, answered as server.js answers them", () => {
  it("invalid JSON, a JSON value that is not an object, a negative or non-number type or id: 4000 'Invalid message format'", async () => {
    await withGoodPair(async () => {
      for (const frame of ["{not json", "null", "[1,2]", '"text"', '{"type":-1,"id":0}', '{"type":0,"id":-5}', '{"type":"0","id":0}', '{"id":0}']) {
        const p = await peer();
        p.sendRaw(frame);
        expect(await p.closed, frame).toEqual({ code: 4000, reason: "Invalid message format" });
      }
    });
  });

  it("a binary frame: 4000 'Invalid transfer mode, must be text'", async () => {
    await withGoodPair(async () => {
      const p = await peer();
      p.sendRaw(Buffer.from(JSON.stringify({ type: JOIN, id: 0, data: "" })), true);
      expect(await p.closed).toEqual({ code: 4000, reason: "Invalid transfer mode, must be text" });
    });
  });

  it("anything but JOIN before joining: 4000 'Invalid message when not in a lobby'", async () => {
    await withGoodPair(async () => {
      for (const type of [OFFER, SEAL, ID, 42]) {
        const p = await peer();
        p.send(type, 1, "x");
        expect(await p.closed).toEqual({ code: 4000, reason: "Invalid message when not in a lobby" });
      }
    });
  });

  it("an unknown type, or one only the server sends (ID, PEER_CONNECT, PEER_DISCONNECT), in a lobby: 4000 'Invalid command'", async () => {
    await withGoodPair(async () => {
      for (const type of [1, 2, 3, 8, 1000]) {
        const p = await peer();
        await p.join("");
        p.send(type, 1, "");
        expect(await p.closed, `type ${type}`).toEqual({ code: 4000, reason: "Invalid command" });
      }
    });
  });

  it("a message to a peer not in the lobby (0, an unknown id, a member of another lobby): 4000 'Invalid destination'", async () => {
    await withGoodPair(async () => {
      for (const dest of [0, 123456, good.memberId]) {
        const p = await peer();
        await p.join("");
        p.send(OFFER, dest, "sdp");
        expect(await p.closed, `dest ${dest}`).toEqual({ code: 4000, reason: "Invalid destination" });
      }
      await sleep(50);
      expect(good.member.got.some((m) => m.data === "sdp")).toBe(false);
    });
  });

  it("joining twice (creating or joining): 4000 'Already in a lobby'; a lobby that does not exist: 4000 'Lobby does not exists'", async () => {
    await withGoodPair(async () => {
      const a = await peer();
      const { lobby } = await a.join("");
      a.send(JOIN, 0, "");
      expect(await a.closed).toEqual({ code: 4000, reason: "Already in a lobby" });
      const host = await peer();
      const other = await host.join("");
      const b = await peer();
      await b.join(other.lobby);
      b.send(JOIN, 0, other.lobby);
      expect(await b.closed).toEqual({ code: 4000, reason: "Already in a lobby" });
      const c = await peer();
      c.send(JOIN, 0, "NoSuchLobby12345");
      expect(await c.closed).toEqual({ code: 4000, reason: "Lobby does not exists" });
      expect(lobby).not.toBe(other.lobby);
    });
  });

  it("no JOIN within noLobbyTimeoutMs: 4000 'Have not joined lobby yet'", async () => {
    await withGoodPair(async () => {
      const p = await peer();
      const t0 = Date.now();
      expect(await p.closed).toEqual({ code: 4000, reason: "Have not joined lobby yet" });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
      expect(Date.now() - t0).toBeLessThan(1500);
    });
  });
});

describe("signaling: limits", () => {
  it("too many lobbies: 4000 'Too many lobbies open, disconnecting'; joining an existing one still works", async () => {
    await withGoodPair(async () => {
      const hosts: RawPeer[] = [];
      let refused: { code: number; reason: string } | null = null;
      for (let i = 0; i < 8 && !refused; i++) {
        const h = await peer();
        h.send(JOIN, 0, "");
        const first = await Promise.race([h.take(ID).then(() => null), h.closed]);
        if (first) refused = first;
        else hosts.push(h);
      }
      expect(refused).toEqual({ code: 4000, reason: "Too many lobbies open, disconnecting" });
      expect(server.stats().lobbies).toBe(6);  // the good pair's and five here
      expect(hosts).toHaveLength(5);
      const lobby = (await hosts[0]!.take(JOIN)).data;
      const m = await peer();
      expect((await m.join(lobby)).id).toBeGreaterThan(1);
      for (const h of hosts) h.close();
      await sleep(100);
      expect(server.stats().lobbies).toBe(1);
    });
  });

  it("a full lobby: 4000 'Lobby is full'", async () => {
    await withGoodPair(async () => {
      const h = await peer();
      const { lobby } = await h.join("");
      await (await peer()).join(lobby);
      await (await peer()).join(lobby);
      const fourth = await peer();
      fourth.send(JOIN, 0, lobby);
      expect(await fourth.closed).toEqual({ code: 4000, reason: "Lobby is full" });
      h.close();
    });
  });

  it("too many connections: the WebSocket opens and closes with 4000 'Too many peers connected'", async () => {
    const small = await createSignalingServer({ host: "127.0.0.1", port: 0, maxPeers: 5 });
    try {
      const five = await Promise.all(Array.from({ length: 5 }, () => RawPeer.connect(small.url)));
      const extra = await RawPeer.connect(small.url);
      expect(await extra.closed).toEqual({ code: 4000, reason: "Too many peers connected" });
      expect(small.stats()).toMatchObject({ peers: 5, connectionsAccepted: 5 });
      five[0]!.ws.terminate();
      await sleep(50);
      const again = await RawPeer.connect(small.url);
      expect((await again.join("")).id).toBe(1);
      for (const p of [...five, again]) p.ws.terminate();
    } finally {
      await small.close();
    }
  });

  it("a frame over maxFrameBytes: closed with 1009 by ws", async () => {
    await withGoodPair(async () => {
      const p = await peer();
      await p.join("");
      p.send(OFFER, 1, "x".repeat(20 * 1024));
      expect((await p.closed).code).toBe(1009);
    });
  });

  it("a flood over the rate: 4000 'Too many messages, slow down'", async () => {
    await withGoodPair(async () => {
      const h = await peer();
      await h.join("");
      for (let i = 0; i < 200; i++) h.send(OFFER, 1, "flood");  // to itself: the host is 1
      expect(await h.closed).toEqual({ code: 4000, reason: "Too many messages, slow down" });
      expect(h.got.filter((m) => m.type === OFFER).length).toBeLessThanOrEqual(41);
    });
  });

  it("a member that does not read is closed once maxBufferedBytes wait for it: 4000 'Not reading fast enough'", async () => {
    // A server of its own: the kernel's socket buffers take megabytes before the server holds anything.
    const big = await createSignalingServer({
      host: "127.0.0.1", port: 0, maxFrameBytes: 256 * 1024, maxBufferedBytes: 64 * 1024,
      rateLimit: { messagesPerSecond: 10_000, messagesBurst: 10_000, bytesPerSecond: 1e9, bytesBurst: 1e9 },
    });
    try {
      const h = await RawPeer.connect(big.url);
      const { lobby } = await h.join("");
      const slow = await RawPeer.connect(big.url);
      const { id } = await slow.join(lobby);
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const sdp = "a=".padEnd(128 * 1024, "z");
      const kicked = () => (big.stats().closed["Not reading fast enough"] ?? 0) > 0;
      for (let i = 0; i < 400 && !kicked(); i++) {
        h.send(OFFER, id, sdp);
        if (i % 8 === 7) await sleep(5);
      }
      const t0 = Date.now();
      while (!kicked() && Date.now() - t0 < 3000) await sleep(20);
      expect(big.stats().closed["Not reading fast enough"]).toBe(1);
      // The sender is not punished for it.
      expect(h.ws.readyState).toBe(WebSocket.OPEN);
      slow.ws.terminate();
      h.ws.terminate();
    } finally {
      await big.close();
    }
  });

  it("pings every pingIntervalMs; a client that never answers is dropped, one that answers stays", async () => {
    await withGoodPair(async () => {
      const before = server.stats().pingTimeouts;
      const mute = new WebSocket(server.url, { autoPong: false });
      await new Promise((r) => mute.once("open", r));
      let pings = 0;
      mute.on("ping", () => pings++);
      mute.send(JSON.stringify({ type: JOIN, id: 0, data: "" }));
      const closed = await new Promise<number>((r) => mute.once("close", (code) => r(code)));
      expect(pings).toBeGreaterThanOrEqual(1);
      expect(closed).toBe(1006);  // terminated, no close frame
      expect(server.stats().pingTimeouts - before).toBe(1);
      // The good pair answers pings (ws does by default) and has been through several intervals.
    });
  });
});

describe("signaling: Origin allowlist and per-address cap", () => {
  it("default: any Origin, as the demo; with origins set, others get HTTP 403 and clients without Origin pass", async () => {
    const any = await peer({ Origin: "https://anything.example" });
    expect(any.ws.readyState).toBe(WebSocket.OPEN);
    any.close();
    const strict = await createSignalingServer({ host: "127.0.0.1", port: 0, origins: ["https://game.example"], maxPeersPerIp: 3 });
    try {
      await expect(RawPeer.connect(strict.url, { Origin: "https://evil.example" })).rejects.toThrow("HTTP 403");
      const ok = await RawPeer.connect(strict.url, { Origin: "https://game.example" });
      const native = await RawPeer.connect(strict.url);
      const third = await RawPeer.connect(strict.url);
      await expect(RawPeer.connect(strict.url)).rejects.toThrow("HTTP 429");
      expect(strict.stats().refusedUpgrades).toEqual({ origin: 1, "per-ip": 1 });
      for (const p of [ok, native, third]) p.ws.terminate();
    } finally {
      await strict.close();
    }
  });
});
