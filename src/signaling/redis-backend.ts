// Lobbies in Redis, shared by every signaling process that uses the same Redis
// and prefix: peers of one lobby may be connected to different processes.
// Membership, the seal, the host and id allocation are Redis hashes changed
// only by the scripts in redis-scripts.ts; what a member must hear goes to its
// process's pub/sub channel (one SUBSCRIBE per process rather than one per
// connection: nothing to set up before a connection can be reached).
import { randomBytes } from "node:crypto";
import { createClient } from "redis";
import type { BackendEvents, JoinResult, LobbyBackend, LocalPeer, OpResult } from "./backend.js";
import { newLobbyName, newPeerId } from "./ids.js";
import { CloseCode, HOST_ID, MessageType, Reason, encodeMessage } from "./protocol.js";
import { BEAT, CHECK, CREATE, END, JOIN, LEAVE, RELAY, SEAL, type Script } from "./redis-scripts.js";

export interface RedisBackendOptions {
  url: string;
  prefix: string;
  heartbeatMs: number;
  maxLobbies: number;
  maxPeersPerLobby: number;
  sealCloseTimeoutMs: number;
  announceAll: boolean;
}

type Client = ReturnType<typeof createClient>;
const CONNECT_TIMEOUT_MS = 5000;

interface Membership {
  readonly peer: LocalPeer;
  readonly lobby: string;
  readonly id: number;
  sealTimer: ReturnType<typeof setTimeout> | null;
}

/** Connects to Redis (commands and a subscriber) and starts beating; rejects when Redis does not answer. */
export async function createRedisBackend(
  o: RedisBackendOptions, events: BackendEvents, find: (uid: string) => LocalPeer | undefined,
): Promise<LobbyBackend> {
  const proc = randomBytes(8).toString("hex");
  let started = false;
  const client: Client = createClient({
    url: o.url,
    // Fail at once while Redis is away instead of queueing: the connection asking is closed with 1011.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      // At start-up an unreachable Redis is an error for the caller; later, keep trying.
      reconnectStrategy: (retries: number, cause: Error) => (started ? Math.min(100 * 2 ** retries, 2000) : cause),
    },
  });
  const sub = client.duplicate();
  // node-redis reports every failed reconnect: say it once per outage, and when it is over.
  for (const c of [client, sub]) {
    let down = false;
    c.on("error", (e: unknown) => {
      if (started && !down) events.error("talking to Redis (reconnecting)", e);
      down = true;
    });
    c.on("ready", () => {
      if (down) events.error("talking to Redis", "connected again");
      down = false;
    });
  }
  try {
    await client.connect();
    await sub.connect();
  } catch (e) {
    client.destroy();
    sub.destroy();
    throw new Error(`cannot reach Redis at ${o.url}: ${(e as Error)?.message ?? e}`);
  }
  const backend = new RedisBackend(o, events, client, sub, proc, find);
  try {
    await backend.start();
  } catch (e) {
    client.destroy();
    sub.destroy();
    throw e;
  }
  started = true;
  return backend;
}

class RedisBackend implements LobbyBackend {
  private readonly member: (peer: LocalPeer) => string;
  /** This process's connections that are lobby members, by connection uid. */
  private readonly local = new Map<string, Membership>();
  private beat: ReturnType<typeof setInterval> | null = null;
  private readonly ttl: number;
  private beatFailing = false;

  constructor(
    private readonly o: RedisBackendOptions, private readonly events: BackendEvents, private readonly client: Client,
    private readonly sub: Client, private readonly proc: string, private readonly find: (uid: string) => LocalPeer | undefined,
  ) {
    this.member = (peer) => `${proc} ${peer.uid}`;
    this.ttl = 3 * o.heartbeatMs;
  }

  async start(): Promise<void> {
    await this.sub.subscribe(`${this.o.prefix}chan:${this.proc}`, (message: string) => this.onMessage(message));
    await this.alive();
    this.beat = setInterval(() => void this.heartbeat(), this.o.heartbeatMs);
    this.beat.unref?.();
  }

