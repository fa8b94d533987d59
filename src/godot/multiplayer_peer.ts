// MultiplayerPeer and WebRTCMultiplayerPeer (Godot 4): many WebRTC connections
// behind one PacketPeer, with Godot's channel layout (negotiated ids 1/2/3 for
// reliable / ordered / unreliable, 4+ for channels_config), its checks in its
// order, and its poll()/round-robin semantics (spec §4). No header is added to
// packets: a real Godot peer sees exactly what it would from Godot.
import { ChannelState, type WebRTCDataChannel } from "./data_channel.js";
import { Error } from "./error.js";
import { printError } from "./log.js";
import { ConnectionState, WebRTCPeerConnection } from "./peer_connection.js";
import { Signal, connectByName, disconnectByName, isConnectedByName } from "./signal.js";
import { wasmrtc_get_variant_encoding } from "./variant3.js";
import { DEFAULT_ENCODE_MAX, decodePacketVar, encodePacketVar, roundEncodeMax } from "./packet_peer.js";
import { asBytes } from "./data_channel.js";

export const TransferMode = { TRANSFER_MODE_UNRELIABLE: 0, TRANSFER_MODE_UNRELIABLE_ORDERED: 1, TRANSFER_MODE_RELIABLE: 2 } as const;
export type TransferMode = (typeof TransferMode)[keyof typeof TransferMode];
export const ConnectionStatus = { CONNECTION_DISCONNECTED: 0, CONNECTION_CONNECTING: 1, CONNECTION_CONNECTED: 2 } as const;
export type ConnectionStatus = (typeof ConnectionStatus)[keyof typeof ConnectionStatus];

export const MAX_PEER_ID = 2147483647;  // ~(1 << 31)
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

/** The PacketPeer side and the properties every MultiplayerPeer has (Godot 4 class reference). */
export abstract class MultiplayerPeer {
  static readonly TARGET_PEER_BROADCAST = 0;
  static readonly TARGET_PEER_SERVER = 1;
  static readonly TRANSFER_MODE_UNRELIABLE = 0;
  static readonly TRANSFER_MODE_UNRELIABLE_ORDERED = 1;
  static readonly TRANSFER_MODE_RELIABLE = 2;
  static readonly CONNECTION_DISCONNECTED = 0;
  static readonly CONNECTION_CONNECTING = 1;
  static readonly CONNECTION_CONNECTED = 2;

  readonly peer_connected = new Signal<[id: number]>("peer_connected");
  readonly peer_disconnected = new Signal<[id: number]>("peer_disconnected");

  protected transferMode: TransferMode = TransferMode.TRANSFER_MODE_RELIABLE;
  protected transferChannel = 0;
  protected refuse = false;
  private lastPacketError: Error = Error.OK;
  private encodeMax = DEFAULT_ENCODE_MAX;

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

  get transfer_mode(): TransferMode {
    return this.transferMode;
  }
  set transfer_mode(m: TransferMode) {
    this.set_transfer_mode(m);
  }
  set_transfer_mode(m: unknown): void {
    if (m !== 0 && m !== 1 && m !== 2) {
      printError("transfer_mode must be TRANSFER_MODE_UNRELIABLE (0), TRANSFER_MODE_UNRELIABLE_ORDERED (1) or TRANSFER_MODE_RELIABLE (2).");
      return;
    }
    this.transferMode = m;
  }
  get_transfer_mode(): TransferMode {
    return this.transferMode;
  }

  get transfer_channel(): number {
    return this.transferChannel;
  }
  set transfer_channel(c: number) {
    this.set_transfer_channel(c);
  }
  /** Godot does not range-check the channel here; put_packet does. */
  set_transfer_channel(c: unknown): void {
    if (!isInt(c) || c < 0 || c > 255) {
      printError("transfer_channel must be an integer 0..255.");
      return;
    }
    this.transferChannel = c;
  }
  get_transfer_channel(): number {
    return this.transferChannel;
  }

