// SceneMultiplayer (Godot 4) at the packet level: its framing (a command byte;
// SYS ADD_PEER / DEL_PEER / RELAY / AUTH; RAW for send_bytes) and its server
// relay, so a TypeScript peer can take part in a Godot game's server, client
// or mesh at the RAW level — and relay for clients as Godot's server does.
// RPCs, spawning and synchronization are not here. Spec §4.7.
import { Error } from "./error.js";
import { printError } from "./log.js";
import { ConnectionStatus, MultiplayerPeer, TransferMode } from "./multiplayer_peer.js";
import { Signal, connectByName, disconnectByName, isConnectedByName } from "./signal.js";

export const NetworkCommand = { REMOTE_CALL: 0, SIMPLIFY_PATH: 1, CONFIRM_PATH: 2, RAW: 3, SPAWN: 4, DESPAWN: 5, SYNC: 6, SYS: 7 } as const;
export const SysCommand = { AUTH: 0, ADD_PEER: 1, DEL_PEER: 2, RELAY: 3 } as const;
const SYS_HEADER = 6;  // command, sys command, int32 peer id

export type ScenePacket =
  | { kind: "raw"; data: Uint8Array }
  | { kind: "sys"; sys: number; peer: number; payload: Uint8Array }
  | { kind: "auth"; data: Uint8Array; done: boolean }
  | { kind: "other"; command: number };

export function encodeRaw(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + data.length);
  out[0] = NetworkCommand.RAW;
  out.set(data, 1);
  return out;
}

export function encodeSys(sys: number, peer: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(SYS_HEADER + payload.length);
  out[0] = NetworkCommand.SYS;
  out[1] = sys;
  new DataView(out.buffer).setInt32(2, peer, true);
  out.set(payload, SYS_HEADER);
  return out;
}

/** `[07 00 data…]`; exactly `[07 00]` means "my side finished authenticating". */
export function encodeAuth(data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(2 + data.length);
  out[0] = NetworkCommand.SYS;
  out[1] = SysCommand.AUTH;
  out.set(data, 2);
  return out;
}

/** Null when malformed (too short for its command). */
export function decodeScenePacket(b: Uint8Array): ScenePacket | null {
  if (b.length < 1) return null;
  const command = b[0]! & 7;
  if (command === NetworkCommand.RAW) return b.length < 2 ? null : { kind: "raw", data: b.subarray(1) };
  if (command !== NetworkCommand.SYS) return { kind: "other", command };
  if (b.length < 2) return null;
  if (b[1] === SysCommand.AUTH) return { kind: "auth", data: b.subarray(2), done: b.length === 2 };
  if (b.length < SYS_HEADER) return null;
  return { kind: "sys", sys: b[1]!, peer: new DataView(b.buffer, b.byteOffset, b.byteLength).getInt32(2, true), payload: b.subarray(SYS_HEADER) };
}

/**
 * SceneMultiplayer's peer bookkeeping, RAW packets and server relay over a
 * MultiplayerPeer (e.g. WebRTCMultiplayerPeer). Call poll() every frame.
 */
export class SceneMultiplayerRaw {
  readonly peer_connected = new Signal<[id: number]>("peer_connected");
  readonly peer_disconnected = new Signal<[id: number]>("peer_disconnected");
  readonly peer_packet = new Signal<[id: number, packet: Uint8Array]>("peer_packet");
  readonly connected_to_server = new Signal<[]>("connected_to_server");
  readonly connection_failed = new Signal<[]>("connection_failed");
  readonly server_disconnected = new Signal<[]>("server_disconnected");
  /** Godot's default: the server relays between clients (SceneMultiplayer.server_relay). */
  server_relay = true;
  /** Packets that were malformed or not allowed (counted, dropped). */
  dropped = 0;

  private readonly admitted = new Set<number>();
  private readonly relayed = new Set<number>();
  private lastStatus: ConnectionStatus;

  constructor(readonly multiplayer_peer: MultiplayerPeer) {
    this.lastStatus = multiplayer_peer.get_connection_status();
    multiplayer_peer.peer_connected.connect((id) => this.onPeerConnected(id));
    multiplayer_peer.peer_disconnected.connect((id) => this.onPeerDisconnected(id));
  }

