// The pump: feeds datagrams to the core as they arrive, flushes transmits at
// once and arms exactly one timer at the core's earliest deadline. Protocol
// progress never waits for the application.
import type { Clock, TimerHandle } from "../net/clock.js";
import type { DatagramSocket, Transport } from "../net/transport.js";
import type { DatagramCapture } from "../debug/pcapng.js";
import type { NetAddress } from "../net/address.js";
import { Engine } from "./engine.js";
import { IceAgentHandle, IceState, type IceAbi, type IceAgentOptions, type IceHost } from "./ice.js";
import { DtlsSessionHandle, type DtlsAbi, type DtlsHost, type DtlsOptions } from "./dtls.js";
import { PeerHandle, type PeerAbi, type PeerHost } from "./peer.js";
import {
  INPUT_HEADER,
  KIND_EVENT,
  KIND_TRANSMIT,
  OUTPUT_HEADER,
  addressFromRecord,
  pad4,
  readIp,
  writeIp,
} from "./records.js";

/** Event codes written by native/endpoint/endpoint.h. */
export const enum EndpointEvent {
  StunBindingSuccess = 1,
  StunBindingError = 2,
  StunBindingTimeout = 3,
  IceLocalCandidate = 10,
  IceGatheringComplete = 11,
  IceState = 12,
  IceSelectedPair = 13,
  IceData = 14,
  IceTurnError = 15,
  IceResolve = 16,
  DtlsConnected = 20,
  DtlsData = 21,
  DtlsClosed = 22,
  DtlsFailed = 23,
}

export interface EndpointOptions {
  engine: Engine;
  transport: Transport;
  clock: Clock;
  /** Local sockets to open; all connections of this endpoint share them. Default: one on 0.0.0.0:0. */
  bind?: Array<{ ip?: string; port?: number; family?: 4 | 6 }>;
  /**
   * Give this endpoint's peer connections a DTLS certificate of their own instead of the one
   * the process shares (as libdatachannel does); costs a key generation per endpoint. Default false.
   */
  ownCertificate?: boolean;
  /** Answer STUN Binding requests from anyone (a STUN server). Default false. */
  answerStun?: boolean;
  /** SOFTWARE attribute value. */
  software?: string;
  /** Initial STUN retransmission timeout (RFC 8489 RTO), ms. Default 500. */
  stunRtoMs?: number;
  /**
   * How arriving datagrams reach the core: "deferred" batches all datagrams of
   * one event-loop turn into one call (real sockets); "immediate" feeds each at
   * once (virtual network, so virtual time stays exact).
   */
  inputMode?: "deferred" | "immediate";
  /** Debugging: sees every datagram in and out (e.g. a PcapngRecorder, or a pcapng file in Node). */
  capture?: DatagramCapture | null;
  /**
   * Per-source rate limit in the receive path, applied before a datagram crosses into the core
   * (see SourceRateLimitOptions for the defaults and why). `false` turns it off. Default on.
   */
  sourceRateLimit?: SourceRateLimitOptions | false;
}

/**
 * A token bucket per source address (ip:port, per local socket), applied in the receive path before a
 * datagram crosses into the core. Sources the core already trusts are never limited: an ICE-authenticated
 * peer route, a DTLS session's bound remote, a STUN server we are asking, a hosted agent's valid pair or
 * TURN server. The core is asked (wr_endpoint_knows_route) only when a source's bucket runs dry, and its
 * answer is kept for a while, so the fast path is one Map lookup (~0.25 µs for a dropped datagram).
 *
 * Defaults, from evidence (test/hostile/README.md): setting up 50 connections on one port, no source sent
 * more than 2 datagrams before the core knew it (median 1), nor more than 2 in any second. The busiest
 * legitimate unknown source we know of is a libwebrtc peer pinging a not-yet-writable pair every 48 ms
 * (~21/s; RFC 8445's Ta is 50 ms): 100/s leaves it 5x room, and the burst of 200 covers ten seconds of
 * it. A flooding source is cut to 100/s, under a thousandth of what one socket sends on loopback. An
 * endpoint that answers STUN (answerStun) limits its clients the same way.
 */
export interface SourceRateLimitOptions {
  /** Datagrams per second one unknown source may send. Default 100. */
  ratePerSecond?: number;
  /** Bucket size (and a new source's first allowance). Default 200. */
  burst?: number;
  /** Sources tracked at once; the table never grows past it. Default 16384. */
  maxSources?: number;
  /** A source silent this long is forgotten (longer than ICE consent's 30 s would add nothing). Default 30000 ms. */
  idleMs?: number;
  /** Shared by the sources that arrive while the table is full. Default 500/s. */
  overflowRatePerSecond?: number;
  /** Default 500. */
  overflowBurst?: number;
  /** How long the core's "known route" answer is trusted before it is asked again. Default 2000 ms. */
  knownCacheMs?: number;
  /** How long an "unknown" answer stands (a dry unknown source is not asked again before). Default 500 ms. */
  unknownCacheMs?: number;
  /** Questions to the core per second about sources that arrive while the table is full. Default 1000. */
  overflowQueriesPerSecond?: number;
  /**
   * Datagrams per second from all not-yet-known sources together (each within its own budget too): many
   * sources sending a little each (a flood from a botnet, or spoofed addresses) cannot add up to more
   * than this crossing into the core. A source the core knows is never held by it (it is asked before a
   * drop). Setting up a connection takes a few unknown datagrams, so the default admits hundreds of new
   * connections per second. A public STUN server endpoint (answerStun) raises it. Default 2000;
   * Infinity turns it off.
   */
  unknownRatePerSecond?: number;
  /** Default 2000. */
  unknownBurst?: number;
}