  get refuse_new_connections(): boolean {
    return this.refuse;
  }
  set refuse_new_connections(v: boolean) {
    this.set_refuse_new_connections(v);
  }
  set_refuse_new_connections(v: unknown): void {
    if (typeof v !== "boolean") {
      printError("refuse_new_connections must be a bool.");
      return;
    }
    this.refuse = v;
  }
  is_refusing_new_connections(): boolean {
    return this.refuse;
  }

  /** A random id in 2 … 2^31 − 1, as Godot's (1 is the server, negative ids mean "all but"). */
  generate_unique_id(): number {
    const c = (globalThis as { crypto?: { getRandomValues(a: Uint32Array): Uint32Array } }).crypto;
    const a = new Uint32Array(1);
    for (;;) {
      if (c?.getRandomValues) c.getRandomValues(a);
      else a[0] = Math.floor(Math.random() * 0x100000000);
      const id = a[0]! & 0x7fffffff;
      if (id > 1) return id;
    }
  }

  // ------------------------------------------------------------ PacketPeer
  put_packet(buffer: unknown): Error {
    const bytes = asBytes(buffer);
    if (!bytes) {
      printError("put_packet: the buffer must be a PackedByteArray (Uint8Array).");
      return Error.ERR_INVALID_PARAMETER;
    }
    return this._put_packet(bytes);
  }

  get_packet(): Uint8Array {
    const [err, data] = this._get_packet();
    this.lastPacketError = err;
    return err === Error.OK && data ? data : new Uint8Array(0);
  }

  get_packet_error(): Error {
    return this.lastPacketError;
  }

  /** put_var / get_var in the process's Variant encoding (Godot 4 unless wasmrtc_set_variant_encoding("godot3")). */
  put_var(value: unknown, full_objects = false): Error {
    const enc = encodePacketVar(value, full_objects === true, this.encodeMax, wasmrtc_get_variant_encoding());
    return enc.bytes ? this.put_packet(enc.bytes) : enc.error;
  }

  get_var(allow_objects = false): unknown {
    const [err, data] = this._get_packet();
    this.lastPacketError = err;
    return err === Error.OK && data ? decodePacketVar(data, allow_objects === true, wasmrtc_get_variant_encoding()) : null;
  }

  get_encode_buffer_max_size(): number {
    return this.encodeMax;
  }
  set_encode_buffer_max_size(v: unknown): void {
    this.encodeMax = roundEncodeMax(v) ?? this.encodeMax;
  }

  abstract get_available_packet_count(): number;
  abstract get_max_packet_size(): number;
  protected abstract _put_packet(bytes: Uint8Array): Error;
  protected abstract _get_packet(): [Error, Uint8Array | null];
  abstract get_packet_peer(): number;
  abstract get_packet_channel(): number;
  abstract get_packet_mode(): TransferMode;
  abstract set_target_peer(id: number): void;
  abstract get_unique_id(): number;
  abstract get_connection_status(): ConnectionStatus;
  abstract is_server_relay_supported(): boolean;
  abstract poll(): void;
  abstract close(): void;
  abstract disconnect_peer(id: number, force?: boolean): void;
}

const Mode = { NONE: 0, SERVER: 1, CLIENT: 2, MESH: 3 } as const;
type Mode = (typeof Mode)[keyof typeof Mode];

/** The three channels Godot creates on every connection, by list index. */
const CH_RELIABLE = 0;
const CH_ORDERED = 1;
const CH_UNRELIABLE = 2;
const CH_RESERVED_MAX = 3;

export interface ConnectedPeer {
  connection: WebRTCPeerConnection;
  channels: WebRTCDataChannel[];
  connected: boolean;
}

