// The WebAssembly engine behind Godot's API: WebRTCPeerConnectionEngine (the
// default in Node). Protocol progress happens in the endpoint's pump as
// datagrams and timers arrive; what the application sees (signals, states,
// packets) is queued and applied only inside poll(), in the order it happened.
import { Error } from "./error.js";
import { printError, printWarning } from "./log.js";
import { ChannelState, type WebRTCDataChannel } from "./data_channel.js";
import {
  ConnectionState,
  GatheringState,
  SignalingState,
  WebRTCPeerConnection,
  WebRTCPeerConnectionExtension,
  parseIceUrl,
  type PeerConfig,
} from "./peer_connection.js";
import { QueuedDataChannel, type ChannelInit } from "./queued_channel.js";
import type { Engine } from "../engine/engine.js";
import { Endpoint, type PeerOptions } from "../engine/endpoint.js";
import type { PeerHandle, RemoteChannelInfo } from "../engine/peer.js";
import type { Clock } from "../net/clock.js";
import type { Transport } from "../net/transport.js";
import { ipFamily, type NetAddress } from "../net/address.js";
import type { DatagramCapture } from "../debug/pcapng.js";
import { RELAY_SERVER_ADDRESS, WebSocketRelayTransport, type WebSocketConstructor } from "../net/websocket-relay.js";

/** Where the extension gets its engine, transport and clock (set by the Node entry point). */
export interface EngineRuntime {
  engine(): Engine;
  transport(bindIps: string[]): Transport;
  clock(): Clock;
}

let runtime: EngineRuntime | null = null;

/** Installs the defaults used by `new WebRTCPeerConnectionEngine()` (Node does this on import). */
export function setEngineRuntime(r: EngineRuntime | null): void {
  runtime = r;
}

/** initialize({ wasmrtc: {...} }): our own keys; other extensions ignore them. */
/** The peer's own options (window, message size, ICE timers) are PeerOptions; relay-only comes from iceTransportPolicy. */
export interface WasmrtcConfig extends Omit<PeerOptions, "relayOnly"> {
  /** Local IPs (or {ip, port}) to bind and gather on. Default: one wildcard socket, every interface. */
  bind?: Array<string | { ip?: string; port?: number }>;
  /** Share an existing endpoint (one UDP port for many connections: servers). */
  endpoint?: Endpoint;
  engine?: Engine;
  transport?: Transport;
  clock?: Clock;
  /** "immediate" feeds each datagram at once (virtual network); default batches per event-loop turn. */
  inputMode?: "deferred" | "immediate";
  /** A DTLS certificate for this connection alone (default: the one the process shares). */
  ownCertificate?: boolean;
  /** How long ICE server names may take to resolve before gathering starts without them. Default 3000 ms. */
  resolveTimeoutMs?: number;
  /**
   * Reach peers through a wasmrtc relay over a WebSocket (pages and workers have no UDP):
   * the connection gathers one relay candidate there. Credentials are the relay's
   * time-limited TURN REST ones (see createRelayCredentials on the server).
   */
  relay?: RelayConfig;
  /** Debugging: every datagram of this connection's endpoint goes here too (PcapngRecorder, or createPcapngFileCapture in Node). */
  capture?: DatagramCapture;
}

export interface RelayConfig {
  /** ws:// or wss:// URL of the relay. */
  url: string;
  username: string;
  credential: string;
  /** WebSocket implementation where the runtime has none (Node 20: the `ws` package; the Node entry installs it). */
  WebSocket?: WebSocketConstructor;
  /** How long the WebSocket may take to open. Default 10 s. */
  connectTimeoutMs?: number;
}

function checkRelay(v: unknown): RelayConfig | string {
  if (!isDict(v)) return "wasmrtc.relay must be { url, username, credential }";
  if (typeof v.url !== "string" || !/^wss?:\/\/[^\s]+$/i.test(v.url)) return "wasmrtc.relay.url must be a ws:// or wss:// URL";
  if (typeof v.username !== "string" || v.username.length === 0 || v.username.length > 512) return "wasmrtc.relay.username must be a non-empty string";
  if (typeof v.credential !== "string" || v.credential.length > 512) return "wasmrtc.relay.credential must be a string";
  if (v.WebSocket !== undefined && typeof v.WebSocket !== "function") return "wasmrtc.relay.WebSocket must be a WebSocket constructor";
  if (v.connectTimeoutMs !== undefined && !(typeof v.connectTimeoutMs === "number" && v.connectTimeoutMs > 0)) {
    return "wasmrtc.relay.connectTimeoutMs must be a positive number";
  }
  return v as unknown as RelayConfig;
}

