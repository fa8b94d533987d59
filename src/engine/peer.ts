// A handle on one peer connection inside an endpoint (native/peer/peer_connection.h).
// Events arrive as the pump drains the core, in the order they happened; the
// Godot extension queues them for poll().
import type { NetAddress } from "../net/address.js";

export interface PeerAbi {
  wr_peer_new(h: number, nowUs: number, cfg: number, len: number): number;
  wr_peer_count(h: number): number;
  wr_peer_add_host(h: number, id: number, socket: number, family: number, port: number, ip: number): number;
  wr_peer_remove_host(h: number, id: number, socket: number, family: number, port: number, ip: number): number;
  wr_peer_add_server(h: number, id: number, kind: number, family: number, port: number, ip: number,
    user: number, userLen: number, pass: number, passLen: number): number;
  wr_peer_release_gathering(h: number, id: number, nowUs: number): number;
  wr_peer_states(h: number, id: number): number;
  wr_peer_create_offer(h: number, id: number, nowUs: number): number;
  wr_peer_restart_ice(h: number, id: number, request: number): number;
  wr_peer_set_remote(h: number, id: number, nowUs: number, type: number, sdp: number, len: number): number;
  wr_peer_error(h: number, id: number, out: number, cap: number): number;
  wr_peer_add_candidate(h: number, id: number, nowUs: number, mid: number, midLen: number, line: number, len: number): number;
  wr_peer_resolved(h: number, id: number, nowUs: number, name: number, len: number, family: number, ip: number): number;
  wr_peer_channel_new(h: number, id: number, nowUs: number, label: number, labelLen: number, protocol: number,
    protocolLen: number, flags: number, streamId: number, maxRetransmits: number, maxLifetimeMs: number, priority: number): number;
  wr_peer_send(h: number, id: number, nowUs: number, channel: number, data: number, len: number, isString: number): number;
  wr_peer_channel_close(h: number, id: number, nowUs: number, channel: number): number;
  wr_peer_buffered(h: number, id: number, channel: number): number;
  wr_peer_set_low_threshold(h: number, id: number, channel: number, bytes: number): number;
  wr_peer_consume(h: number, id: number, nowUs: number, bytes: number): number;
  wr_peer_remote_max_message_size(h: number, id: number): number;
  wr_peer_close(h: number, id: number, nowUs: number): number;
}

/** Event codes written by native/endpoint/endpoint.h for peers. */
export const enum PeerEventCode {
  LocalDescription = 30,
  LocalCandidate = 31,
  GatheringState = 32,
  SignalingState = 33,
  ConnectionState = 34,
  Resolve = 35,
  ChannelOpen = 40,
  ChannelReceived = 41,
  ChannelMessage = 42,
  ChannelClosing = 43,
  ChannelClosed = 44,
  BufferedAmountLow = 45,
}

export interface RemoteChannelInfo {
  channel: number;
  stream: number;
  ordered: boolean;
  negotiated: boolean;
  maxRetransmits: number;  // -1 when unset
  maxLifetimeMs: number;   // -1 when unset
  priority: number;
  label: string;
  protocol: string;
}

export interface PeerEvents {
  onLocalDescription?(type: "offer" | "answer" | "pranswer", sdp: string): void;
  onLocalCandidate?(mid: string, index: number, line: string): void;
  onGatheringState?(state: number): void;
  onSignalingState?(state: number): void;
  onConnectionState?(state: number, reason: string): void;
  onChannelOpen?(channel: number, stream: number): void;
  onChannelReceived?(info: RemoteChannelInfo): void;
  /** `data` is a copy the receiver owns. */
  onChannelMessage?(channel: number, data: Uint8Array, isString: boolean): void;
  onChannelClosing?(channel: number): void;
  onChannelClosed?(channel: number): void;
  onBufferedAmountLow?(channel: number): void;
}

/** Implemented by Endpoint: the commands a peer handle needs. */
export interface PeerHost {
  peerCommand<T>(fn: (abi: PeerAbi, handle: number, nowUs: number) => T): T;
  peerQuery<T>(fn: (abi: PeerAbi, handle: number) => T): T;
  writeString(s: string): [number, number];
  writeBytes(b: Uint8Array): [number, number];
  writeIpAt(ptr: number, ip: string, family: 4 | 6): boolean;
  readScratchString(ptr: number, len: number): string;
  scratchArea(): number;
  forgetPeer(id: number): void;
  resolveName(name: string): Promise<string | null>;
}

export type SendResult = "ok" | "too-large" | "buffer-full" | "not-open" | "closing" | "closed";
const SEND_RESULTS: SendResult[] = ["ok", "too-large", "buffer-full", "not-open", "closing"];

export interface ChannelSpec {
  label: string;
  protocol?: string;
  ordered?: boolean;
  negotiated?: boolean;
  id?: number;
  maxRetransmits?: number;
  maxPacketLifeTime?: number;
  priority?: number;
}

const DESCRIPTION_TYPES = ["offer", "answer", "pranswer"] as const;
const textDecoder = new TextDecoder();