export class WebRTCMultiplayerPeer extends MultiplayerPeer {
  protected mode: number = Mode.NONE;
  protected status: ConnectionStatus = ConnectionStatus.CONNECTION_DISCONNECTED;
  protected uniqueId = 0;
  protected targetPeer = 0;
  /** Insertion order, as Godot 4's HashMap; an id added again keeps its place. */
  protected readonly peers = new Map<number, ConnectedPeer>();
  private extraChannels: Array<{ id: number; ordered: boolean; mode: TransferMode }> = [];
  private nextPacketPeer = 0;
  private nextPacketChannel = 0;

  // ------------------------------------------------------------ setup
  create_server(channels_config: unknown = []): Error {
    return this.init(1, Mode.SERVER, channels_config);
  }

  create_client(peer_id: unknown, channels_config: unknown = []): Error {
    if (peer_id === 1) {
      printError("create_client: Clients cannot have ID 1.");
      return Error.ERR_INVALID_PARAMETER;
    }
    return this.init(peer_id, Mode.CLIENT, channels_config);
  }

  create_mesh(peer_id: unknown, channels_config: unknown = []): Error {
    return this.init(peer_id, Mode.MESH, channels_config);
  }

  private init(selfId: unknown, mode: number, config: unknown): Error {
    if (!isInt(selfId) || selfId < 1 || selfId > MAX_PEER_ID) {
      printError(`The peer id must be between 1 and ${MAX_PEER_ID}.`);
      return Error.ERR_INVALID_PARAMETER;
    }
    if (!Array.isArray(config)) {
      printError("channels_config must be an Array of MultiplayerPeer.TransferMode values.");
      return Error.ERR_INVALID_PARAMETER;
    }
    const extras: Array<{ id: number; ordered: boolean; mode: TransferMode }> = [];
    for (let i = 0; i < config.length; i++) {
      const m = config[i];
      if (!isInt(m)) {
        printError("The 'channels_config' array must contain only enum values from 'MultiplayerPeer.TransferMode'");
        return Error.ERR_INVALID_PARAMETER;
      }
      if (m !== 0 && m !== 1 && m !== 2) {
        printError(`The 'channels_config' array must contain only enum values from 'MultiplayerPeer.TransferMode'. Got: ${m}`);
        return Error.ERR_INVALID_PARAMETER;
      }
      extras.push({ id: CH_RESERVED_MAX + i + 1, ordered: m !== TransferMode.TRANSFER_MODE_UNRELIABLE, mode: m });
    }
    // Godot replaces mode and config on a second call and keeps the peer map.
    this.extraChannels = extras;
    this.uniqueId = selfId;
    this.mode = mode;
    this.status = mode === Mode.CLIENT ? ConnectionStatus.CONNECTION_CONNECTING : ConnectionStatus.CONNECTION_CONNECTED;
    return Error.OK;
  }

  // ------------------------------------------------------------ peers
  add_peer(peer: unknown, peer_id: unknown, unreliable_lifetime: unknown = 1): Error {
    if (this.mode === Mode.NONE) {
      printError("add_peer: call create_server(), create_client() or create_mesh() first.");
      return Error.ERR_UNCONFIGURED;
    }
    if (this.mode === Mode.CLIENT && peer_id !== 1) {
      printError("add_peer: clients can only connect to the server (peer id 1).");
      return Error.ERR_INVALID_PARAMETER;
    }
    if (this.mode === Mode.SERVER && peer_id === 1) {
      printError("add_peer: the server cannot add a peer with id 1.");
      return Error.ERR_INVALID_PARAMETER;
    }
    if (!isInt(peer_id) || peer_id < 1 || peer_id > MAX_PEER_ID) {
      printError(`add_peer: the peer id must be between 1 and ${MAX_PEER_ID}.`);
      return Error.ERR_INVALID_PARAMETER;
    }
    if (!isInt(unreliable_lifetime) || unreliable_lifetime < 0) {
      printError("add_peer: unreliable_lifetime must be an integer ≥ 0.");
      return Error.ERR_INVALID_PARAMETER;
    }
    if (this.refuse) {
      printError("add_peer: refusing new connections (refuse_new_connections is true).");
      return Error.ERR_UNAUTHORIZED;
    }
    if (!(peer instanceof WebRTCPeerConnection)) {
      printError("add_peer: the peer must be a WebRTCPeerConnection.");
      return Error.ERR_INVALID_PARAMETER;
    }
    if (peer.get_connection_state() !== ConnectionState.STATE_NEW) {
      printError("add_peer: the connection must be new (STATE_NEW).");
      return Error.ERR_INVALID_PARAMETER;
    }
    return this.attach(peer, peer_id);
  }

