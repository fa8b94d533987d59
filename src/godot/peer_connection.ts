// WebRTCPeerConnection: validates every argument, then calls the extension
// virtuals (§5 of the spec). Signals are queued by the extension and emitted
// only inside poll(), FIFO (Godot Native's contract).
import { Error } from "./error.js";
import { printError, printWarning } from "./log.js";
import { Signal, connectByName, disconnectByName, isConnectedByName } from "./signal.js";
import type { WebRTCDataChannel } from "./data_channel.js";
import type { ChannelInit } from "./queued_channel.js";

export const ConnectionState = {
  STATE_NEW: 0, STATE_CONNECTING: 1, STATE_CONNECTED: 2, STATE_DISCONNECTED: 3, STATE_FAILED: 4, STATE_CLOSED: 5,
} as const;
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];
export const GatheringState = { GATHERING_STATE_NEW: 0, GATHERING_STATE_GATHERING: 1, GATHERING_STATE_COMPLETE: 2 } as const;
export type GatheringState = (typeof GatheringState)[keyof typeof GatheringState];
export const SignalingState = {
  SIGNALING_STATE_STABLE: 0, SIGNALING_STATE_HAVE_LOCAL_OFFER: 1, SIGNALING_STATE_HAVE_REMOTE_OFFER: 2,
  SIGNALING_STATE_HAVE_LOCAL_PRANSWER: 3, SIGNALING_STATE_HAVE_REMOTE_PRANSWER: 4, SIGNALING_STATE_CLOSED: 5,
} as const;
export type SignalingState = (typeof SignalingState)[keyof typeof SignalingState];

export interface IceServer {
  urls: string[];
  username: string;
  credential: string;
}

/** What `initialize()` hands to the extension after validation. */
export interface PeerConfig {
  iceServers: IceServer[];
  /** Other W3C RTCConfiguration keys, passed through (iceTransportPolicy, bundlePolicy, ...). */
  extra: Record<string, unknown>;
  /** The dictionary as given. */
  raw: Record<string, unknown>;
}

const KNOWN_CONFIG_KEYS = new Set(["iceServers", "iceTransportPolicy", "bundlePolicy", "rtcpMuxPolicy",
  "iceCandidatePoolSize", "certificates", "libdatachannel", "wasmrtc"]);
const CHANNEL_KEYS = new Set(["negotiated", "id", "maxRetransmits", "maxPacketLifeTime", "ordered", "protocol"]);
const SDP_TYPES = new Set(["offer", "answer", "pranswer", "rollback"]);
const MAX_STREAM_ID = 65534;
/** Input limits: far above what real sessions use (an SDP of a few KiB, RFC 8843 mids of a few characters). */
const MAX_SDP_CHARS = 256 * 1024;
const MAX_MID_CHARS = 256;
const MAX_CANDIDATE_CHARS = 4096;
const MAX_LABEL_BYTES = 65535;

const isDict = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) && !(v instanceof Map);
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);
const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