// The event callbacks of PeerEvents are optional members of every PeerHandle (declaration merging).
export interface PeerHandle extends PeerEvents {}
export class PeerHandle {
  closed = false;
  private lastError = "";

  constructor(private readonly host: PeerHost, readonly id: number) {}

  /** Why the last refused command was refused. */
  get error(): string {
    return this.lastError;
  }

  private readError(abi: PeerAbi, h: number): void {
    const at = this.host.scratchArea();
    const n = abi.wr_peer_error(h, this.id, at, 256);
    this.lastError = n > 0 ? this.host.readScratchString(at, n) : "refused";
  }

  createOffer(): boolean {
    if (this.closed) return false;
    return this.host.peerCommand((abi, h, now) => {
      const r = abi.wr_peer_create_offer(h, this.id, now);
      if (r !== 0) this.readError(abi, h);
      return r === 0;
    });
  }

  /** W3C restartIce(): the next offer restarts ICE (an offer made while disconnected does so by itself). */
  restartIce(): void {
    if (!this.closed) this.host.peerQuery((abi, h) => abi.wr_peer_restart_ice(h, this.id, 1));
  }

  /** How many ICE restarts (either side's) this connection went through. */
  iceRestarts(): number {
    if (this.closed) return 0;
    return Math.max(0, this.host.peerQuery((abi, h) => abi.wr_peer_restart_ice(h, this.id, 0)));
  }

  setRemoteDescription(type: "offer" | "answer" | "pranswer" | "rollback", sdp: string): boolean {
    if (this.closed) return false;
    const code = { offer: 0, answer: 1, pranswer: 2, rollback: 3 }[type];
    return this.host.peerCommand((abi, h, now) => {
      const [p, l] = this.host.writeString(sdp);
      const r = abi.wr_peer_set_remote(h, this.id, now, code, p, l);
      if (r !== 0) this.readError(abi, h);
      return r === 0;
    });
  }

  /** "ok" (also when kept for later), "malformed" or "unusable" (TCP, limits). */
  addRemoteCandidate(mid: string, line: string): "ok" | "malformed" | "unusable" | "closed" {
    if (this.closed) return "closed";
    const r = this.host.peerCommand((abi, h, now) => {
      const [m, ml] = this.host.writeString(mid);
      const [p, pl] = this.host.writeString(line);
      return abi.wr_peer_add_candidate(h, this.id, now, m, ml, p, pl);
    });
    return r === 0 ? "ok" : r === -2 ? "malformed" : "unusable";
  }

  /** Host candidates and ICE servers are in: gathering may start. */
  addHost(socket: number, a: NetAddress): void {
    if (this.closed) return;
    this.host.peerQuery((abi, h) => {
      const at = this.host.scratchArea();
      if (this.host.writeIpAt(at, a.ip, a.family)) abi.wr_peer_add_host(h, this.id, socket, a.family, a.port, at);
    });
  }

  /** The host no longer has this address (it moved): the candidate is not announced or paired again. */
  removeHost(socket: number, a: NetAddress): void {
    if (this.closed) return;
    this.host.peerQuery((abi, h) => {
      const at = this.host.scratchArea();
      if (this.host.writeIpAt(at, a.ip, a.family)) abi.wr_peer_remove_host(h, this.id, socket, a.family, a.port, at);
    });
  }

  addServer(kind: "stun" | "turn", a: NetAddress, username = "", credential = ""): void {
    if (this.closed) return;
    this.host.peerCommand((abi, h) => {
      const [u, ul] = this.host.writeString(username);
      const [p, pl] = this.host.writeString(credential);
      const [ip] = this.host.writeBytes(new Uint8Array(16));
      if (this.host.writeIpAt(ip, a.ip, a.family)) {
        abi.wr_peer_add_server(h, this.id, kind === "stun" ? 0 : 1, a.family, a.port, ip, u, ul, p, pl);
      }
    });
  }

  releaseGathering(): void {
    if (!this.closed) this.host.peerCommand((abi, h, now) => abi.wr_peer_release_gathering(h, this.id, now));
  }

  /** Godot numbers: [signaling, connection]. */
  states(): [number, number] {
    if (this.closed) return [5, 5];
    const v = this.host.peerQuery((abi, h) => abi.wr_peer_states(h, this.id));
    return v < 0 ? [5, 5] : [v & 0xff, (v >> 8) & 0xff];
  }

  createChannel(spec: ChannelSpec): number {
    if (this.closed) return 0;
    return this.host.peerCommand((abi, h, now) => {
      const [l, ll] = this.host.writeString(spec.label);
      const [p, pl] = this.host.writeString(spec.protocol ?? "");
      const flags = (spec.ordered === false ? 0 : 1) | (spec.negotiated ? 2 : 0);
      return abi.wr_peer_channel_new(h, this.id, now, l, ll, p, pl, flags, spec.negotiated ? spec.id ?? -1 : -1,
        spec.maxRetransmits ?? -1, spec.maxPacketLifeTime ?? -1, spec.priority ?? 256);
    });
  }

