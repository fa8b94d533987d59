// One promise-based "remote peer" interface over every foreign stack (werift,
// @roamhq/wrtc, node-datachannel, Chromium, pion). The test side drives it; the
// stack runs its own RTCPeerConnection (in this process, or in a page).

export type StackName = "werift" | "wrtc" | "node-datachannel" | "chromium" | "pion";
export const NODE_STACKS: StackName[] = ["werift", "wrtc", "node-datachannel"];

/** A data channel as W3C createDataChannel() takes it, plus the label. */
export interface ChannelSpec {
  label: string;
  ordered?: boolean;
  maxRetransmits?: number;
  maxPacketLifeTime?: number;
  negotiated?: boolean;
  id?: number;
  protocol?: string;
}

/** What a stack reports about a channel (created locally or announced by DCEP). */
export interface ChannelInfo {
  label: string;
  id: number | null;
  ordered: boolean;
  maxRetransmits: number | null;
  maxPacketLifeTime: number | null;
  protocol: string;
  negotiated: boolean;
  readyState: string;
}

export interface ReceivedMessage {
  data: Uint8Array;
  isString: boolean;
  /** ms since the peer was created */
  at: number;
}

export interface RemoteChannel {
  readonly key: number;
  readonly label: string;
  /** Channel properties as the stack reports them now. */
  info(): Promise<ChannelInfo>;
  readonly received: ReceivedMessage[];
  readonly opened: Promise<void>;
  readonly closed: Promise<void>;
  isOpen(): boolean;
  isClosed(): boolean;
  /** Sends a string (text message) or bytes (binary message). Rejects if the stack throws. */
  send(data: Uint8Array | string): Promise<void>;
  /** Echo mode: every message received is sent straight back by the stack itself (same type). */
  setEcho(on: boolean): Promise<void>;
  bufferedAmount(): Promise<number>;
  close(): Promise<void>;
  /** Resolves with the next message not yet taken by nextMessage(); rejects after timeoutMs. */
  nextMessage(timeoutMs: number): Promise<ReceivedMessage>;
}

export interface RemoteCreateOptions {
  /** Channels created before signaling starts (in-band ones are announced with DCEP). */
  channels?: ChannelSpec[];
}

export interface RemotePeer {
  readonly stack: StackName;
  /** createOffer + setLocalDescription; resolves with the offer SDP. */
  createOffer(): Promise<string>;
  /** setRemoteDescription(offer) + createAnswer + setLocalDescription; resolves with the answer SDP. */
  acceptOffer(sdp: string): Promise<string>;
  acceptAnswer(sdp: string): Promise<void>;
  /** Candidates given before the remote description is set are kept and applied after it. */
  addCandidate(mid: string, index: number, line: string): Promise<void>;
  /** Local candidates as (mid, m-line index, line without "a="). Earlier ones are replayed. */
  onCandidate(cb: (mid: string, index: number, line: string) => void): void;
  readonly channels: Map<string, RemoteChannel>;
  /** Channels announced by the other side (DCEP), in arrival order. */
  onChannel(cb: (ch: RemoteChannel) => void): void;
  waitChannel(label: string, timeoutMs: number): Promise<RemoteChannel>;
  createChannel(spec: ChannelSpec): Promise<RemoteChannel>;
  /** connectionState values seen, in order (iceConnectionState when connectionState is absent). */
  readonly states: string[];
  connectionState(): string;
  waitState(pred: (s: string) => boolean, timeoutMs: number): Promise<string>;
  close(): Promise<void>;
}

export interface RemoteStack {
  readonly name: StackName;
  /** Product/version string for reports. */
  readonly version: string;
  create(opts?: RemoteCreateOptions): Promise<RemotePeer>;
  shutdown(): Promise<void>;
}