  /** Creates Godot's channels on the connection and files it under `id` (the checks are done). */
  protected attach(peer: WebRTCPeerConnection, peer_id: number): Error {
    // Godot writes the lifetime as "maxPacketLifetime", which neither of its implementations reads: its
    // "ordered" and "unreliable" channels are reliable on the wire. We keep that wire behaviour (docs/compatibility.md).
    const specs: Array<[string, Record<string, unknown>]> = [
      ["reliable", { negotiated: true, ordered: true, id: 1 }],
      ["ordered", { negotiated: true, ordered: true, id: 2 }],
      ["unreliable", { negotiated: true, ordered: false, id: 3 }],
      ...this.extraChannels.map((c): [string, Record<string, unknown>] => [String(c.id), { negotiated: true, ordered: c.ordered, id: c.id }]),
    ];
    const channels: WebRTCDataChannel[] = [];
    for (const [label, opts] of specs) {
      const ch = peer.create_data_channel(label, opts);
      if (!ch) {
        printError(`add_peer: could not create the '${label}' channel.`);
        return Error.FAILED;
      }
      channels.push(ch);
    }
    const old = this.peers.get(peer_id);
    if (old && old.connection !== peer) old.connection.close();
    this.peers.set(peer_id, { connection: peer, channels, connected: false });
    return Error.OK;
  }

  remove_peer(peer_id: unknown): void {
    const p = isInt(peer_id) ? this.peers.get(peer_id) : undefined;
    if (!p) {
      printError(`remove_peer: no peer ${String(peer_id)}.`);
      return;
    }
    this.drop(peer_id as number, p, true);
  }

  /**
   * Godot releases the connection with the multiplayer peer's reference; in a
   * garbage-collected runtime that would leave it open, so it is closed here.
   */
  private drop(id: number, p: ConnectedPeer, signal: boolean): void {
    this.peers.delete(id);
    p.connection.close();
    if (this.nextPacketPeer === id) this.findNextPeer();
    if (p.connected) {
      p.connected = false;
      if (signal) this.onPeerRemoved(id);
    }
  }

  /** Godot 4: peer_disconnected; a client that lost the server is DISCONNECTED. */
  protected onPeerRemoved(id: number): void {
    this.peer_disconnected.emit(id);
    if (this.mode === Mode.CLIENT && id === 1) this.status = ConnectionStatus.CONNECTION_DISCONNECTED;
  }

  /** Godot 4: peer_connected; a client whose server link opened is CONNECTED. */
  protected onPeerAdded(id: number): void {
    if (this.mode === Mode.CLIENT) this.status = ConnectionStatus.CONNECTION_CONNECTED;
    this.peer_connected.emit(id);
  }

  has_peer(peer_id: unknown): boolean {
    return isInt(peer_id) && this.peers.has(peer_id);
  }

  get_peer(peer_id: unknown): Record<string, unknown> {
    const p = isInt(peer_id) ? this.peers.get(peer_id) : undefined;
    if (!p) {
      printError(`get_peer: no peer ${String(peer_id)}.`);
      return {};
    }
    return { connection: p.connection, connected: p.connected, channels: [...p.channels] };
  }

  get_peers(): Record<number, Record<string, unknown>> {
    const out: Record<number, Record<string, unknown>> = {};
    for (const id of this.peers.keys()) out[id] = this.get_peer(id);
    return out;
  }