  async create(peer: LocalPeer, mesh: boolean): Promise<JoinResult> {
    for (let tries = 0; tries < 5; tries++) {
      const name = newLobbyName();
      const k = this.keys(name);
      const r = await this.run(CREATE, [k.lobby, k.peers, k.lobbies], [name, this.member(peer), mesh ? "1" : "0", this.o.maxLobbies, this.ttl]);
      if (r === "TOO_MANY") return { ok: false, reason: Reason.TOO_MANY_LOBBIES };
      if (r !== "OK") continue;  // a name taken already: 62^16 says this never happens
      this.local.set(peer.uid, { peer, lobby: name, id: HOST_ID, sealTimer: null });
      this.events.lobbyOpened(name);
      return { ok: true, lobby: name, id: HOST_ID, mesh, announce: [] };
    }
    throw new Error("no free lobby name after 5 tries");
  }

  async join(name: string, peer: LocalPeer): Promise<JoinResult> {
    const k = this.keys(name);
    for (let tries = 0; tries < 10; tries++) {
      const id = newPeerId();
      const r = (await this.run(JOIN, [k.lobby, k.peers], [
        id, this.member(peer), this.o.maxPeersPerLobby, this.o.announceAll ? "1" : "0", this.o.prefix, encodeMessage(MessageType.PEER_CONNECT, id),
      ])) as string[];
      switch (r[0]) {
        case "NO_LOBBY": return { ok: false, reason: Reason.LOBBY_DOES_NOT_EXIST };
        case "SEALED": return { ok: false, reason: Reason.LOBBY_IS_SEALED };
        case "FULL": return { ok: false, reason: Reason.LOBBY_FULL };
        case "OK":
          this.local.set(peer.uid, { peer, lobby: name, id, sealTimer: null });
          return { ok: true, lobby: name, id, mesh: r[1] === "1", announce: r.slice(2).map(Number) };
        default:  // COLLISION: that id is taken in this lobby; draw another
      }
    }
    throw new Error("no free peer id after 10 tries");
  }

  async seal(name: string, id: number, peer: LocalPeer): Promise<OpResult> {
    const k = this.keys(name);
    const r = await this.run(SEAL, [k.lobby, k.peers], [id, this.member(peer), this.o.prefix, encodeMessage(MessageType.SEAL, 0)]);
    if (r === "NOT_MEMBER") return Reason.SERVER_ERROR;
    if (r === "NOT_HOST") return Reason.ONLY_HOST_CAN_SEAL;
    if (r === "OK") {
      const m = this.local.get(peer.uid);
      // Only the host seals, so the host's process runs the timer; if it dies the lobby expires instead.
      if (m && !m.sealTimer) {
        m.sealTimer = setTimeout(() => void this.endSealed(m), this.o.sealCloseTimeoutMs);
        m.sealTimer.unref?.();
      }
    }
    return null;
  }

  async relay(name: string, id: number, peer: LocalPeer, dest: number, frame: string): Promise<OpResult> {
    const k = this.keys(name);
    const r = await this.run(RELAY, [k.lobby, k.peers], [id, this.member(peer), String(dest), this.o.announceAll ? "1" : "0", this.o.prefix, frame]);
    if (r === "NOT_MEMBER") return Reason.SERVER_ERROR;
    if (r === "INVALID_DEST") return Reason.INVALID_DEST;
    return null;
  }

  async leave(name: string, id: number, peer: LocalPeer): Promise<void> {
    const m = this.local.get(peer.uid);
    if (m?.sealTimer) clearTimeout(m.sealTimer);
    this.local.delete(peer.uid);
    const k = this.keys(name);
    const r = await this.run(LEAVE, [k.lobby, k.peers, k.lobbies], [
      id, this.member(peer), name, this.o.announceAll ? "1" : "0", this.o.prefix, encodeMessage(MessageType.PEER_DISCONNECT, id), Reason.HOST_DISCONNECTED,
    ]);
    if (r === "CLOSED") this.events.lobbyClosed(name, Reason.HOST_DISCONNECTED);
  }

  hostedLobbies(): number {
    let n = 0;
    for (const m of this.local.values()) if (m.id === HOST_ID) n++;
    return n;
  }