  connect(signal: unknown, fnOrTarget: unknown, ...rest: unknown[]): Error {
    return connectByName(this, signal, fnOrTarget, ...rest);
  }
  disconnect(signal: unknown, fnOrTarget: unknown, method?: unknown): void {
    disconnectByName(this, signal, fnOrTarget, method);
  }
  is_connected(signal: unknown, fnOrTarget: unknown, method?: unknown): boolean {
    return isConnectedByName(this, signal, fnOrTarget, method);
  }

  private get isServer(): boolean {
    return this.multiplayer_peer.get_connection_status() !== ConnectionStatus.CONNECTION_DISCONNECTED && this.multiplayer_peer.get_unique_id() === 1;
  }

  private get relaying(): boolean {
    return this.server_relay && this.multiplayer_peer.is_server_relay_supported();
  }

  get_unique_id(): number {
    return this.multiplayer_peer.get_unique_id();
  }

  /** Every peer this side can reach: direct ones and, on a relayed client, the ones the server announced. */
  get_peers(): number[] {
    return [...new Set([...this.admitted, ...this.relayed])].sort((a, b) => a - b);
  }

  poll(): void {
    const mp = this.multiplayer_peer;
    mp.poll();
    const status = mp.get_connection_status();
    if (status !== ConnectionStatus.CONNECTION_DISCONNECTED) this.selfId = mp.get_unique_id();
    if (status !== this.lastStatus) {
      const was = this.lastStatus;
      this.lastStatus = status;
      // Godot: CONNECTING → DISCONNECTED is connection_failed, CONNECTED → DISCONNECTED on a client server_disconnected.
      if (status === ConnectionStatus.CONNECTION_DISCONNECTED) {
        if (was === ConnectionStatus.CONNECTION_CONNECTING) this.connection_failed.emit();
        else if (this.selfId !== 1) this.server_disconnected.emit();
        // Godot then clear()s: peers a close() took away without peer_disconnected are gone too.
        this.admitted.clear();
        this.relayed.clear();
      }
    }
    // SceneMultiplayer reads only while the peer is CONNECTED (a client sees nothing until its server link opens).
    for (let i = 0; i < 10000 && status === ConnectionStatus.CONNECTION_CONNECTED && mp.get_available_packet_count() > 0; i++) {
      const from = mp.get_packet_peer();
      const mode = mp.get_packet_mode();
      const channel = mp.get_packet_channel();
      const data = mp.get_packet();
      if (mp.get_packet_error() !== Error.OK) break;
      this.process(from, data, mode, channel);
    }
  }

  private selfId = 0;

  private onPeerConnected(id: number): void {
    if (this.isServer && this.relaying) {
      // Server admits X: ADD_PEER(X) to everyone admitted, ADD_PEER(P) to X, reliable on channel 0.
      for (const p of this.admitted) {
        this.sendTo(p, encodeSys(SysCommand.ADD_PEER, id), TransferMode.TRANSFER_MODE_RELIABLE, 0);
        this.sendTo(id, encodeSys(SysCommand.ADD_PEER, p), TransferMode.TRANSFER_MODE_RELIABLE, 0);
      }
    }
    this.admitted.add(id);
    if (id === 1 && !this.isServer) this.connected_to_server.emit();
    this.peer_connected.emit(id);
  }

  private onPeerDisconnected(id: number): void {
    if (!this.admitted.delete(id)) return;
    if (this.isServer && this.relaying) {
      for (const p of this.admitted) this.sendTo(p, encodeSys(SysCommand.DEL_PEER, id), TransferMode.TRANSFER_MODE_RELIABLE, 0);
    }
    this.peer_disconnected.emit(id);
    if (id === 1 && !this.isServer) {
      // The server's announcements went with it.
      for (const r of [...this.relayed]) {
        this.relayed.delete(r);
        this.peer_disconnected.emit(r);
      }
    }
  }