/** The limiter's counters (Endpoint.stats().rateLimit). */
export interface SourceRateLimitStats {
  enabled: boolean;
  /** Sources in the table now, and the most there ever were. */
  sources: number;
  peakSources: number;
  /** Datagrams let through, and those let through because the core knows the source. */
  admitted: number;
  admittedKnown: number;
  /** Datagrams dropped: over a source's budget, and (of those) over the shared overflow budget. */
  dropped: number;
  droppedOverflow: number;
  /** Of the dropped: within the source's budget, over the shared one of all not-yet-known sources (unknownRatePerSecond). */
  droppedUnknownBudget: number;
  /** Distinct sources that had datagrams dropped (counted once per stay in the table). */
  sourcesLimited: number;
  /** Sources forgotten after idleMs, and questions asked of the core. */
  evicted: number;
  routeQueries: number;
}

export interface StunBindingResult {
  ok: boolean;
  /** The server-reflexive address the server saw. */
  mapped?: NetAddress;
  rttMs?: number;
  errorCode?: number;
  reason?: string;
  timedOut?: boolean;
}

export interface EndpointStats {
  datagramsIn: number;
  stunIn: number;
  stunRequestsAnswered: number;
  droppedMalformed: number;
  droppedUnhandled: number;
  transmitsOut: number;
  transmitsDropped: number;
  lastStunClient: NetAddress | null;
  /** The receive path's per-source limiter (counted in TypeScript, before the core). */
  rateLimit: SourceRateLimitStats;
}

