// The first extension: the browser's own RTCPeerConnection (what Godot's Web
// export uses), with every browser event queued so it surfaces only inside
// poll(), like the engine. Works with any W3C-compatible RTCPeerConnection
// (browsers; @roamhq/wrtc or werift in Node for tests).
import { Error } from "./error.js";
import { printError } from "./log.js";
import { ChannelState, type WebRTCDataChannel } from "./data_channel.js";
import {
  ConnectionState,
  GatheringState,
  SignalingState,
  WebRTCPeerConnection,
  WebRTCPeerConnectionExtension,
  type PeerConfig,
} from "./peer_connection.js";
import { QueuedDataChannel, type ChannelInit } from "./queued_channel.js";

type AnyPC = any;  // RTCPeerConnection from the runtime (DOM types are not assumed)
type AnyDC = any;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

let rtcFactory: (() => (new (cfg?: unknown) => AnyPC) | undefined) = () =>
  (globalThis as { RTCPeerConnection?: new (cfg?: unknown) => AnyPC }).RTCPeerConnection;

/** Lets Node tests (or an embedder) supply an RTCPeerConnection implementation. */
export function setRTCPeerConnectionImplementation(ctor: (new (cfg?: unknown) => AnyPC) | null): void {
  rtcFactory = ctor ? () => ctor : () => (globalThis as { RTCPeerConnection?: new (cfg?: unknown) => AnyPC }).RTCPeerConnection;
}

export function hasBrowserWebRTC(): boolean {
  return typeof rtcFactory() === "function";
}

class BrowserDataChannel extends QueuedDataChannel {
  constructor(private readonly dc: AnyDC, init: ChannelInit, private readonly owner: WebRTCPeerConnectionJS) {
    super(init);
    dc.binaryType = "arraybuffer";
    if (dc.readyState === "open") this.readyState = ChannelState.STATE_OPEN;
    dc.onopen = () => owner.queueWork(() => {
      if (this.readyState !== ChannelState.STATE_CLOSED) this.setReadyState(ChannelState.STATE_OPEN);
      if (typeof dc.id === "number") this.setId(dc.id);
    });
    dc.onclosing = () => owner.queueWork(() => {
      if (this.readyState !== ChannelState.STATE_CLOSED) this.setReadyState(ChannelState.STATE_CLOSING);
    });
    dc.onclose = () => owner.queueWork(() => this.setReadyState(ChannelState.STATE_CLOSED));
    dc.onmessage = (ev: { data: unknown }) => {
      const d = ev.data;
      let bytes: Uint8Array;
      let isString = false;
      if (typeof d === "string") {
        bytes = utf8.encode(d);
        isString = true;
      } else if (d instanceof ArrayBuffer) {
        bytes = new Uint8Array(d);
      } else if (ArrayBuffer.isView(d)) {
        bytes = new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
      } else {
        printError("DataChannel: Blob messages are not supported.");
        return;
      }
      owner.queueWork(() => this.deliver(bytes, isString));
    };
  }

  protected transportSend(data: Uint8Array, isString: boolean): Error {
    try {
      if (isString) {
        // A browser sends strings as UTF-8: only valid UTF-8 can go out unchanged.
        let text: string;
        try {
          text = utf8Strict.decode(data);
        } catch {
          printError("put_packet: WRITE_MODE_TEXT needs valid UTF-8 here; nothing was sent.");
          return Error.ERR_INVALID_DATA;
        }
        this.dc.send(text);
      } else {
        this.dc.send(data);
      }
      return Error.OK;
    } catch (e) {
      printError(`DataChannel send failed: ${(e as { message?: string })?.message ?? String(e)}`);
      return Error.FAILED;
    }
  }

  protected transportClose(): void {
    try {
      this.dc.close();
    } catch {
      // already closed
    }
  }

  protected override transportBufferedAmount(): number {
    return Number(this.dc.bufferedAmount ?? 0);
  }

  protected override transportMaxMessageSize(): number {
    const max = Number(this.owner.rtc?.sctp?.maxMessageSize);
    return Number.isFinite(max) && max > 0 ? max : 65536;
  }
}