/** RFC 7064 / RFC 7065 ICE server URL: stun:/stuns:/turn:/turns: host[:port][?transport=udp|tcp]. */
export function parseIceUrl(url: string): { scheme: string; host: string; port: number; transport: string } | null {
  const m = /^(stuns?|turns?):(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?(?:\?transport=(udp|tcp))?$/i.exec(url.trim());
  if (!m) return null;
  const scheme = m[1]!.toLowerCase();
  const port = m[3] ? Number(m[3]) : scheme.endsWith("s") ? 5349 : 3478;
  if (port < 1 || port > 65535) return null;
  if (scheme.startsWith("stun") && m[4]) return null;  // RFC 7064: no transport on stun URIs
  return { scheme, host: m[2]!.replace(/^\[|\]$/g, ""), port, transport: (m[4] ?? "udp").toLowerCase() };
}

type ExtensionClass = new () => WebRTCPeerConnection;
const registry = new Map<string, ExtensionClass>();
let defaultExtension: ExtensionClass | null = null;
let warnedNoDefault = false;

export class WebRTCPeerConnection {
  static readonly STATE_NEW = 0;
  static readonly STATE_CONNECTING = 1;
  static readonly STATE_CONNECTED = 2;
  static readonly STATE_DISCONNECTED = 3;
  static readonly STATE_FAILED = 4;
  static readonly STATE_CLOSED = 5;
  static readonly GATHERING_STATE_NEW = 0;
  static readonly GATHERING_STATE_GATHERING = 1;
  static readonly GATHERING_STATE_COMPLETE = 2;
  static readonly SIGNALING_STATE_STABLE = 0;
  static readonly SIGNALING_STATE_HAVE_LOCAL_OFFER = 1;
  static readonly SIGNALING_STATE_HAVE_REMOTE_OFFER = 2;
  static readonly SIGNALING_STATE_HAVE_LOCAL_PRANSWER = 3;
  static readonly SIGNALING_STATE_HAVE_REMOTE_PRANSWER = 4;
  static readonly SIGNALING_STATE_CLOSED = 5;

  readonly session_description_created = new Signal<[type: string, sdp: string]>("session_description_created");
  readonly ice_candidate_created = new Signal<[media: string, index: number, name: string]>("ice_candidate_created");
  readonly data_channel_received = new Signal<[channel: WebRTCDataChannel]>("data_channel_received");

  /** Work queued by the extension, run FIFO inside poll(): signal emissions and state changes. */
  private pending: Array<() => void> = [];
  private polling = false;
  private channelsCreated = 0;
  private closedByUser = false;

  constructor() {
    // Godot's "custom instance class": new WebRTCPeerConnection() yields the default extension.
    if (new.target === WebRTCPeerConnection) {
      if (defaultExtension) return new defaultExtension();
      if (!warnedNoDefault) {
        warnedNoDefault = true;
        printWarning("No default WebRTC extension configured.");
      }
    }
  }

  /** Registers an extension class under a name usable with set_default_extension. */
  static register_extension(name: string, cls: ExtensionClass): void {
    registry.set(name, cls);
  }

  static set_default_extension(extension: unknown): Error {
    const cls = typeof extension === "string" ? registry.get(extension) : (extension as ExtensionClass);
    if (typeof cls !== "function" || !(cls.prototype instanceof WebRTCPeerConnectionExtension)) {
      printError(`Can't make ${String((extension as { name?: string })?.name ?? extension)} the default WebRTC extension since it does not extend WebRTCPeerConnectionExtension.`);
      return Error.ERR_INVALID_PARAMETER;
    }
    defaultExtension = cls;
    return Error.OK;
  }

  static get_default_extension(): ExtensionClass | null {
    return defaultExtension;
  }

  /** Godot 4 `connect("sig", callable, flags)` or Godot 3 `connect("sig", target, "method", binds, flags)`. */
  connect(signal: unknown, fnOrTarget: unknown, ...rest: unknown[]): Error {
    return connectByName(this, signal, fnOrTarget, ...rest);
  }
  disconnect(signal: unknown, fnOrTarget: unknown, method?: unknown): void {
    disconnectByName(this, signal, fnOrTarget, method);
  }
  is_connected(signal: unknown, fnOrTarget: unknown, method?: unknown): boolean {
    return isConnectedByName(this, signal, fnOrTarget, method);
  }

  // ------------------------------------------------------------------ API
  initialize(configuration: unknown = {}): Error {
    if (!isDict(configuration)) {
      printError("initialize: the configuration must be a Dictionary.");
      return Error.ERR_INVALID_PARAMETER;
    }
    const iceServers: IceServer[] = [];
    const servers = configuration.iceServers;
    if (servers !== undefined) {
      if (!Array.isArray(servers)) {
        printError("initialize: iceServers must be an Array.");
        return Error.ERR_INVALID_PARAMETER;
      }
      for (const s of servers) {
        if (!isDict(s)) {
          printError("initialize: each iceServers entry must be a Dictionary.");
          return Error.ERR_INVALID_PARAMETER;
        }
        const urls = typeof s.urls === "string" ? [s.urls] : Array.isArray(s.urls) ? s.urls : null;
        if (!urls || urls.length === 0 || urls.some((u) => typeof u !== "string")) {
          printError("initialize: an iceServers entry needs 'urls' (a String or an Array of Strings).");
          return Error.FAILED;
        }
        for (const u of urls as string[]) {
          if (!parseIceUrl(u)) {
            printError(`initialize: invalid ICE server URL '${u}'.`);
            return Error.ERR_INVALID_PARAMETER;
          }
        }
        for (const k of ["username", "credential"] as const) {
          if (s[k] !== undefined && typeof s[k] !== "string") {
            printError(`initialize: iceServers '${k}' must be a String.`);
            return Error.ERR_INVALID_PARAMETER;
          }
        }
        if (s.credentials !== undefined) printWarning("initialize: 'credentials' is ignored; the key is 'credential'.");
        iceServers.push({ urls: urls as string[], username: (s.username as string) ?? "", credential: (s.credential as string) ?? "" });
      }
    }
    const extra: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(configuration)) {
      if (k === "iceServers") continue;
      if (!KNOWN_CONFIG_KEYS.has(k)) printWarning(`initialize: unknown configuration key '${k}' ignored.`);
      else extra[k] = v;
    }
    const err = this.guard(() => this._initialize({ iceServers, extra, raw: configuration }), Error.FAILED);
    if (err === Error.OK) {
      this.channelsCreated = 0;
      this.closedByUser = false;
    }
    return err;
  }

  create_data_channel(label: unknown, options: unknown = {}): WebRTCDataChannel | null {
    if (typeof label !== "string" || utf8Length(label) > MAX_LABEL_BYTES) {
      printError("create_data_channel: the label must be a String of at most 65535 bytes.");
      return null;
    }
    if (!isDict(options)) {
      printError("create_data_channel: options must be a Dictionary.");
      return null;
    }
    if (this.closedByUser) {
      printError("create_data_channel: the connection is closed; call initialize() first.");
      return null;
    }
    if (this.get_connection_state() !== ConnectionState.STATE_NEW) {
      printError("create_data_channel: channels can only be created while the connection state is STATE_NEW.");
      return null;
    }
    for (const k of Object.keys(options)) {
      if (!CHANNEL_KEYS.has(k)) printWarning(`create_data_channel: unknown option '${k}' ignored.`);
    }
    const o = options;
    const badType = (k: string, t: string) => {
      printError(`create_data_channel: option '${k}' must be ${t}. (ERR_INVALID_PARAMETER)`);
      return null;
    };
    if (o.negotiated !== undefined && typeof o.negotiated !== "boolean") return badType("negotiated", "a bool");
    if (o.ordered !== undefined && typeof o.ordered !== "boolean") return badType("ordered", "a bool");
    if (o.protocol !== undefined && (typeof o.protocol !== "string" || utf8Length(o.protocol) > 65535)) {
      return badType("protocol", "a String of at most 65535 bytes");
    }
    for (const k of ["id", "maxRetransmits", "maxPacketLifeTime"] as const) {
      if (o[k] !== undefined && (!isInt(o[k]) || (o[k] as number) < 0 || (o[k] as number) > (k === "id" ? MAX_STREAM_ID : 65535))) {
        return badType(k, k === "id" ? "an int in 0..65534" : "an int in 0..65535");
      }
    }
    const negotiated = o.negotiated === true;
    if (negotiated !== (o.id !== undefined)) {
      printError("create_data_channel: 'negotiated' and 'id' go together. (ERR_INVALID_PARAMETER)");
      return null;
    }
    if (o.maxRetransmits !== undefined && o.maxPacketLifeTime !== undefined) {
      printError("create_data_channel: set either maxRetransmits or maxPacketLifeTime, not both. (ERR_INVALID_PARAMETER)");
      return null;
    }
    const init: ChannelInit = {
      label,
      ordered: o.ordered !== false,
      id: negotiated ? (o.id as number) : 65535,
      maxPacketLifeTime: (o.maxPacketLifeTime as number | undefined) ?? 65535,
      maxRetransmits: (o.maxRetransmits as number | undefined) ?? 65535,
      protocol: (o.protocol as string | undefined) ?? "",
      negotiated,
    };
    const ch = this.guard(() => this._create_data_channel(label, init), null);
    if (ch) this.channelsCreated++;
    return ch;
  }

  create_offer(): Error {
    if (this.closedByUser) {
      printError("create_offer: the connection is closed; call initialize() first.");
      return Error.ERR_UNCONFIGURED;
    }
    if (this.get_connection_state() !== ConnectionState.STATE_NEW) {
      // wasmrtc: a new offer of a running connection restarts ICE (STATE_DISCONNECTED, or after restart_ice()).
      if (this._can_offer_again()) return this.guard(() => this._create_offer(), Error.FAILED);
      printError("create_offer: the connection state must be STATE_NEW (or STATE_DISCONNECTED, to restart ICE).");
      return Error.FAILED;
    }
    if (this.channelsCreated === 0) {
      printError("create_offer: create a data channel first; there is nothing to negotiate.");
      return Error.FAILED;
    }
    return this.guard(() => this._create_offer(), Error.FAILED);
  }

  set_local_description(type: unknown, sdp: unknown): Error {
    if (typeof type !== "string" || typeof sdp !== "string" || !SDP_TYPES.has(type)) {
      printError("set_local_description: type must be offer/answer/pranswer/rollback and sdp a String.");
      return Error.ERR_INVALID_PARAMETER;
    }
    if (this.closedByUser) {
      printError("set_local_description: the connection is closed.");
      return Error.ERR_UNCONFIGURED;
    }
    return this.guard(() => this._set_local_description(type, sdp), Error.FAILED);
  }

  set_remote_description(type: unknown, sdp: unknown): Error {
    if (typeof type !== "string" || typeof sdp !== "string" || !SDP_TYPES.has(type)) {
      printError("set_remote_description: type must be offer/answer/pranswer/rollback and sdp a String.");
      return Error.ERR_INVALID_PARAMETER;
    }
    if (this.closedByUser) {
      printError("set_remote_description: the connection is closed.");
      return Error.ERR_UNCONFIGURED;
    }
    if (sdp.length > MAX_SDP_CHARS) {
      // A data channel session's SDP is a few KiB; refusing before it reaches the engine keeps its memory small.
      printError(`set_remote_description: the SDP is ${sdp.length} characters; at most ${MAX_SDP_CHARS} are accepted.`);
      return Error.ERR_INVALID_PARAMETER;
    }
    if (type !== "rollback" && !/^v=0\r?\n/.test(sdp)) {
      printError("set_remote_description: the SDP does not parse (it must start with 'v=0').");
      return Error.FAILED;
    }
    return this.guard(() => this._set_remote_description(type, sdp), Error.FAILED);
  }

  add_ice_candidate(media: unknown, index: unknown, name: unknown): Error {
    if (typeof media !== "string" || !isInt(index) || index < 0 || index > 65535 || typeof name !== "string") {
      printError("add_ice_candidate: expects (media: String, index: int 0..65535, name: String).");
      return Error.ERR_INVALID_PARAMETER;
    }
    if (this.closedByUser) {
      printError("add_ice_candidate: the connection is closed.");
      return Error.ERR_UNCONFIGURED;
    }
    if (media.length > MAX_MID_CHARS || name.length > MAX_CANDIDATE_CHARS) {
      printError(`add_ice_candidate: ${media.length > MAX_MID_CHARS ? `media (mid) longer than ${MAX_MID_CHARS}` : `candidate longer than ${MAX_CANDIDATE_CHARS}`} characters.`);
      return Error.ERR_INVALID_PARAMETER;
    }
    if (!parseCandidateLine(name)) {
      printError(`add_ice_candidate: malformed candidate '${name.slice(0, 80)}'.`);
      return Error.ERR_INVALID_PARAMETER;
    }
    return this.guard(() => this._add_ice_candidate(media, index, name), Error.FAILED);
  }

  poll(): Error {
    if (this.polling) return Error.OK;  // a handler calling poll() re-entrantly: the outer loop continues
    this.polling = true;
    try {
      const r = this.guard(() => this._poll(), Error.FAILED);
      // Signals queued while emitting are emitted in the same call (Native).
      for (let guard = 0; this.pending.length && guard < 1_000_000; guard++) {
        const next = this.pending.shift()!;
        next();
      }
      return r;
    } finally {
      this.polling = false;
    }
  }

  close(): void {
    this.closedByUser = true;
    this.pending = [];  // undelivered signals are discarded
    this.guard(() => {
      this._close();
      return Error.OK;
    }, Error.OK);
    this.pending = [];
  }

  get_connection_state(): ConnectionState {
    return this.guard(() => this._get_connection_state(), ConnectionState.STATE_CLOSED);
  }
  get_gathering_state(): GatheringState {
    return this.guard(() => this._get_gathering_state(), GatheringState.GATHERING_STATE_NEW);
  }
  get_signaling_state(): SignalingState {
    return this.guard(() => this._get_signaling_state(), SignalingState.SIGNALING_STATE_CLOSED);
  }

  // ------------------------------------------------------------------ for extensions
  /** Queues work (a signal emission, a state change) to run inside the next poll(), FIFO. */
  protected _queue(fn: () => void): void {
    if (!this.closedByUser) this.pending.push(fn);
  }
  protected _emit_session_description_created(type: string, sdp: string): void {
    this._queue(() => this.session_description_created.emit(type, sdp));
  }
  protected _emit_ice_candidate_created(media: string, index: number, name: string): void {
    this._queue(() => this.ice_candidate_created.emit(media, index, name));
  }
  protected _emit_data_channel_received(channel: WebRTCDataChannel): void {
    this._queue(() => this._announce_data_channel(channel));
  }

  /**
   * Inside poll(): emits data_channel_received, or — with no listener, when
   * Godot's reference count would free the channel at once — closes it, so its
   * data cannot hold the association's receive window.
   */
  protected _announce_data_channel(channel: WebRTCDataChannel): void {
    if (this.data_channel_received.get_connections().length > 0) {
      this.data_channel_received.emit(channel);
      return;
    }
    printWarning(`data_channel_received has no listener: channel '${channel.get_label()}' is closed (nothing keeps a reference to it).`);
    channel.close();
  }

  /** Nothing throws out of the API: an extension's exception becomes the fallback value. */
  private guard<T>(fn: () => T, fallback: T): T {
    try {
      return fn();
    } catch (e) {
      printError(`WebRTC extension error: ${(e as { message?: string })?.message ?? String(e)}`);
      return fallback;
    }
  }

  // ------------------------------------------------------------------ virtuals (§5)
  _get_connection_state(): ConnectionState {
    return ConnectionState.STATE_CLOSED;
  }
  _get_gathering_state(): GatheringState {
    return GatheringState.GATHERING_STATE_NEW;
  }
  _get_signaling_state(): SignalingState {
    return SignalingState.SIGNALING_STATE_CLOSED;
  }
  _initialize(_config: PeerConfig): Error {
    printError("No default WebRTC extension configured: call WebRTCPeerConnection.set_default_extension().");
    return Error.ERR_UNCONFIGURED;
  }
  _create_data_channel(_label: string, _init: ChannelInit): WebRTCDataChannel | null {
    printError("No default WebRTC extension configured.");
    return null;
  }
  _create_offer(): Error {
    return Error.ERR_UNCONFIGURED;
  }
  /** Whether create_offer() may renegotiate a connection that is no longer STATE_NEW (an ICE restart). */
  _can_offer_again(): boolean {
    return false;
  }
  _set_remote_description(_type: string, _sdp: string): Error {
    return Error.ERR_UNCONFIGURED;
  }
  _set_local_description(_type: string, _sdp: string): Error {
    return Error.ERR_UNCONFIGURED;
  }
  _add_ice_candidate(_media: string, _index: number, _name: string): Error {
    return Error.ERR_UNCONFIGURED;
  }
  _poll(): Error {
    return Error.OK;
  }
  _close(): void {}
}