const isDict = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const CONSUME_BATCH = 16 * 1024;

/** What a channel holds of the receive window; shared with its finalizer, which outlives the channel object. */
interface WindowAccount {
  unread: number;
  released: boolean;
}

class EngineDataChannel extends QueuedDataChannel {
  readonly account: WindowAccount = { unread: 0, released: false };

  constructor(init: ChannelInit, private readonly owner: WebRTCPeerConnectionEngine, readonly handle: number) {
    super(init);
  }

  /** A message from the engine (applied inside poll()). */
  receive(data: Uint8Array, isString: boolean): void {
    this.deliver(data, isString);
    // A closed channel's data stays readable but no longer holds the window.
    if (this.account.released) this.owner.consumed(data.length);
    else this.account.unread += data.length;
  }

  /** Once closed, unread bytes go back to the receive window at once (they stay readable here). */
  releaseWindow(): void {
    if (this.account.released) return;
    this.account.released = true;
    if (this.account.unread > 0) this.owner.consumed(this.account.unread);
    this.account.unread = 0;
  }

  override setReadyState(s: ChannelState): void {
    super.setReadyState(s);
    if (s === ChannelState.STATE_CLOSED) this.releaseWindow();
  }

  override _close(): void {
    super._close();
    this.releaseWindow();
  }

  protected transportSend(data: Uint8Array, isString: boolean): Error {
    const r = this.owner.peerSend(this.handle, data, isString);
    switch (r) {
      case "ok":
        return Error.OK;
      case "buffer-full":
        printError("put_packet: the send buffer is full; nothing was sent (wait for get_buffered_amount() to fall).");
        return Error.ERR_BUSY;
      case "too-large":
        printError(`put_packet: message of ${data.length} bytes exceeds the remote's limit; nothing was sent.`);
        return Error.FAILED;
      default:
        printError("put_packet: the channel is not open.");
        return Error.FAILED;
    }
  }

  protected transportClose(): void {
    this.owner.closeChannel(this);
  }

  protected override transportBufferedAmount(): number {
    return this.owner.bufferedAmount(this.handle);
  }

  protected override transportMaxMessageSize(): number {
    return this.owner.maxMessageSize();
  }

  override _get_packet(): [Error, Uint8Array | null] {
    const r = super._get_packet();
    // What the application has read frees the SCTP receive window.
    if (r[0] === Error.OK && r[1] && !this.account.released) {
      this.account.unread -= r[1].length;
      this.owner.consumed(r[1].length);
    }
    return r;
  }
}

/**
 * Godot frees a connection or channel with its last reference, which closes
 * it. Here the garbage collector decides when that is: best effort, later than
 * Godot would; close() is the reliable way. The held values never reference
 * the collected object.
 */
const connectionReaper = new FinalizationRegistry<{ peer: PeerHandle; endpoint: Endpoint; owns: boolean }>((h) => {
  h.peer.close();
  if (h.owns) h.endpoint.close();
});
const channelReaper = new FinalizationRegistry<{ owner: WeakRef<WebRTCPeerConnectionEngine>; handle: number; generation: number; account: WindowAccount }>(
  (h) => h.owner.deref()?.channelCollected(h.handle, h.generation, h.account),
);

export class WebRTCPeerConnectionEngine extends WebRTCPeerConnectionExtension {
  private peer: PeerHandle | null = null;
  private endpoint: Endpoint | null = null;
  private ownsEndpoint = false;
  private conn: ConnectionState = ConnectionState.STATE_NEW;
  private gathering: GatheringState = GatheringState.GATHERING_STATE_NEW;
  /** Weak: a channel nobody references any more is closed (channelCollected), as Godot frees it. */
  private channels = new Map<number, WeakRef<EngineDataChannel>>();
  private reaperToken: object | null = null;
  private emittedDescription = false;
  private localSet = false;
  private held: Array<[string, number, string]> = [];
  private unconsumed = 0;
  private generation = 0;
  private maxMessage = 65536;
  private initialized = false;
  private restartRequested = false;
  /** The host addresses given to the engine as candidates (refreshHosts keeps them current). */
  private hosts: Array<{ socket: number; address: NetAddress }> = [];