interface Pending {
  socket: number;
  from: NetAddress;
  data: Uint8Array;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Options of one peer connection inside an endpoint. */
export interface PeerOptions {
  /** Gather and pair only relayed candidates (iceTransportPolicy "relay"). */
  relayOnly?: boolean;
  /** a=max-message-size we advertise. Default 262144. */
  maxMessageSize?: number;
  /** SCTP receive window: received bytes the application has not read count against it. Default 1 MiB. */
  receiveWindow?: number;
  consentIntervalMs?: number;
  disconnectedAfterMs?: number;
  failedAfterMs?: number;
  checkingTimeoutMs?: number;
}

export class Endpoint implements IceHost, DtlsHost, PeerHost {
  readonly sockets: DatagramSocket[] = [];
  private handle: number;
  private timer: TimerHandle | null = null;
  private timerAt = Infinity;
  private closed = false;
  private pending: Pending[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;
  private readonly waiters = new Map<number, (r: StunBindingResult) => void>();
  private readonly agents = new Map<number, IceAgentHandle>();
  private readonly dtlsSessions = new Map<number, DtlsSessionHandle>();
  private readonly peers = new Map<number, PeerHandle>();
  /** Resolves once every socket is bound (rejects if one cannot be). */
  ready: Promise<void> = Promise.resolve();
  isReady = false;
  private scratch = 0;
  private scratchCap = 0;
  private scratchUsed = 0;
  private retired: number[] = [];
  private readonly deferred: boolean;
  /** Counters for tests and diagnostics. */
  readonly counters = { datagramsIn: 0, inputCalls: 0, transmits: 0, bytesOut: 0, events: 0 };

  private constructor(
    private readonly engine: Engine,
    private readonly clock: Clock,
    handle: number,
    deferred: boolean,
    private readonly transport: Transport,
  ) {
    this.handle = handle;
    this.deferred = deferred;
  }

  static async create(opts: EndpointOptions): Promise<Endpoint> {
    const ep = Endpoint.createDeferred(opts);
    await ep.ready;
    return ep;
  }

  /**
   * Creates the endpoint at once and binds its sockets in the background
   * (`ready`): what a synchronous API (Godot's) needs. Peers created before
   * the sockets are bound start gathering when they are.
   */
  static createDeferred(opts: EndpointOptions): Endpoint {
    const cfg = [
      `answer_stun=${opts.answerStun ? 1 : 0}`,
      `own_certificate=${opts.ownCertificate ? 1 : 0}`,
      `software=${(opts.software ?? "wasmrtc").replace(/[\r\n]/g, " ")}`,
      `stun_rto_ms=${Math.max(1, Math.floor(opts.stunRtoMs ?? 500))}`,
    ].join("\n");
    const engine = opts.engine;
    const bytes = textEncoder.encode(cfg);
    const ptr = engine.wasm.copyIn(bytes);
    const handle = engine.abi.wr_endpoint_new(ptr, bytes.length);
    engine.wasm.free(ptr);
    if (!handle) throw new Error("wasmrtc: endpoint creation failed");
    const ep = new Endpoint(engine, opts.clock, handle, (opts.inputMode ?? "deferred") === "deferred", opts.transport);
    ep.capture = opts.capture ?? null;
    ep.setSourceRateLimit(opts.sourceRateLimit ?? {});
    ep.ready = (async () => {
      try {
        for (const b of opts.bind ?? [{}]) {
          const sock = await opts.transport.bind(b);
          if (ep.closed) {
            sock.close();
            return;
          }
          const index = ep.sockets.length;
          ep.sockets.push(sock);
          sock.onDatagram = (data, from) => ep.onDatagram(index, data, from);
        }
        ep.isReady = true;
      } catch (e) {
        ep.close();
        throw e;
      }
    })();
    ep.ready.catch(() => undefined);  // callers that never await it must not see an unhandled rejection
    return ep;
  }

  /** Host candidate addresses per socket: a wildcard bind offers the transport's local addresses. */
  hostAddresses(): Array<{ socket: number; address: NetAddress }> {
    const out: Array<{ socket: number; address: NetAddress }> = [];
    this.sockets.forEach((s, socket) => {
      const wildcard = s.local.ip === "0.0.0.0" || s.local.ip === "::";
      if (!wildcard) {
        out.push({ socket, address: s.local });
        return;
      }
      for (const ip of this.transport.localAddresses()) {
        const family = ip.includes(":") ? 6 : 4;
        if (family === s.local.family) out.push({ socket, address: { family, ip, port: s.local.port } });
      }
    });
    return out;
  }

  /** A peer connection on this endpoint's sockets; gathering waits for releaseGathering(). */
  createPeer(opts: PeerOptions = {}): PeerHandle | null {
    if (this.closed) return null;
    const int = (v: number | undefined) => (v === undefined ? undefined : Math.max(0, Math.floor(v)));
    const cfg = [
      "defer_gathering=1",
      `relay_only=${opts.relayOnly ? 1 : 0}`,
      opts.maxMessageSize ? `max_message_size=${int(opts.maxMessageSize)}` : "",
      opts.receiveWindow ? `receive_window=${int(opts.receiveWindow)}` : "",
      opts.consentIntervalMs ? `consent_ms=${int(opts.consentIntervalMs)}` : "",
      opts.disconnectedAfterMs ? `disconnected_ms=${int(opts.disconnectedAfterMs)}` : "",
      opts.failedAfterMs ? `failed_ms=${int(opts.failedAfterMs)}` : "",
      opts.checkingTimeoutMs ? `checking_timeout_ms=${int(opts.checkingTimeoutMs)}` : "",
    ].filter(Boolean).join("\n");
    this.scratchUsed = 0;
    const [cp, cl] = this.writeString(cfg);
    const abi = this.engine.abi as unknown as PeerAbi;
    const id = abi.wr_peer_new(this.handle, this.nowUs(), cp, cl);
    if (!id) return null;
    const peer = new PeerHandle(this, id);
    this.peers.set(id, peer);
    return peer;
  }

  /** PeerHost: runs one command against the core, then drains. */
  peerCommand<T>(fn: (abi: PeerAbi, handle: number, nowUs: number) => T): T {
    if (this.closed) return -1 as T;
    this.scratchUsed = 0;
    const r = fn(this.engine.abi as unknown as PeerAbi, this.handle, this.nowUs());
    for (const p of this.retired) this.engine.wasm.free(p);
    this.retired = [];
    this.drain();
    return r;
  }

  /** PeerHost: a call that changes nothing the pump must see. */
  peerQuery<T>(fn: (abi: PeerAbi, handle: number) => T): T {
    if (this.closed) return -1 as T;
    return fn(this.engine.abi as unknown as PeerAbi, this.handle);
  }

  readScratchString(ptr: number, len: number): string {
    return this.engine.wasm.readString(ptr, len);
  }

  scratchArea(): number {
    return this.engine.scratchPtr;
  }

  forgetPeer(id: number): void {
    this.peers.delete(id);
  }

  resolveName(name: string): Promise<string | null> {
    return this.transport.resolve ? this.transport.resolve(name) : Promise.resolve(null);
  }

  /** Live peer connections inside the core (leak checks). */
  peerCount(): number {
    if (this.closed) return 0;
    return (this.engine.abi as unknown as PeerAbi).wr_peer_count(this.handle);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends a STUN Binding request to `server` and resolves with the mapped address. */
  stunBinding(server: NetAddress, socket = 0): Promise<StunBindingResult> {
    if (this.closed) return Promise.resolve({ ok: false, reason: "endpoint closed" });
    if (socket < 0 || socket >= this.sockets.length) return Promise.resolve({ ok: false, reason: "no such socket" });
    const ip = this.engine.scratchPtr;
    if (!writeIp(this.engine.wasm.u8(), ip, server.ip, server.family)) {
      return Promise.resolve({ ok: false, reason: `bad address ${server.ip}` });
    }
    const id = this.engine.abi.wr_endpoint_stun_request(
      this.handle, this.nowUs(), socket, server.family, server.port, ip);
    if (!id) return Promise.resolve({ ok: false, reason: "request refused (too many in flight)" });
    const p = new Promise<StunBindingResult>((resolve) => this.waiters.set(id, resolve));
    this.drain();
    return p;
  }

  /**
   * Creates an ICE agent on this endpoint's sockets. Host candidates are the
   * sockets' addresses (a wildcard bind offers the transport's local addresses).
   */
  createIceAgent(opts: IceAgentOptions = {}, hostAddresses?: NetAddress[]): IceAgentHandle | null {
    if (this.closed) return null;
    const e = this.engine;
    const cfg = [
      `controlling=${opts.controlling ? 1 : 0}`,
      opts.ufrag ? `ufrag=${opts.ufrag}` : "",
      opts.pwd ? `pwd=${opts.pwd}` : "",
      `relay_only=${opts.relayOnly ? 1 : 0}`,
      opts.consentIntervalMs ? `consent_ms=${Math.floor(opts.consentIntervalMs)}` : "",
      opts.disconnectedAfterMs ? `disconnected_ms=${Math.floor(opts.disconnectedAfterMs)}` : "",
      opts.failedAfterMs ? `failed_ms=${Math.floor(opts.failedAfterMs)}` : "",
      opts.checkingTimeoutMs ? `checking_timeout_ms=${Math.floor(opts.checkingTimeoutMs)}` : "",
      opts.lite ? "lite=1" : "",
    ].filter(Boolean).join("\n");
    this.scratchUsed = 0;
    const [cp, cl] = this.writeString(cfg);
    const id = e.abi.wr_ice_new(this.handle, this.nowUs(), cp, cl);
    if (!id) return null;
    const n = (e.abi as unknown as IceAbi).wr_ice_local_credentials(this.handle, id, e.scratchPtr, 256);
    const [ufrag, pwd] = n > 0 ? e.wasm.readString(e.scratchPtr, n).split("\n") : ["", ""];
    const agent = new IceAgentHandle(this, id, ufrag!, pwd!);
    this.agents.set(id, agent);
    const ip = e.scratchPtr;
    const hosts = hostAddresses ?? this.sockets.map((s) => s.local);
    hosts.forEach((a) => {
      const socket = Math.max(0, this.sockets.findIndex((s) => s.local.port === a.port && s.local.family === a.family));
      if (writeIp(e.wasm.u8(), ip, a.ip, a.family)) e.abi.wr_ice_add_host(this.handle, id, socket, a.family, a.port, ip);
    });
    for (const s of opts.stunServers ?? []) {
      if (writeIp(e.wasm.u8(), ip, s.ip, s.family)) e.abi.wr_ice_add_server(this.handle, id, 0, s.family, s.port, ip, 0, 0, 0, 0);
    }
    for (const t of opts.turnServers ?? []) {
      this.scratchUsed = 0;
      const [u, ul] = this.writeString(t.username);
      const [p, pl] = this.writeString(t.credential);
      if (writeIp(e.wasm.u8(), ip, t.address.ip, t.address.family)) {
        e.abi.wr_ice_add_server(this.handle, id, 1, t.address.family, t.address.port, ip, u, ul, p, pl);
      }
    }
    this.drain();
    return agent;
  }

  /** IceHost: runs one command against the core, then drains. */
  iceCommand<T>(fn: (abi: IceAbi, handle: number, nowUs: number) => T): T {
    this.scratchUsed = 0;
    const r = fn(this.engine.abi as unknown as IceAbi, this.handle, this.nowUs());
    for (const p of this.retired) this.engine.wasm.free(p);
    this.retired = [];
    this.drain();
    return r;
  }

  writeString(s: string): [number, number] {
    return this.writeBytes(textEncoder.encode(s));
  }

  writeBytes(b: Uint8Array): [number, number] {
    const need = this.scratchUsed + b.length + 8;
    if (need > this.scratchCap) {
      const cap = Math.max(4096, need * 2);
      // Earlier arguments of the same command may still live in the old block: free it after the command.
      if (this.scratch) this.retired.push(this.scratch);
      this.scratch = this.engine.wasm.alloc(cap);
      this.scratchCap = cap;
      this.scratchUsed = 0;
    }
    const p = this.scratch + this.scratchUsed;
    this.engine.wasm.u8().set(b, p);
    this.scratchUsed += (b.length + 7) & ~7;
    return [p, b.length];
  }

  /** The core asked for a name (mDNS ".local"); the transport answers, the core continues. */
  private resolveFor(agent: IceAgentHandle, name: string): void {
    const done = (ip: string | null) => {
      if (agent.closed || this.closed) return;
      agent.host_resolved(name, ip);
    };
    const r = this.transport.resolve ? this.transport.resolve(name) : Promise.resolve(null);
    r.then(done, () => done(null));
  }

  forgetAgent(id: number): void {
    this.agents.delete(id);
  }

  writeIpAt(ptr: number, ip: string, family: 4 | 6): boolean {
    return writeIp(this.engine.wasm.u8(), ptr, ip, family);
  }

  /**
   * A DTLS session straight over one of this endpoint's sockets (no ICE). A
   * server may leave `remote` out: it binds to the first peer that sends DTLS.
   */
  createDtlsSession(opts: DtlsOptions, remote?: NetAddress, socket = 0): DtlsSessionHandle | null {
    if (this.closed) return null;
    const e = this.engine;
    const cfg = [
      `role=${opts.role}`,
      opts.remoteFingerprint ? `remote_fingerprint=${opts.remoteFingerprint.replace(/[\r\n]/g, "")}` : "",
      `verify_fingerprint=${opts.verifyFingerprint === false ? 0 : 1}`,
      opts.mtu ? `mtu=${Math.floor(opts.mtu)}` : "",
      opts.rtoMs ? `rto_ms=${Math.floor(opts.rtoMs)}` : "",
    ].filter(Boolean).join("\n");
    this.scratchUsed = 0;
    const [cp, cl] = this.writeString(cfg);
    const ip = e.scratchPtr;
    let family = 0;
    let port = 0;
    if (remote) {
      if (!writeIp(e.wasm.u8(), ip, remote.ip, remote.family)) return null;
      family = remote.family;
      port = remote.port;
    }
    const abi = e.abi as unknown as DtlsAbi;
    const id = abi.wr_dtls_new(this.handle, socket, family, port, ip, cp, cl);
    if (!id) return null;
    const n = abi.wr_dtls_fingerprint(this.handle, id, e.scratchPtr, 256);
    const session = new DtlsSessionHandle(this, id, n > 0 ? e.wasm.readString(e.scratchPtr, n) : "");
    this.dtlsSessions.set(id, session);
    return session;
  }

  dtlsCommand<T>(fn: (abi: DtlsAbi, handle: number, nowUs: number) => T): T {
    this.scratchUsed = 0;
    const r = fn(this.engine.abi as unknown as DtlsAbi, this.handle, this.nowUs());
    for (const p of this.retired) this.engine.wasm.free(p);
    this.retired = [];
    this.drain();
    return r;
  }

  forgetDtls(id: number): void {
    this.dtlsSessions.delete(id);
  }

  private limiter: SourceLimiter | null = null;

  /**
   * Replaces the receive path's per-source rate limit (`false`: none). Counters start again from zero.
   * Without the core's wr_endpoint_knows_route (an older .wasm) it stays off: limiting established
   * peers would be worse than no limit.
   */
  setSourceRateLimit(opts: SourceRateLimitOptions | false): void {
    const abi = this.engine.abi as unknown as Partial<KnowsRouteAbi>;
    if (opts === false || typeof abi.wr_endpoint_knows_route !== "function") {
      this.limiter = null;
      return;
    }
    this.limiter = new SourceLimiter(opts, (socket, from) => this.knowsRoute(socket, from));
  }

  /** True when the core already trusts `from` on `socket` (see SourceRateLimitOptions). */
  knowsRoute(socket: number, from: NetAddress): boolean {
    if (this.closed) return false;
    const abi = this.engine.abi as unknown as Partial<KnowsRouteAbi>;
    if (typeof abi.wr_endpoint_knows_route !== "function") return false;
    const ip = this.ipBytes(from.ip, from.family);
    if (!ip) return false;
    const at = this.engine.scratchPtr;
    this.engine.wasm.u8().set(ip, at);
    return abi.wr_endpoint_knows_route(this.handle, socket, from.family, from.port, at) === 1;
  }

  /** The limiter's counters (all zero, enabled false, when it is off). */
  rateLimitStats(): SourceRateLimitStats {
    return this.limiter?.stats() ?? {
      enabled: false, sources: 0, peakSources: 0, admitted: 0, admittedKnown: 0, dropped: 0, droppedOverflow: 0, droppedUnknownBudget: 0,
      sourcesLimited: 0, evicted: 0, routeQueries: 0,
    };
  }

  /** Counters kept by the core. */
  stats(): EndpointStats {
    const e = this.engine;
    const rateLimit = this.rateLimitStats();
    const zero: EndpointStats = {
      datagramsIn: 0, stunIn: 0, stunRequestsAnswered: 0, droppedMalformed: 0, droppedUnhandled: 0,
      transmitsOut: 0, transmitsDropped: 0, lastStunClient: null, rateLimit,
    };
    if (this.closed || e.abi.wr_endpoint_stats(this.handle, e.scratchPtr) < 0) return zero;
    const dv = e.wasm.dv();
    const f = (i: number): number => dv.getFloat64(e.scratchPtr + 8 * i, true);
    const family = f(7);
    return {
      datagramsIn: f(0), stunIn: f(1), stunRequestsAnswered: f(2), droppedMalformed: f(3), droppedUnhandled: f(4),
      transmitsOut: f(5), transmitsDropped: f(6),
      lastStunClient: family === 4 || family === 6
        ? { family, ip: readIp(e.wasm.u8(), e.scratchPtr + 72, family), port: f(8) }
        : null,
      rateLimit,
    };
  }

  /** Synchronous and final: no timer, no socket, no event afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
    for (const s of this.sockets) {
      s.onDatagram = null;
      s.close();
    }
    for (const a of this.agents.values()) a.closed = true;
    this.agents.clear();
    for (const d of this.dtlsSessions.values()) d.closed = true;
    this.dtlsSessions.clear();
    for (const p of this.peers.values()) p.closed = true;
    this.peers.clear();
    this.engine.abi.wr_endpoint_free(this.handle);
    if (this.scratch) this.engine.wasm.free(this.scratch);
    this.scratch = 0;
    this.handle = 0;
    this.pending = [];
    for (const [, resolve] of this.waiters) resolve({ ok: false, reason: "endpoint closed" });
    this.waiters.clear();
  }

  private nowUs(): number {
    return Math.round(this.clock.now() * 1000);
  }

  /** Debugging: every datagram in and out goes here too (null: off). */
  capture: DatagramCapture | null = null;

  private onDatagram(socket: number, data: Uint8Array, from: NetAddress): void {
    if (this.closed || data.length > 65535) return;
    this.counters.datagramsIn++;
    if (this.capture) this.capture.datagram("in", this.sockets[socket]?.local ?? from, from, data, this.clock.now());
    if (this.limiter !== null && !this.limiter.admit(socket, from, this.clock.now())) return;
    if (!this.deferred) {
      this.pending.push({ socket, from, data });
      this.pendingBytes += INPUT_HEADER + pad4(data.length);
      this.flush();
      return;
    }
    if (!this.flushScheduled) {
      // The first datagram of an event-loop turn goes in at once (no added latency); the ones that
      // follow in the same turn are batched into one call at the end of it.
      this.flushScheduled = true;
      scheduleSoon(() => {
        this.flushScheduled = false;
        this.flush();
      });
      this.pending.push({ socket, from, data });
      this.pendingBytes += INPUT_HEADER + pad4(data.length);
      this.flush();
      return;
    }
    // The view may be reused after the callback returns, unless the transport says otherwise: keep a copy.
    this.pending.push({ socket, from, data: this.sockets[socket]?.stableBuffers ? data : data.slice() });
    this.pendingBytes += INPUT_HEADER + pad4(data.length);
    // A turn full of large datagrams (a flood of 64 KiB ones) goes in as several batches: the input area in
    // wasm memory (which never shrinks) stays near MAX_BATCH_BYTES instead of growing to the turn's total.
    if (this.pendingBytes >= MAX_BATCH_BYTES) this.flush();
  }

  private flush(): void {
    if (this.closed || this.pending.length === 0) return;
    const engine = this.engine;
    engine.ensureInput(this.pendingBytes);
    const u8 = engine.wasm.u8();
    const dv = engine.wasm.dv();
    let at = engine.inPtr;
    for (const d of this.pending) {
      const ip = this.ipBytes(d.from.ip, d.from.family);
      if (!ip) continue;
      u8.set(ip, at + 8);
      dv.setUint16(at, d.data.length, true);
      dv.setUint16(at + 2, d.socket, true);
      u8[at + 4] = d.from.family;
      u8[at + 5] = 0;
      dv.setUint16(at + 6, d.from.port, true);
      u8.set(d.data, at + INPUT_HEADER);
      at += INPUT_HEADER + pad4(d.data.length);
    }
    this.pending = [];
    this.pendingBytes = 0;
    this.counters.inputCalls++;
    engine.abi.wr_endpoint_input(this.handle, this.nowUs(), engine.inPtr, at - engine.inPtr);
    this.drain();
  }

  /** Parsed address bytes per IP string: the same few remotes send every datagram. */
  private readonly ipCache = new Map<string, Uint8Array | null>();
  private ipBytes(ip: string, family: 4 | 6): Uint8Array | null {
    let b = this.ipCache.get(ip);
    if (b === undefined) {
      const t = new Uint8Array(16);
      b = writeIp(t, 0, ip, family) ? t : null;
      if (this.ipCache.size >= 1024) this.ipCache.clear();
      this.ipCache.set(ip, b);
    }
    return b;
  }

  /** The destination of a transmit record; the previous object when it is the same address. */
  private lastTo: NetAddress | null = null;
  private readonly lastToBytes = new Uint8Array(20);
  private destination(u8: Uint8Array, dv: DataView, rec: number): NetAddress | null {
    const k = this.lastToBytes;
    let same = this.lastTo !== null && k[0] === u8[rec + 1] && k[1] === u8[rec + 4] && k[2] === u8[rec + 5];
    for (let i = 0; same && i < 16; i++) same = k[4 + i] === u8[rec + 16 + i];
    if (same) return this.lastTo;
    const a = addressFromRecord(u8, dv, rec);
    this.lastTo = a;
    k[0] = u8[rec + 1]!;
    k[1] = u8[rec + 4]!;
    k[2] = u8[rec + 5]!;
    k.set(u8.subarray(rec + 16, rec + 32), 4);
    return a;
  }

  private onTimer(): void {
    this.timer = null;
    this.timerAt = Infinity;
    if (this.closed) return;
    this.engine.abi.wr_endpoint_timeout(this.handle, this.nowUs());
    this.drain();
  }

  /** Drains transmits and events until the core is empty, then arms the one timer. */
  private drain(): void {
    const engine = this.engine;
    const abi = engine.abi;
    for (let guard = 0; guard < 100000 && !this.closed; guard++) {
      const n = abi.wr_endpoint_poll(this.handle, engine.outPtr, engine.outCap);
      if (n < -1) {
        engine.ensureOutput(-n);  // one record larger than the whole area: grow it and poll again
        continue;
      }
      if (n <= 0) break;
      const u8 = engine.wasm.u8();
      const dv = engine.wasm.dv();
      const end = engine.outPtr + n;
      for (let rec = engine.outPtr; rec + OUTPUT_HEADER <= end; ) {
        const kind = u8[rec]!;
        const socket = dv.getUint16(rec + 2, true);
        const code = dv.getUint16(rec + 6, true);
        const id = dv.getUint32(rec + 8, true);
        const len = dv.getUint32(rec + 12, true);
        const payload = rec + OUTPUT_HEADER;
        if (kind === KIND_TRANSMIT) {
          const to = this.destination(u8, dv, rec);
          const sock = this.sockets[socket];
          if (to && sock) {
            // The transport may hold the buffer after send returns: hand it a copy.
            const copy = u8.slice(payload, payload + len);
            if (this.capture) this.capture.datagram("out", sock.local, to, copy, this.clock.now());
            sock.send(copy, to);
            this.counters.transmits++;
            this.counters.bytesOut += len;
          }
        } else if (kind === KIND_EVENT) {
          this.counters.events++;
          this.onEvent(code, id, addressFromRecord(u8, dv, rec), u8.subarray(payload, payload + len), dv, payload);
        }
        rec += OUTPUT_HEADER + pad4(len);
      }
    }
    this.armTimer();
  }

  private onEvent(code: number, id: number, address: NetAddress | null, payload: Uint8Array, dv: DataView, at: number): void {
    if (code >= 30) {
      this.peers.get(id)?.dispatch(code, payload, dv, at);
      return;
    }
    if (code >= 20) {
      const s = this.dtlsSessions.get(id);
      if (!s) return;
      if (code === EndpointEvent.DtlsConnected) {
        s.connected = true;
        s.suite = dv.getUint16(at, true);
        s.group = dv.getUint16(at + 2, true);
        s.onConnected?.({ suite: s.suite, group: s.group, remoteFingerprint: textDecoder.decode(payload.subarray(4)) });
      } else if (code === EndpointEvent.DtlsData) {
        s.onData?.(payload.slice());
      } else if (code === EndpointEvent.DtlsClosed) {
        s.onClosed?.(textDecoder.decode(payload));
      } else if (code === EndpointEvent.DtlsFailed) {
        s.failure = textDecoder.decode(payload);
        s.onFailed?.(s.failure);
      }
      return;
    }
    if (code >= 10) {
      const agent = this.agents.get(id);
      if (!agent) return;
      switch (code) {
        case EndpointEvent.IceLocalCandidate: {
          const line = textDecoder.decode(payload);
          agent.localCandidates.push(line);
          agent.onCandidate?.(line);
          break;
        }
        case EndpointEvent.IceGatheringComplete:
          agent.gatheringComplete = true;
          agent.onGatheringComplete?.();
          break;
        case EndpointEvent.IceState:
          agent.state = payload[0] as IceState;
          agent.onState?.(agent.state, textDecoder.decode(payload.subarray(1)));
          break;
        case EndpointEvent.IceSelectedPair:
          agent.selectedPair = textDecoder.decode(payload);
          agent.onSelectedPair?.(agent.selectedPair);
          break;
        case EndpointEvent.IceData:
          agent.onData?.(payload.slice());
          break;
        case EndpointEvent.IceTurnError:
          agent.onTurnError?.(textDecoder.decode(payload));
          break;
        case EndpointEvent.IceResolve:
          this.resolveFor(agent, textDecoder.decode(payload));
          break;
      }
      return;
    }
    const resolve = this.waiters.get(id);
    if (!resolve) return;
    this.waiters.delete(id);
    switch (code) {
      case EndpointEvent.StunBindingSuccess:
        resolve({ ok: true, mapped: address ?? undefined, rttMs: payload.length >= 4 ? dv.getUint32(at, true) / 1000 : undefined });
        break;
      case EndpointEvent.StunBindingError:
        resolve({
          ok: false,
          errorCode: payload.length >= 2 ? dv.getUint16(at, true) : 0,
          reason: textDecoder.decode(payload.subarray(2)),
        });
        break;
      case EndpointEvent.StunBindingTimeout:
        resolve({ ok: false, timedOut: true, reason: "timeout" });
        break;
      default:
        resolve({ ok: false, reason: `unexpected event ${code}` });
    }
  }

  private armTimer(): void {
    if (this.closed) return;
    const us = this.engine.abi.wr_endpoint_next_deadline(this.handle);
    const at = us < 0 ? Infinity : us / 1000;
    if (at === this.timerAt) return;
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
    this.timerAt = at;
    if (at !== Infinity) this.timer = this.clock.setTimer(at, () => this.onTimer());
  }
}

interface KnowsRouteAbi {
  wr_endpoint_knows_route(h: number, socket: number, family: number, port: number, ipPtr: number): number;
}

/** One source's bucket. `known` > now: the core trusts it, no bucket applies. */
interface SourceEntry {
  tokens: number;
  refilledAt: number;
  seenAt: number;
  knownUntil: number;
  askAgainAt: number;
  limited: boolean;
}

/** The token buckets of SourceRateLimitOptions. Times in ms of the endpoint's clock. */
export class SourceLimiter {
  private readonly rate: number;  // tokens per ms
  private readonly burst: number;
  private readonly maxSources: number;
  private readonly idleMs: number;
  private readonly knownCacheMs: number;
  private readonly unknownCacheMs: number;
  private readonly table = new Map<string, SourceEntry>();
  private nextSweepAt = 0;
  private readonly overflow: { tokens: number; refilledAt: number; rate: number; burst: number };
  private readonly queries: { tokens: number; refilledAt: number; rate: number; burst: number };
  private readonly unknown: { tokens: number; refilledAt: number; rate: number; burst: number } | null;
  private readonly counts = {
    peakSources: 0, admitted: 0, admittedKnown: 0, dropped: 0, droppedOverflow: 0, droppedUnknownBudget: 0, sourcesLimited: 0,
    evicted: 0, routeQueries: 0,
  };

  constructor(opts: SourceRateLimitOptions, private readonly knows: (socket: number, from: NetAddress) => boolean) {
    const num = (v: number | undefined, d: number, min: number) =>
      v === undefined || !Number.isFinite(v) ? d : Math.max(min, v);
    this.rate = num(opts.ratePerSecond, 100, 0) / 1000;
    this.burst = num(opts.burst, 200, 1);
    this.maxSources = Math.floor(num(opts.maxSources, 16384, 1));
    this.idleMs = num(opts.idleMs, 30000, 1);
    this.knownCacheMs = num(opts.knownCacheMs, 2000, 0);
    this.unknownCacheMs = num(opts.unknownCacheMs, 500, 0);
    const ob = num(opts.overflowBurst, 500, 0);
    this.overflow = { tokens: ob, refilledAt: -Infinity, rate: num(opts.overflowRatePerSecond, 500, 0) / 1000, burst: ob };
    const qr = num(opts.overflowQueriesPerSecond, 1000, 0);
    this.queries = { tokens: qr, refilledAt: -Infinity, rate: qr / 1000, burst: qr };
    const ur = opts.unknownRatePerSecond === Infinity ? Infinity : num(opts.unknownRatePerSecond, 2000, 0);
    const ub = num(opts.unknownBurst, 2000, 1);
    this.unknown = ur === Infinity ? null : { tokens: ub, refilledAt: -Infinity, rate: ur / 1000, burst: ub };
  }

  /** The shared budget of not-yet-known traffic; when it is dry the core is asked (once per unknownCacheMs). */
  private sharedAllows(e: SourceEntry, socket: number, from: NetAddress, now: number): boolean {
    if (this.unknown === null || take(this.unknown, now)) return true;
    if (e.askAgainAt <= now) {
      this.counts.routeQueries++;
      if (this.knows(socket, from)) {
        e.knownUntil = now + this.knownCacheMs;
        this.counts.admittedKnown++;
        return true;
      }
      e.askAgainAt = now + this.unknownCacheMs;
    }
    this.counts.dropped++;
    this.counts.droppedUnknownBudget++;
    return false;
  }

  /** True: the datagram goes on into the core. */
  admit(socket: number, from: NetAddress, now: number): boolean {
    const key = socket === 0 ? from.ip + "|" + from.port : socket + "/" + from.ip + "|" + from.port;
    const e = this.table.get(key);
    if (e !== undefined) {
      e.seenAt = now;
      if (e.knownUntil > now) {
        this.counts.admitted++;
        this.counts.admittedKnown++;
        return true;
      }
      const t = now > e.refilledAt ? Math.min(this.burst, e.tokens + (now - e.refilledAt) * this.rate) : e.tokens;
      e.refilledAt = now;
      if (t >= 1) {
        e.tokens = t - 1;
        if (!this.sharedAllows(e, socket, from, now)) return false;
        this.counts.admitted++;
        return true;
      }
      e.tokens = t;
      // Dry: the core may know it (an established peer sending in bulk). Ask at most once per unknownCacheMs.
      if (e.askAgainAt <= now) {
        this.counts.routeQueries++;
        if (this.knows(socket, from)) {
          e.knownUntil = now + this.knownCacheMs;
          this.counts.admitted++;
          this.counts.admittedKnown++;
          return true;
        }
        e.askAgainAt = now + this.unknownCacheMs;
      }
      if (!e.limited) {
        e.limited = true;
        this.counts.sourcesLimited++;
      }
      this.counts.dropped++;
      return false;
    }
    return this.admitNew(key, socket, from, now);
  }

  private admitNew(key: string, socket: number, from: NetAddress, now: number): boolean {
    if (now >= this.nextSweepAt) this.sweep(now);
    if (this.table.size < this.maxSources) {
      const e: SourceEntry = { tokens: this.burst - 1, refilledAt: now, seenAt: now, knownUntil: 0, askAgainAt: 0, limited: false };
      this.table.set(key, e);
      if (this.table.size > this.counts.peakSources) this.counts.peakSources = this.table.size;
      if (!this.sharedAllows(e, socket, from, now)) return false;
      this.counts.admitted++;
      return true;
    }
    // Full: new sources share one small budget; a known source still gets through (and a place, if one frees).
    if (take(this.overflow, now)) {
      this.counts.admitted++;
      return true;
    }
    if (take(this.queries, now)) {
      this.counts.routeQueries++;
      if (this.knows(socket, from)) {
        this.placeKnown(key, now);
        this.counts.admitted++;
        this.counts.admittedKnown++;
        return true;
      }
    }
    this.counts.dropped++;
    this.counts.droppedOverflow++;
    return false;
  }

  /** A known source arriving at a full table takes the place of an unknown one near the oldest end, if any. */
  private placeKnown(key: string, now: number): void {
    let scanned = 0;
    for (const [k, e] of this.table) {
      if (++scanned > 64) break;
      if (e.knownUntil <= now) {
        this.table.delete(k);
        this.counts.evicted++;
        break;
      }
    }
    if (this.table.size >= this.maxSources) return;  // every place near the old end is a known source: none taken
    this.table.set(key, { tokens: 0, refilledAt: now, seenAt: now, knownUntil: now + this.knownCacheMs, askAgainAt: 0, limited: false });
  }

  /** Forgets sources silent for idleMs; runs at most every idleMs / 4 (bounded by maxSources per run). */
  private sweep(now: number): void {
    this.nextSweepAt = now + Math.max(250, this.idleMs / 4);
    const before = now - this.idleMs;
    for (const [k, e] of this.table) {
      if (e.seenAt < before) {
        this.table.delete(k);
        this.counts.evicted++;
      }
    }
  }

  stats(): SourceRateLimitStats {
    return { enabled: true, sources: this.table.size, ...this.counts };
  }
}

function take(b: { tokens: number; refilledAt: number; rate: number; burst: number }, now: number): boolean {
  const t = b.refilledAt === -Infinity ? b.burst
    : now > b.refilledAt ? Math.min(b.burst, b.tokens + (now - b.refilledAt) * b.rate) : b.tokens;
  b.refilledAt = now;
  if (t >= 1) {
    b.tokens = t - 1;
    return true;
  }
  b.tokens = t;
  return false;
}

/** Input batched in one call at most (plus one datagram): 256 KiB, some 200 full-size packets. */
const MAX_BATCH_BYTES = 256 * 1024;

const scheduleSoon: (fn: () => void) => void =
  typeof setImmediate === "function" ? (fn) => setImmediate(fn) : (fn) => queueMicrotask(fn);