  private sendTo(target: number, packet: Uint8Array, mode: TransferMode, channel: number): Error {
    const mp = this.multiplayer_peer;
    mp.set_target_peer(target);
    mp.transfer_mode = mode;
    mp.transfer_channel = channel;
    return mp.put_packet(packet);
  }

  /** SceneMultiplayer.send_bytes: 0 = everyone, a negative id = everyone but that peer. */
  send_bytes(bytes: unknown, id: unknown = 0, mode: unknown = TransferMode.TRANSFER_MODE_RELIABLE, channel: unknown = 0): Error {
    if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
      printError("send_bytes: the packet must be a non-empty PackedByteArray.");
      return Error.ERR_INVALID_DATA;
    }
    if (!Number.isInteger(id) || (mode !== 0 && mode !== 1 && mode !== 2) || !Number.isInteger(channel) || (channel as number) < 0) {
      printError("send_bytes: bad target, transfer mode or channel.");
      return Error.ERR_INVALID_PARAMETER;
    }
    const mp = this.multiplayer_peer;
    if (mp.get_connection_status() !== ConnectionStatus.CONNECTION_CONNECTED) {
      printError("send_bytes: the multiplayer peer is not connected.");
      return Error.ERR_UNCONFIGURED;
    }
    const target = id as number;
    const raw = encodeRaw(bytes);
    // A client reaches anyone but the server through the server (RELAY with the destination).
    if (!this.isServer && this.relaying && target !== 1) {
      return this.sendTo(1, encodeSys(SysCommand.RELAY, target, raw), mode as TransferMode, channel as number);
    }
    if (target > 0 && !this.admitted.has(target)) {
      printError(`send_bytes: peer ${target} is not connected.`);
      return Error.ERR_INVALID_PARAMETER;
    }
    return this.sendTo(target, raw, mode as TransferMode, channel as number);
  }

  private process(from: number, data: Uint8Array, mode: TransferMode, channel: number): void {
    const p = decodeScenePacket(data);
    if (!p || !this.admitted.has(from)) {
      this.dropped++;
      return;
    }
    switch (p.kind) {
      case "raw":
        this.peer_packet.emit(from, p.data.slice());
        return;
      case "sys":
        return this.processSys(from, p, mode, channel);
      default:
        this.dropped++;  // RPC, spawn, sync, auth: not at this level
    }
  }

  private processSys(from: number, p: Extract<ScenePacket, { kind: "sys" }>, mode: TransferMode, channel: number): void {
    if (p.sys === SysCommand.ADD_PEER || p.sys === SysCommand.DEL_PEER) {
      // Only from the server, only on a client.
      if (from !== 1 || this.isServer || p.peer < 2) {
        this.dropped++;
        return;
      }
      if (p.sys === SysCommand.ADD_PEER) {
        if (this.relayed.has(p.peer) || this.admitted.has(p.peer)) return;
        this.relayed.add(p.peer);
        this.peer_connected.emit(p.peer);
      } else if (this.relayed.delete(p.peer)) {
        this.peer_disconnected.emit(p.peer);
      }
      return;
    }
    if (p.sys !== SysCommand.RELAY || !this.relaying) {
      this.dropped++;
      return;
    }
    const inner = p.payload;
    if (this.isServer) {
      const target = p.peer;
      const rewrap = encodeSys(SysCommand.RELAY, from, inner);
      if (target > 0) {
        if (!this.admitted.has(target)) {
          this.dropped++;
          return;
        }
        this.sendTo(target, rewrap, mode, channel);
        return;
      }
      for (const q of this.admitted) if (q !== from && q !== -target) this.sendTo(q, rewrap, mode, channel);
      if (target !== -1) this.processInner(from, inner);
      return;
    }
    if (from !== 1) {
      this.dropped++;
      return;
    }
    this.processInner(p.peer, inner);
  }

  /** A relayed packet, as if it came from `source`. */
  private processInner(source: number, inner: Uint8Array): void {
    const p = decodeScenePacket(inner);
    if (p?.kind === "raw") this.peer_packet.emit(source, p.data.slice());
    else this.dropped++;
  }
}