  /**
   * wasmrtc extension (W3C restartIce()): the next create_offer() restarts ICE even while connected.
   * An offer made while the connection is STATE_DISCONNECTED restarts ICE by itself.
   */
  restart_ice(): Error {
    if (!this.peer || this.conn === ConnectionState.STATE_CLOSED) return Error.ERR_UNCONFIGURED;
    this.peer.restartIce();
    this.restartRequested = true;
    return Error.OK;
  }

  override _can_offer_again(): boolean {
    if (!this.peer || this.peer.closed) return false;
    // The signaling state must be stable (not mid-exchange); the engine says why it refuses otherwise.
    return this.conn === ConnectionState.STATE_DISCONNECTED || (this.conn === ConnectionState.STATE_CONNECTED && this.restartRequested);
  }

  /** How many ICE restarts this connection completed (either side's). */
  get_ice_restart_count(): number {
    return this.peer ? this.peer.iceRestarts() : 0;
  }

  /** The endpoint this connection runs on (tests and servers). */
  get wasmrtcEndpoint(): Endpoint | null {
    return this.endpoint;
  }

  override _initialize(config: PeerConfig): Error {
    const ws = isDict(config.raw.wasmrtc) ? (config.raw.wasmrtc as WasmrtcConfig) : {};
    if (!runtime && !(ws.engine && ws.transport && ws.clock) && !ws.endpoint) {
      printError("WebRTCPeerConnectionEngine: no engine runtime here; pass wasmrtc: { engine, transport, clock } to initialize().");
      return Error.ERR_UNAVAILABLE;
    }
    const binds: Array<{ ip?: string; port?: number }> = [];
    for (const b of ws.bind ?? []) {
      if (typeof b === "string" && ipFamily(b)) binds.push({ ip: b });
      else if (isDict(b) && (b.ip === undefined || (typeof b.ip === "string" && ipFamily(b.ip))) &&
        (b.port === undefined || (Number.isInteger(b.port) && (b.port as number) >= 0 && (b.port as number) <= 65535))) {
        binds.push({ ip: b.ip as string | undefined, port: b.port as number | undefined });
      } else {
        printError(`initialize: wasmrtc.bind entry ${JSON.stringify(b)} is not an IP address.`);
        return Error.ERR_INVALID_PARAMETER;
      }
    }
    let relay: RelayConfig | null = null;
    if (ws.relay !== undefined) {
      const r = checkRelay(ws.relay);
      if (typeof r === "string" || ws.endpoint || ws.transport) {
        printError(`initialize: ${typeof r === "string" ? r : "wasmrtc.relay cannot be combined with wasmrtc.endpoint or wasmrtc.transport"}.`);
        return Error.ERR_INVALID_PARAMETER;
      }
      relay = r;
    }
    let endpoint: Endpoint;
    let owns = false;
    try {
      if (ws.endpoint) {
        endpoint = ws.endpoint;
      } else {
        const engine = ws.engine ?? runtime!.engine();
        const bindIps = binds.map((b) => b.ip).filter((x): x is string => !!x);
        endpoint = Endpoint.createDeferred({
          engine,
          transport: relay
            ? new WebSocketRelayTransport({ url: relay.url, WebSocket: relay.WebSocket, connectTimeoutMs: relay.connectTimeoutMs })
            : ws.transport ?? runtime!.transport(bindIps),
          clock: ws.clock ?? runtime!.clock(),
          bind: binds.length && !relay ? binds : undefined,
          inputMode: ws.inputMode,
          ownCertificate: ws.ownCertificate === true,
          capture: ws.capture && typeof (ws.capture as DatagramCapture).datagram === "function" ? ws.capture : null,
        });
        owns = true;
      }
    } catch (e) {
      printError(`initialize: the engine could not start: ${(e as { message?: string })?.message ?? String(e)}`);
      return Error.FAILED;
    }
    const peer = endpoint.createPeer({ ...ws, relayOnly: relay !== null || config.extra.iceTransportPolicy === "relay" });
    if (!peer) {
      if (owns) endpoint.close();
      printError("initialize: the engine refused a new connection (limit reached or endpoint closed).");
      return Error.FAILED;
    }
    this.teardown();  // Native: the previous connection is closed
    this.initialized = true;
    this.endpoint = endpoint;
    this.ownsEndpoint = owns;
    this.peer = peer;
    this.conn = ConnectionState.STATE_NEW;
    this.gathering = GatheringState.GATHERING_STATE_NEW;
    this.emittedDescription = false;
    this.localSet = false;
    this.held = [];
    this.unconsumed = 0;
    this.maxMessage = 65536;
    this.restartRequested = false;
    this.hosts = [];
    const gen = ++this.generation;
    this.reaperToken = {};
    connectionReaper.register(this, { peer, endpoint, owns }, this.reaperToken);
    this.wire(peer, gen);
    void this.startGathering(peer, endpoint, config, ws, gen, relay);
    return Error.OK;
  }

