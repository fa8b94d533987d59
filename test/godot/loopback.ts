// A test double: an in-memory extension that connects two WebRTCPeerConnection
// instances in one process, with Godot Native's signal order. It exists so the
// API layer's contract (validation, queueing, poll() ordering, channel
// semantics) can be tested without a network; real stacks are tested elsewhere
// (Chromium, the wasm engine).
import { Error } from "../../src/godot/error.js";
import { ChannelState, type WebRTCDataChannel } from "../../src/godot/data_channel.js";
import {
  ConnectionState,
  GatheringState,
  SignalingState,
  WebRTCPeerConnection,
  WebRTCPeerConnectionExtension,
  type PeerConfig,
} from "../../src/godot/peer_connection.js";
import { QueuedDataChannel, type ChannelInit } from "../../src/godot/queued_channel.js";

const peers = new Map<number, LoopbackPeerConnection>();
let nextId = 1;

class LoopbackChannel extends QueuedDataChannel {
  remote: LoopbackChannel | null = null;
  buffered = 0;
  constructor(init: ChannelInit, readonly owner: LoopbackPeerConnection) {
    super(init);
  }
  protected transportSend(data: Uint8Array, isString: boolean): Error {
    const r = this.remote;
    if (!r) return Error.FAILED;
    const copy = data.slice();
    this.buffered += copy.length;
    // Delivered when the receiver polls, like a real network would.
    r.owner.queueWork(() => {
      this.buffered -= copy.length;
      if (r.get_ready_state() === ChannelState.STATE_OPEN) r.deliver(copy, isString);
    });
    return Error.OK;
  }
  protected transportClose(): void {
    const r = this.remote;
    if (r) r.owner.queueWork(() => r.setReadyState(ChannelState.STATE_CLOSED));
  }
  protected override transportBufferedAmount(): number {
    return this.buffered;
  }
  protected override transportMaxMessageSize(): number {
    return 262144;
  }
  open(): void {
    this.setReadyState(ChannelState.STATE_OPEN);
  }
}

export class LoopbackPeerConnection extends WebRTCPeerConnectionExtension {
  readonly loopId = nextId++;
  conn: ConnectionState = ConnectionState.STATE_NEW;
  gathering: GatheringState = GatheringState.GATHERING_STATE_NEW;
  signaling: SignalingState = SignalingState.SIGNALING_STATE_STABLE;
  remote: LoopbackPeerConnection | null = null;
  channels: LoopbackChannel[] = [];
  remoteCandidates = 0;
  lastConfig: PeerConfig | null = null;
  private dtlsClient = false;

  constructor() {
    super();
    peers.set(this.loopId, this);
  }

  queueWork(fn: () => void): void {
    this._queue(fn);
  }

  private sdp(type: string): string {
    return `v=0\r\no=- ${this.loopId} 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=loopback:${this.loopId}\r\na=type:${type}\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n`;
  }

  private gather(): void {
    this._queue(() => (this.gathering = GatheringState.GATHERING_STATE_GATHERING));
    this._emit_ice_candidate_created("0", 0, `candidate:1 1 udp 2130706431 127.0.0.1 ${40000 + this.loopId} typ host`);
    this._queue(() => (this.gathering = GatheringState.GATHERING_STATE_COMPLETE));
  }

  override _initialize(config: PeerConfig): Error {
    this.lastConfig = config;
    this.conn = ConnectionState.STATE_NEW;
    this.signaling = SignalingState.SIGNALING_STATE_STABLE;
    this.gathering = GatheringState.GATHERING_STATE_NEW;
    this.channels = [];
    this.remote = null;
    return Error.OK;
  }

  override _create_data_channel(_label: string, init: ChannelInit): WebRTCDataChannel | null {
    const ch = new LoopbackChannel({ ...init }, this);
    this.channels.push(ch);
    return ch;
  }

  override _create_offer(): Error {
    this.signaling = SignalingState.SIGNALING_STATE_HAVE_LOCAL_OFFER;
    this.dtlsClient = false;
    this._emit_session_description_created("offer", this.sdp("offer"));
    this.gather();
    return Error.OK;
  }

  override _set_local_description(): Error {
    return Error.OK;  // applied when created, as Native
  }

  override _set_remote_description(type: string, sdp: string): Error {
    const m = /a=loopback:(\d+)/.exec(sdp);
    const peer = m ? peers.get(Number(m[1])) : undefined;
    if (!peer) return Error.FAILED;
    if (type === "offer") {
      if (this.signaling !== SignalingState.SIGNALING_STATE_STABLE) return Error.FAILED;
      this.remote = peer;
      this.dtlsClient = true;
      this._emit_session_description_created("answer", this.sdp("answer"));
      this.gather();
      this.maybeConnect();
      return Error.OK;
    }
    if (type === "answer") {
      if (this.signaling !== SignalingState.SIGNALING_STATE_HAVE_LOCAL_OFFER) return Error.FAILED;
      this.signaling = SignalingState.SIGNALING_STATE_STABLE;
      this.remote = peer;
      this.maybeConnect();
      return Error.OK;
    }
    return Error.FAILED;
  }

  override _add_ice_candidate(): Error {
    this.remoteCandidates++;
    this.maybeConnect();
    return Error.OK;
  }

  private maybeConnect(): void {
    const r = this.remote;
    if (!r || r.remote !== this || this.remoteCandidates === 0 || r.remoteCandidates === 0) return;
    if (this.conn !== ConnectionState.STATE_NEW || r.conn !== ConnectionState.STATE_NEW) return;
    for (const side of [this, r]) {
      side._queue(() => (side.conn = ConnectionState.STATE_CONNECTING));
      side._queue(() => (side.conn = ConnectionState.STATE_CONNECTED));
    }
    // Negotiated channels pair by id; in-band ones are announced to the other side.
    let nextEven = 0;
    let nextOdd = 1;
    const assign = (side: LoopbackPeerConnection, ch: LoopbackChannel) => {
      if (side.dtlsClient) {
        ch.setId(nextEven);
        nextEven += 2;
      } else {
        ch.setId(nextOdd);
        nextOdd += 2;
      }
    };
    for (const side of [this, r]) {
      const other = side === this ? r : this;
      for (const ch of side.channels) {
        if (ch.is_negotiated()) {
          const peerCh = other.channels.find((c) => c.is_negotiated() && c.get_id() === ch.get_id());
          if (peerCh) {
            ch.remote = peerCh;
            side._queue(() => ch.open());
          }
          continue;
        }
        assign(side, ch);
        const mirror = new LoopbackChannel({ label: ch.get_label(), ordered: ch.is_ordered(), id: ch.get_id(),
          maxPacketLifeTime: ch.get_max_packet_life_time(), maxRetransmits: ch.get_max_retransmits(),
          protocol: ch.get_protocol(), negotiated: false }, other);
        ch.remote = mirror;
        mirror.remote = ch;
        side._queue(() => ch.open());
        other._queue(() => {
          mirror.open();
        });
        other._emit_data_channel_received(mirror);
      }
    }
  }

  override _poll(): Error {
    return Error.OK;
  }

  override _close(): void {
    this.conn = ConnectionState.STATE_CLOSED;
    for (const ch of this.channels) ch.close();
  }

  override _get_connection_state(): ConnectionState {
    return this.conn;
  }
  override _get_gathering_state(): GatheringState {
    return this.gathering;
  }
  override _get_signaling_state(): SignalingState {
    return this.signaling;
  }
}

WebRTCPeerConnection.register_extension("LoopbackPeerConnection", LoopbackPeerConnection);