  async close(): Promise<void> {
    if (this.beat) clearInterval(this.beat);
    for (const m of this.local.values()) if (m.sealTimer) clearTimeout(m.sealTimer);
    try {
      await this.client.del(`${this.o.prefix}proc:${this.proc}`);
    } catch {
      // Redis is away: the key expires by itself
    }
    // close() waits for replies; a Redis that is away would hold shutdown, so it gets a second.
    await Promise.all([this.sub, this.client].map(async (c) => {
      await Promise.race([c.close().catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
      if (c.isOpen) c.destroy();
    }));
  }

  private keys(name: string) {
    const lobby = `${this.o.prefix}lobby:${name}`;
    return { lobby, peers: `${lobby}:peers`, lobbies: `${this.o.prefix}lobbies` };
  }

  /** EVALSHA, loading the script when this Redis has not seen it (NOSCRIPT). */
  private async run(s: Script, keys: string[], args: Array<string | number>): Promise<unknown> {
    const rest = [String(keys.length), ...keys, ...args.map(String)];
    try {
      return await this.client.sendCommand(["EVALSHA", s.sha, ...rest]);
    } catch (e) {
      if (!/NOSCRIPT/.test((e as Error)?.message ?? "")) throw e;
      return this.client.sendCommand(["EVAL", s.lua, ...rest]);
    }
  }

  private onMessage(message: string): void {
    const a = message.indexOf("\n");
    const b = message.indexOf("\n", a + 1);
    if (a < 0 || b < 0) return;
    const peer = this.find(message.slice(0, a));
    if (!peer) return;  // closed meanwhile
    const payload = message.slice(b + 1);
    if (message.slice(a + 1, b) === "m") return peer.deliver(payload);
    const sp = payload.indexOf(" ");
    const m = this.local.get(peer.uid);
    if (m) this.local.delete(peer.uid);  // the script that closed us removed us from the lobby already
    peer.kick(Number(payload.slice(0, sp)), payload.slice(sp + 1));
  }

  private alive(): Promise<unknown> {
    return this.client.sendCommand(["SET", `${this.o.prefix}proc:${this.proc}`, "1", "PX", String(this.ttl)]);
  }

  /** The seal timeout: every member is closed with 1000 "Seal complete" and the lobby's keys go. */
  private async endSealed(m: Membership): Promise<void> {
    m.sealTimer = null;
    const k = this.keys(m.lobby);
    try {
      const r = await this.run(END, [k.lobby, k.peers, k.lobbies], [this.member(m.peer), m.lobby, this.o.prefix, CloseCode.NORMAL, Reason.SEAL_COMPLETE]);
      if (r === "CLOSED") this.events.lobbyClosed(m.lobby, Reason.SEAL_COMPLETE);
    } catch (e) {
      this.events.error("closing a sealed lobby", e);
    }
  }

  /** Keeps this process's keys alive, drops members of dead processes, and closes members of lobbies that ended unseen. */
  private async heartbeat(): Promise<void> {
    try {
      await this.alive();
      await Promise.all([...this.local.values()].map(async (m) => {
        const k = this.keys(m.lobby);
        if (m.id === HOST_ID) {
          const r = await this.run(BEAT, [k.lobby, k.peers, k.lobbies], [this.member(m.peer), m.lobby, this.ttl, this.o.prefix, this.o.announceAll ? "1" : "0"]);
          if (r === "GONE" && this.local.get(m.peer.uid) === m) {
            this.local.delete(m.peer.uid);
            m.peer.kick(CloseCode.PROTOCOL, Reason.SERVER_ERROR);
          }
          return;
        }
        const r = await this.run(CHECK, [k.lobby, k.peers], [m.id, this.member(m.peer)]);
        if (r !== "OK" && this.local.get(m.peer.uid) === m) {
          this.local.delete(m.peer.uid);
          // The lobby's keys expired: its host's process stopped beating, so the host is gone.
          m.peer.kick(CloseCode.PROTOCOL, r === "NO_LOBBY" ? Reason.HOST_DISCONNECTED : Reason.SERVER_ERROR);
        }
      }));
      this.beatFailing = false;
    } catch (e) {
      // Once per outage, not once per beat.
      if (!this.beatFailing) this.events.error("refreshing Redis keys", e);
      this.beatFailing = true;
    }
  }
}