  send(channel: number, data: Uint8Array, isString: boolean): SendResult {
    if (this.closed) return "closed";
    const r = this.host.peerCommand((abi, h, now) => {
      const [p, l] = this.host.writeBytes(data);
      return abi.wr_peer_send(h, this.id, now, channel, p, l, isString ? 1 : 0);
    });
    return SEND_RESULTS[r] ?? "closed";
  }

  closeChannel(channel: number): void {
    if (!this.closed) this.host.peerCommand((abi, h, now) => abi.wr_peer_channel_close(h, this.id, now, channel));
  }

  bufferedAmount(channel: number): number {
    if (this.closed) return 0;
    return Math.max(0, this.host.peerQuery((abi, h) => abi.wr_peer_buffered(h, this.id, channel)));
  }

  setBufferedAmountLowThreshold(channel: number, bytes: number): void {
    if (!this.closed) this.host.peerQuery((abi, h) => abi.wr_peer_set_low_threshold(h, this.id, channel, bytes));
  }

  /** The application read `bytes` of delivered messages: the receive window reopens. */
  consume(bytes: number): void {
    if (!this.closed && bytes > 0) this.host.peerCommand((abi, h, now) => abi.wr_peer_consume(h, this.id, now, bytes));
  }

  remoteMaxMessageSize(): number {
    if (this.closed) return 65536;
    const v = this.host.peerQuery((abi, h) => abi.wr_peer_remote_max_message_size(h, this.id));
    return v > 0 ? v : 65536;
  }

  /** Synchronous and final: the ABORT and close_notify go out, nothing is emitted afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.peerCommand((abi, h, now) => abi.wr_peer_close(h, this.id, now));
    this.host.forgetPeer(this.id);
  }

  /** @internal Called by the endpoint's pump with one event record. */
  dispatch(code: number, payload: Uint8Array, dv: DataView, at: number): void {
    if (this.closed) return;
    switch (code) {
      case PeerEventCode.LocalDescription:
        this.onLocalDescription?.(DESCRIPTION_TYPES[payload[0]!] ?? "answer", textDecoder.decode(payload.subarray(1)));
        break;
      case PeerEventCode.LocalCandidate: {
        const index = dv.getUint16(at, true);
        const midLen = payload[2]!;
        const mid = textDecoder.decode(payload.subarray(3, 3 + midLen));
        this.onLocalCandidate?.(mid, index, textDecoder.decode(payload.subarray(3 + midLen)));
        break;
      }
      case PeerEventCode.GatheringState:
        this.onGatheringState?.(payload[0]!);
        break;
      case PeerEventCode.SignalingState:
        this.onSignalingState?.(payload[0]!);
        break;
      case PeerEventCode.ConnectionState:
        this.onConnectionState?.(payload[0]!, textDecoder.decode(payload.subarray(1)));
        break;
      case PeerEventCode.Resolve: {
        const name = textDecoder.decode(payload);
        this.host.resolveName(name).then((ip) => this.resolved(name, ip), () => this.resolved(name, null));
        break;
      }
      case PeerEventCode.ChannelOpen:
        this.onChannelOpen?.(dv.getUint32(at, true), dv.getUint16(at + 4, true));
        break;
      case PeerEventCode.ChannelReceived: {
        const labelLen = dv.getUint32(at + 18, true);
        this.onChannelReceived?.({
          channel: dv.getUint32(at, true),
          stream: dv.getUint16(at + 4, true),
          ordered: payload[6] === 1,
          negotiated: payload[7] === 1,
          maxRetransmits: dv.getInt32(at + 8, true),
          maxLifetimeMs: dv.getInt32(at + 12, true),
          priority: dv.getUint16(at + 16, true),
          label: textDecoder.decode(payload.subarray(22, 22 + labelLen)),
          protocol: textDecoder.decode(payload.subarray(22 + labelLen)),
        });
        break;
      }
      case PeerEventCode.ChannelMessage:
        this.onChannelMessage?.(dv.getUint32(at, true), payload.slice(5), payload[4] === 1);
        break;
      case PeerEventCode.ChannelClosing:
        this.onChannelClosing?.(dv.getUint32(at, true));
        break;
      case PeerEventCode.ChannelClosed:
        this.onChannelClosed?.(dv.getUint32(at, true));
        break;
      case PeerEventCode.BufferedAmountLow:
        this.onBufferedAmountLow?.(dv.getUint32(at, true));
        break;
    }
  }

  private resolved(name: string, ip: string | null): void {
    if (this.closed) return;
    this.host.peerCommand((abi, h, now) => {
      const [n, nl] = this.host.writeString(name);
      const [ipPtr] = this.host.writeBytes(new Uint8Array(16));
      const family = ip ? (ip.includes(":") ? 6 : 4) : 0;
      const ok = ip !== null && this.host.writeIpAt(ipPtr, ip, family as 4 | 6);
      return abi.wr_peer_resolved(h, this.id, now, n, nl, ok ? family : 0, ipPtr);
    });
  }
}