  /** The engine's callbacks reach this connection through a WeakRef, so the endpoint does not keep it alive. */
  private wire(peer: PeerHandle, gen: number): void {
    const self = new WeakRef(this);
    const me = () => {
      const m = self.deref();
      return m && m.generation === gen ? m : null;
    };
    const q = (fn: (m: WebRTCPeerConnectionEngine) => void) => {
      const m = me();
      if (m) m._queue(() => m.generation === gen && fn(m));
    };
    peer.onLocalDescription = (type, sdp) => {
      const m = me();
      if (!m) return;
      m.emittedDescription = true;
      m.localSet = false;
      m._emit_session_description_created(type === "pranswer" ? "answer" : type, sdp);
    };
    peer.onLocalCandidate = (mid, index, line) => {
      const m = me();
      if (!m) return;
      // Decisions table: candidates only after set_local_description took the description we emitted.
      if (m.localSet) m._emit_ice_candidate_created(mid, index, line);
      else m.held.push([mid, index, line]);
    };
    peer.onGatheringState = (s) => q((m) => {
      m.gathering = s as GatheringState;
    });
    peer.onConnectionState = (s, reason) => q((m) => {
      if (m.conn === ConnectionState.STATE_CLOSED) return;
      m.conn = s as ConnectionState;
      if (s === ConnectionState.STATE_CONNECTED) m.maxMessage = peer.remoteMaxMessageSize();
      if (s === ConnectionState.STATE_FAILED && reason) printWarning(`WebRTC connection failed: ${reason}`);
    });
    peer.onChannelOpen = (h, stream) => q((m) => {
      const c = m.channel(h);
      if (!c) return;
      c.setId(stream);
      if (c.get_ready_state() === ChannelState.STATE_CONNECTING) c.setReadyState(ChannelState.STATE_OPEN);
    });
    peer.onChannelReceived = (info: RemoteChannelInfo) => {
      const m = me();
      if (!m) return;
      const init: ChannelInit = {
        label: info.label,
        ordered: info.ordered,
        id: info.stream,
        maxPacketLifeTime: info.maxLifetimeMs < 0 ? 65535 : info.maxLifetimeMs,
        maxRetransmits: info.maxRetransmits < 0 ? 65535 : info.maxRetransmits,
        protocol: info.protocol,
        negotiated: false,
      };
      const ch = m.track(new EngineDataChannel(init, m, info.channel));  // messages for it follow in this same drain
      q((mm) => {
        if (ch.get_ready_state() === ChannelState.STATE_CONNECTING) ch.setReadyState(ChannelState.STATE_OPEN);
        mm._announce_data_channel(ch);
      });
    };
    peer.onChannelMessage = (h, data, isString) => {
      const c = me()?.channel(h);
      if (c) q(() => c.receive(data, isString));
      else peer.consume(data.length);  // nobody can read it: do not let it hold the window
    };
    peer.onChannelClosing = (h) => q((m) => {
      const c = m.channel(h);
      if (c && c.get_ready_state() !== ChannelState.STATE_CLOSED) c.setReadyState(ChannelState.STATE_CLOSING);
    });
    peer.onChannelClosed = (h) => q((m) => {
      m.channel(h)?.setReadyState(ChannelState.STATE_CLOSED);
    });
  }

  private channel(h: number): EngineDataChannel | undefined {
    return this.channels.get(h)?.deref();
  }

  private track(ch: EngineDataChannel): EngineDataChannel {
    this.channels.set(ch.handle, new WeakRef(ch));
    channelReaper.register(ch, { owner: new WeakRef(this), handle: ch.handle, generation: this.generation, account: ch.account });
    return ch;
  }

  /** @internal A channel was garbage-collected: close its stream and give its unread bytes back. */
  channelCollected(handle: number, generation: number, account: WindowAccount): void {
    if (generation !== this.generation || !this.peer) return;
    const ref = this.channels.get(handle);
    if (ref && ref.deref() === undefined) this.channels.delete(handle);
    if (!account.released && account.unread > 0) this.consumed(account.unread);
    account.released = true;
    this.peer.closeChannel(handle);
  }