/** Base class for implementations (Godot's WebRTCPeerConnectionExtension). */
export class WebRTCPeerConnectionExtension extends WebRTCPeerConnection {}

/**
 * Candidate line check (RFC 8839 §5.1), accepting Godot's forms: with or
 * without "a=" and "candidate:". Also used by extensions to split fields.
 */
export function parseCandidateLine(line: string): { foundation: string; component: number; transport: string;
  priority: number; address: string; port: number; type: string } | null {
  let s = line.trim();
  if (s.startsWith("a=")) s = s.slice(2);
  if (s.startsWith("candidate:")) s = s.slice(10);
  if (s.length > 1024) return null;
  const p = s.split(/\s+/);
  if (p.length < 8 || p[6] !== "typ") return null;
  const [foundation, comp, transport, prio, address, port, , type] = p as [string, string, string, string, string, string, string, string];
  if (!/^[A-Za-z0-9+/]{1,32}$/.test(foundation)) return null;
  if (!/^\d{1,3}$/.test(comp) || Number(comp) < 1 || Number(comp) > 256) return null;
  if (!/^\d{1,10}$/.test(prio) || Number(prio) > 0xffffffff) return null;
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return null;
  if (!/^[A-Za-z]+$/.test(transport)) return null;
  if (!["host", "srflx", "prflx", "relay"].includes(type)) return null;
  const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  const okAddr = ipv4 ? ipv4.slice(1).every((x) => Number(x) <= 255)
    : /^[0-9a-fA-F:.]+$/.test(address) && address.includes(":") || /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.local$/.test(address);
  if (!okAddr) return null;
  return { foundation, component: Number(comp), transport: transport.toLowerCase(), priority: Number(prio), address, port: Number(port), type };
}