const CONNECTION: Record<string, ConnectionState> = {
  new: 0, connecting: 1, checking: 1, connected: 2, completed: 2, disconnected: 3, failed: 4, closed: 5,
};
const GATHERING: Record<string, GatheringState> = { new: 0, gathering: 1, complete: 2 };
const SIGNALING: Record<string, SignalingState> = {
  stable: 0, "have-local-offer": 1, "have-remote-offer": 2, "have-local-pranswer": 3, "have-remote-pranswer": 4, closed: 5,
};

export class WebRTCPeerConnectionJS extends WebRTCPeerConnectionExtension {
  rtc: AnyPC | null = null;
  private conn: ConnectionState = ConnectionState.STATE_NEW;
  private gathering: GatheringState = GatheringState.GATHERING_STATE_NEW;
  private signaling: SignalingState = SignalingState.SIGNALING_STATE_STABLE;
  private earlyCandidates: Array<{ candidate: string; sdpMid: string; sdpMLineIndex: number }> = [];
  /** Our own record that a remote description was applied: node-datachannel's polyfill never leaves remoteDescription null. */
  private remoteApplied = false;
  private generation = 0;

  constructor() {
    super();
    this._initialize({ iceServers: [], extra: {}, raw: {} });
  }

  /** Browser callbacks land here; they run inside the next poll(), FIFO. */
  queueWork(fn: () => void): void {
    this._queue(fn);
  }

  override _initialize(config: PeerConfig): Error {
    const Ctor = rtcFactory();
    if (typeof Ctor !== "function") {
      printError("This runtime has no RTCPeerConnection.");
      return Error.ERR_UNAVAILABLE;
    }
    let rtc: AnyPC;
    try {
      rtc = new Ctor({ ...config.extra, iceServers: config.iceServers.map((s) => ({ urls: s.urls, username: s.username || undefined, credential: s.credential || undefined })) });
    } catch (e) {
      printError(`RTCPeerConnection refused the configuration: ${(e as { message?: string })?.message ?? String(e)}`);
      return Error.FAILED;
    }
    this.detach();
    this.rtc = rtc;
    const gen = ++this.generation;
    this.conn = ConnectionState.STATE_NEW;
    this.gathering = GatheringState.GATHERING_STATE_NEW;
    this.signaling = SignalingState.SIGNALING_STATE_STABLE;
    this.earlyCandidates = [];
    this.remoteApplied = false;
    const live = () => gen === this.generation;
    rtc.onicecandidate = (ev: { candidate: { candidate?: string; sdpMid?: string; sdpMLineIndex?: number } | null }) => {
      const c = ev.candidate;
      if (!live() || !c || !c.candidate) return;  // end-of-candidates is not forwarded (Godot)
      // node-datachannel's polyfill gives the SDP attribute line ("a=candidate:…"); browsers give "candidate:…".
      const text = c.candidate.startsWith("a=") ? c.candidate.slice(2) : c.candidate;
      const line = text.startsWith("candidate:") ? text : `candidate:${text}`;
      this._emit_ice_candidate_created(c.sdpMid ?? "0", c.sdpMLineIndex ?? 0, line);
    };
    const updateConn = () => live() && this._queue(() => {
      const s = rtc.connectionState ?? rtc.iceConnectionState;
      if (this.conn !== ConnectionState.STATE_CLOSED) this.conn = CONNECTION[s] ?? this.conn;
    });
    rtc.onconnectionstatechange = updateConn;
    rtc.oniceconnectionstatechange = () => {
      if (rtc.connectionState === undefined) updateConn();
    };
    rtc.onicegatheringstatechange = () => live() && this._queue(() => {
      this.gathering = GATHERING[rtc.iceGatheringState] ?? this.gathering;
    });
    rtc.onsignalingstatechange = () => live() && this._queue(() => {
      this.signaling = SIGNALING[rtc.signalingState] ?? this.signaling;
    });
    rtc.ondatachannel = (ev: { channel: AnyDC }) => {
      if (!live()) return;
      const dc = ev.channel;
      const ch = new BrowserDataChannel(dc, {
        label: String(dc.label ?? ""),
        ordered: dc.ordered !== false,
        id: typeof dc.id === "number" ? dc.id : 65535,
        maxPacketLifeTime: typeof dc.maxPacketLifeTime === "number" ? dc.maxPacketLifeTime : 65535,
        maxRetransmits: typeof dc.maxRetransmits === "number" ? dc.maxRetransmits : 65535,
        protocol: String(dc.protocol ?? ""),
        negotiated: false,
      }, this);
      this._emit_data_channel_received(ch);
    };
    return Error.OK;
  }