  /** Sockets bound, ICE server names resolved: then gathering may run. */
  private async startGathering(peer: PeerHandle, endpoint: Endpoint, config: PeerConfig, ws: WasmrtcConfig, gen: number,
    relay: RelayConfig | null): Promise<void> {
    try {
      await endpoint.ready;
    } catch (e) {
      if (gen !== this.generation) return;
      const why = (e as { message?: string })?.message ?? String(e);
      printError(relay ? `WebRTC: cannot reach the relay: ${why}` : `WebRTC: cannot bind a socket: ${why}`);
      this._queue(() => {
        if (gen === this.generation) this.conn = ConnectionState.STATE_FAILED;
      });
      return;
    }
    if (gen !== this.generation || peer.closed) return;
    this.hosts = endpoint.hostAddresses();
    for (const { socket, address } of this.hosts) peer.addHost(socket, address);
    if (relay) {
      // The relay is the connection's TURN server, reached through the WebSocket; iceServers still add STUN/TURN elsewhere.
      peer.addServer("turn", RELAY_SERVER_ADDRESS, relay.username, relay.credential);
    }
    const servers: Array<{ kind: "stun" | "turn"; host: string; port: number; username: string; credential: string }> = [];
    for (const s of config.iceServers) {
      for (const url of s.urls) {
        const u = parseIceUrl(url);
        if (!u) continue;
        if (u.scheme === "stuns" || u.scheme === "turns" || u.transport !== "udp") {
          printWarning(`WebRTC: ICE server '${url}' needs TLS or TCP, which the engine does not speak; skipped.`);
          continue;
        }
        servers.push({ kind: u.scheme === "stun" ? "stun" : "turn", host: u.host, port: u.port, username: s.username, credential: s.credential });
      }
    }
    const timeout = Math.max(0, ws.resolveTimeoutMs ?? 3000);
    const resolved = await Promise.all(servers.map(async (s) => {
      if (ipFamily(s.host)) return s.host;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ip = await Promise.race([
        endpoint.resolveName(s.host).catch(() => null),
        new Promise<null>((r) => {
          timer = setTimeout(() => r(null), timeout);
        }),
      ]);
      if (timer) clearTimeout(timer);
      if (!ip) printWarning(`WebRTC: ICE server host '${s.host}' did not resolve; skipped.`);
      return ip;
    }));
    if (gen !== this.generation || peer.closed) return;
    servers.forEach((s, i) => {
      const ip = resolved[i];
      const family = ip ? ipFamily(ip) : 0;
      if (!ip || !family) return;
      const a: NetAddress = { family, ip, port: s.port };
      peer.addServer(s.kind, a, s.username, s.credential);
    });
    peer.releaseGathering();
  }

  private ensure(): PeerHandle | null {
    if (!this.initialized) this._initialize({ iceServers: [], extra: {}, raw: {} });
    return this.peer;
  }

  /** @internal */
  peerSend(handle: number, data: Uint8Array, isString: boolean): string {
    return this.peer ? this.peer.send(handle, data, isString) : "closed";
  }
  /** @internal */
  bufferedAmount(handle: number): number {
    return this.peer ? this.peer.bufferedAmount(handle) : 0;
  }
  /** @internal */
  maxMessageSize(): number {
    return this.maxMessage;
  }
  /** @internal */
  closeChannel(c: EngineDataChannel): void {
    if (this.peer && this.channel(c.handle) === c) this.peer.closeChannel(c.handle);
  }
  /** @internal The application read bytes: hand them back to the receive window in batches. */
  consumed(bytes: number): void {
    this.unconsumed += bytes;
    if (this.unconsumed >= CONSUME_BATCH) this.flushConsumed();
  }
  private flushConsumed(): void {
    if (this.unconsumed > 0 && this.peer) this.peer.consume(this.unconsumed);
    this.unconsumed = 0;
  }