  disconnect_peer(peer_id: unknown, force: unknown = false): void {
    const p = isInt(peer_id) ? this.peers.get(peer_id) : undefined;
    if (!p) {
      printError(`disconnect_peer: no peer ${String(peer_id)}.`);
      return;
    }
    if (force === true) {
      // Erased at once, no signal (Godot).
      this.drop(peer_id as number, p, false);
      if (this.mode === Mode.CLIENT && peer_id === 1) this.status = ConnectionStatus.CONNECTION_DISCONNECTED;
      return;
    }
    p.connection.close();  // removed, with peer_disconnected, in the next poll()
  }

  close(): void {
    // Godot: cleared without signals; the connections go with it (closed here, see drop()).
    for (const p of this.peers.values()) p.connection.close();
    this.peers.clear();
    this.extraChannels = [];
    this.uniqueId = 0;
    this.nextPacketPeer = 0;
    this.nextPacketChannel = 0;
    this.targetPeer = 0;
    this.mode = Mode.NONE;
    this.status = ConnectionStatus.CONNECTION_DISCONNECTED;
  }

  // ------------------------------------------------------------ state
  get_unique_id(): number {
    if (this.status === ConnectionStatus.CONNECTION_DISCONNECTED) {
      printError("get_unique_id: the multiplayer peer is not active.");
      return 1;
    }
    return this.uniqueId;
  }

  is_server(): boolean {
    return this.uniqueId === 1;
  }

  get_connection_status(): ConnectionStatus {
    return this.status;
  }

  is_server_relay_supported(): boolean {
    return this.mode === Mode.SERVER || this.mode === Mode.CLIENT;
  }

  get_max_packet_size(): number {
    return 1200;
  }

  set_target_peer(id: unknown): void {
    if (!isInt(id) || id < -MAX_PEER_ID || id > MAX_PEER_ID) {
      printError("set_target_peer: the id must be an integer (0 broadcast, negative: all but that peer).");
      return;
    }
    this.targetPeer = id;
  }

  /** Ids in the order poll() visits them (Godot 4: insertion order). */
  protected order(): number[] {
    return [...this.peers.keys()];
  }

  // ------------------------------------------------------------ poll (spec §4.5)
  poll(): void {
    if (this.peers.size === 0) return;
    const remove: number[] = [];
    const add: number[] = [];
    for (const id of this.order()) {
      const p = this.peers.get(id)!;
      p.connection.poll();
      const s = p.connection.get_connection_state();
      if (s === ConnectionState.STATE_NEW || s === ConnectionState.STATE_CONNECTING) continue;
      if (s === ConnectionState.STATE_CONNECTED) {
        let ready = 0;
        let broken = false;
        for (const ch of p.channels) {
          const cs = ch.get_ready_state();
          if (cs === ChannelState.STATE_OPEN) ready++;
          else if (cs !== ChannelState.STATE_CONNECTING) {
            broken = true;
            break;
          }
        }
        if (broken) remove.push(id);
        else if (ready === p.channels.length && !p.connected) {
          p.connected = true;
          add.push(id);
        }
        continue;
      }
      remove.push(id);  // DISCONNECTED, FAILED or CLOSED
    }
    for (const id of remove) {
      const p = this.peers.get(id);
      if (p) this.drop(id, p, true);
    }
    this.announce(add);
    if (this.nextPacketPeer === 0) this.findNextPeer();
  }

  /** Emits peer_connected for peers whose channels all opened in this poll(). */
  protected announce(add: number[]): void {
    for (const id of add) this.onPeerAdded(id);
  }

  // ------------------------------------------------------------ packets (spec §4.6)
  private channelIndex(): number {
    if (this.transferChannel > 0) return CH_RESERVED_MAX + this.transferChannel - 1;
    switch (this.transferMode) {
      case TransferMode.TRANSFER_MODE_RELIABLE:
        return CH_RELIABLE;
      case TransferMode.TRANSFER_MODE_UNRELIABLE_ORDERED:
        return CH_ORDERED;
      default:
        return CH_UNRELIABLE;
    }
  }