  private detach(): void {
    const old = this.rtc;
    if (!old) return;
    this.generation++;
    for (const k of ["onicecandidate", "onconnectionstatechange", "oniceconnectionstatechange", "onicegatheringstatechange", "onsignalingstatechange", "ondatachannel"]) {
      old[k] = null;
    }
    try {
      old.close();  // as Native: the previous connection is released, not left running
    } catch {
      // ignore
    }
    this.rtc = null;
  }

  override _create_data_channel(label: string, init: ChannelInit): WebRTCDataChannel | null {
    if (!this.rtc) return null;
    const opts: Record<string, unknown> = { ordered: init.ordered };
    if (init.negotiated) {
      opts.negotiated = true;
      opts.id = init.id;
    }
    if (init.maxPacketLifeTime !== 65535) opts.maxPacketLifeTime = init.maxPacketLifeTime;
    if (init.maxRetransmits !== 65535) opts.maxRetransmits = init.maxRetransmits;
    if (init.protocol) opts.protocol = init.protocol;
    try {
      return new BrowserDataChannel(this.rtc.createDataChannel(label, opts), { ...init }, this);
    } catch (e) {
      printError(`createDataChannel failed: ${(e as { message?: string })?.message ?? String(e)}`);
      return null;
    }
  }

  override _create_offer(): Error {
    const rtc = this.rtc;
    if (!rtc) return Error.ERR_UNCONFIGURED;
    this.conn = ConnectionState.STATE_CONNECTING;  // Godot Web forces this at once
    const gen = this.generation;
    rtc.createOffer().then(
      (d: { type: string; sdp: string }) => gen === this.generation && this._emit_session_description_created(d.type, d.sdp),
      (e: unknown) => printError(`createOffer failed: ${String(e)}`),
    );
    return Error.OK;
  }

  override _set_local_description(type: string, sdp: string): Error {
    const rtc = this.rtc;
    if (!rtc) return Error.ERR_UNCONFIGURED;
    rtc.setLocalDescription({ type, sdp }).catch((e: unknown) => printError(`setLocalDescription failed: ${String(e)}`));
    return Error.OK;
  }

  override _set_remote_description(type: string, sdp: string): Error {
    const rtc = this.rtc;
    if (!rtc) return Error.ERR_UNCONFIGURED;
    if (type === "offer") this.conn = ConnectionState.STATE_CONNECTING;
    const gen = this.generation;
    rtc.setRemoteDescription({ type, sdp }).then(
      async () => {
        if (gen !== this.generation) return;
        this.remoteApplied = true;
        // Candidates that came before the description are applied now (decisions table).
        const early = this.earlyCandidates;
        this.earlyCandidates = [];
        for (const c of early) rtc.addIceCandidate(c).catch((e: unknown) => printError(`addIceCandidate failed: ${String(e)}`));
        if (type === "offer") {
          const answer = await rtc.createAnswer();
          if (gen === this.generation) this._emit_session_description_created(answer.type, answer.sdp);
        }
      },
      (e: unknown) => printError(`setRemoteDescription failed: ${String(e)}`),
    ).catch((e: unknown) => printError(`createAnswer failed: ${String(e)}`));
    return Error.OK;
  }

  override _add_ice_candidate(media: string, index: number, name: string): Error {
    const rtc = this.rtc;
    if (!rtc) return Error.ERR_UNCONFIGURED;
    let candidate = name.trim();
    if (candidate.startsWith("a=")) candidate = candidate.slice(2);
    if (!candidate.startsWith("candidate:")) candidate = `candidate:${candidate}`;
    const init = { candidate, sdpMid: media, sdpMLineIndex: index };
    if (!this.remoteApplied) {
      this.earlyCandidates.push(init);
      return Error.OK;
    }
    rtc.addIceCandidate(init).catch((e: unknown) => printError(`addIceCandidate failed: ${String(e)}`));
    return Error.OK;
  }

  override _poll(): Error {
    return Error.OK;  // the queued browser events run in WebRTCPeerConnection.poll()
  }

  override _close(): void {
    this.detach();
    this.conn = ConnectionState.STATE_CLOSED;
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

WebRTCPeerConnection.register_extension("WebRTCPeerConnectionJS", WebRTCPeerConnectionJS);