  override _create_data_channel(_label: string, init: ChannelInit): WebRTCDataChannel | null {
    const peer = this.ensure();
    if (!peer) return null;
    const handle = peer.createChannel({
      label: init.label,
      protocol: init.protocol,
      ordered: init.ordered,
      negotiated: init.negotiated,
      id: init.negotiated ? init.id : undefined,
      maxRetransmits: init.maxRetransmits === 65535 ? undefined : init.maxRetransmits,
      maxPacketLifeTime: init.maxPacketLifeTime === 65535 ? undefined : init.maxPacketLifeTime,
    });
    if (!handle) {
      printError(init.negotiated ? `create_data_channel: negotiated id ${init.id} is already in use.` : "create_data_channel: refused by the engine.");
      return null;
    }
    return this.track(new EngineDataChannel({ ...init }, this, handle));
  }

  override _create_offer(): Error {
    const peer = this.ensure();
    if (!peer) return Error.ERR_UNCONFIGURED;
    this.refreshHosts(peer);
    this.restartRequested = false;
    if (!peer.createOffer()) {
      printError(`create_offer: ${peer.error}`);
      return Error.FAILED;
    }
    return Error.OK;
  }

  override _set_local_description(type: string, _sdp: string): Error {
    const peer = this.ensure();
    if (!peer) return Error.ERR_UNCONFIGURED;
    if (type === "rollback") return peer.setRemoteDescription("rollback", "") ? Error.OK : Error.FAILED;
    // Native: the description was applied when it was created; this releases its candidates.
    if (this.emittedDescription && !this.localSet) {
      this.localSet = true;
      const held = this.held;
      this.held = [];
      for (const [mid, index, line] of held) this._emit_ice_candidate_created(mid, index, line);
    }
    return Error.OK;
  }

  /**
   * A new offer of a running connection (renegotiation, ICE restart): the host may have moved to another
   * network since it gathered, so its current addresses become candidates too.
   */
  private refreshHosts(peer: PeerHandle): void {
    if (this.conn === ConnectionState.STATE_NEW || !this.endpoint || peer.closed) return;
    const key = (h: { socket: number; address: NetAddress }) => `${h.socket}/${h.address.ip}/${h.address.port}`;
    const now = this.endpoint.hostAddresses();
    const current = new Set(now.map(key));
    for (const h of this.hosts) if (!current.has(key(h))) peer.removeHost(h.socket, h.address);  // gone with the old network
    for (const h of now) peer.addHost(h.socket, h.address);
    this.hosts = now;
  }

  override _set_remote_description(type: string, sdp: string): Error {
    const peer = this.ensure();
    if (!peer) return Error.ERR_UNCONFIGURED;
    if (type === "offer") this.refreshHosts(peer);
    if (!peer.setRemoteDescription(type as "offer" | "answer" | "pranswer" | "rollback", sdp)) {
      printError(`set_remote_description: ${peer.error}`);
      return Error.FAILED;
    }
    return Error.OK;
  }

  override _add_ice_candidate(media: string, _index: number, name: string): Error {
    const peer = this.ensure();
    if (!peer) return Error.ERR_UNCONFIGURED;
    const r = peer.addRemoteCandidate(media, name);
    if (r === "malformed") {
      printError(`add_ice_candidate: malformed candidate '${name.slice(0, 80)}'.`);
      return Error.ERR_INVALID_PARAMETER;
    }
    return Error.OK;  // TCP or otherwise unusable candidates are ignored, as duplicates are
  }

  override _poll(): Error {
    this.flushConsumed();
    return Error.OK;
  }

  private teardown(): void {
    this.generation++;
    const peer = this.peer;
    this.peer = null;
    if (peer) peer.close();
    if (this.endpoint && this.ownsEndpoint) this.endpoint.close();
    this.endpoint = null;
    this.ownsEndpoint = false;
    for (const ref of this.channels.values()) ref.deref()?.setReadyState(ChannelState.STATE_CLOSED);
    this.channels.clear();
    if (this.reaperToken) connectionReaper.unregister(this.reaperToken);
    this.reaperToken = null;
  }

  override _close(): void {
    this.teardown();
    this.initialized = true;  // stays closed until initialize()
    this.conn = ConnectionState.STATE_CLOSED;
  }

  override _get_connection_state(): ConnectionState {
    return this.conn;
  }
  override _get_gathering_state(): GatheringState {
    return this.gathering;
  }
  override _get_signaling_state(): SignalingState {
    if (!this.peer) return this.conn === ConnectionState.STATE_CLOSED ? SignalingState.SIGNALING_STATE_CLOSED : SignalingState.SIGNALING_STATE_STABLE;
    return this.peer.states()[0] as SignalingState;
  }
}

WebRTCPeerConnection.register_extension("WebRTCPeerConnectionEngine", WebRTCPeerConnectionEngine);