  protected _put_packet(bytes: Uint8Array): Error {
    if (this.status === ConnectionStatus.CONNECTION_DISCONNECTED) {
      printError("put_packet: the multiplayer peer is not active.");
      return Error.ERR_UNCONFIGURED;
    }
    const idx = this.channelIndex();
    if (this.targetPeer > 0) {
      const p = this.peers.get(this.targetPeer);
      if (!p) {
        printError(`put_packet: Invalid target peer: ${this.targetPeer}.`);
        return Error.ERR_INVALID_PARAMETER;
      }
      if (idx >= p.channels.length) {
        printError(`put_packet: Unable to send packet on channel ${idx}, max channels: ${p.channels.length}.`);
        return Error.ERR_INVALID_PARAMETER;
      }
      return p.channels[idx]!.put_packet(bytes);
    }
    const exclude = -this.targetPeer;
    for (const [id, p] of this.peers) {
      if (id === exclude || idx >= p.channels.length) continue;
      p.channels[idx]!.put_packet(bytes);  // per-peer errors are ignored (Godot)
    }
    return Error.OK;
  }

  /** Round robin over connected peers, starting after the current source (Godot's _find_next_peer). */
  private findNextPeer(): void {
    const ids = this.order();
    const start = ids.indexOf(this.nextPacketPeer);
    const n = ids.length;
    for (let k = 1; k <= n; k++) {
      // After the current source first, the current one last (start −1: from the beginning).
      const id = ids[(start + k + n) % n]!;
      const p = this.peers.get(id)!;
      if (!p.connected) continue;
      const c = p.channels.findIndex((ch) => ch.get_available_packet_count() > 0);
      if (c >= 0) {
        this.nextPacketPeer = id;
        this.nextPacketChannel = c;
        return;
      }
    }
    this.nextPacketPeer = 0;
    this.nextPacketChannel = 0;
  }

  protected _get_packet(): [Error, Uint8Array | null] {
    const p = this.nextPacketPeer ? this.peers.get(this.nextPacketPeer) : undefined;
    if (!p) {
      this.findNextPeer();
      printError("get_packet: no packet available.");
      return [Error.ERR_UNAVAILABLE, null];
    }
    for (const ch of p.channels) {
      if (ch.get_available_packet_count() > 0) {
        const data = ch.get_packet();
        const err = ch.get_packet_error();
        this.findNextPeer();
        return [err, data];
      }
    }
    this.findNextPeer();
    printError("get_packet: the selected peer has nothing queued.");
    return [Error.ERR_BUG, null];
  }

  get_available_packet_count(): number {
    if (this.nextPacketPeer === 0) return 0;
    let n = 0;
    for (const p of this.peers.values()) {
      if (!p.connected) continue;
      for (const ch of p.channels) n += ch.get_available_packet_count();
    }
    return n;
  }

  /** The peer the next get_packet() reads from (SceneMultiplayer asks before reading). */
  get_packet_peer(): number {
    return this.nextPacketPeer;
  }

  get_packet_channel(): number {
    return this.nextPacketChannel < CH_RESERVED_MAX ? 0 : this.nextPacketChannel - CH_RESERVED_MAX + 1;
  }

  get_packet_mode(): TransferMode {
    if (this.nextPacketChannel === CH_RELIABLE) return TransferMode.TRANSFER_MODE_RELIABLE;
    if (this.nextPacketChannel === CH_ORDERED) return TransferMode.TRANSFER_MODE_UNRELIABLE_ORDERED;
    if (this.nextPacketChannel === CH_UNRELIABLE) return TransferMode.TRANSFER_MODE_UNRELIABLE;
    return this.extraChannels[this.nextPacketChannel - CH_RESERVED_MAX]?.mode ?? TransferMode.TRANSFER_MODE_RELIABLE;
  }
}
