// The client side of Godot's webrtc_signaling demo: client/ws_webrtc_client.gd
// (Godot 4) with its properties, signals and methods under the same names.
// It knows nothing about WebRTC; multiplayer.ts drives a WebRTCMultiplayerPeer
// with it the way client/multiplayer_client.gd does.
//
// One difference: Godot's client polls its WebSocket in _process() and emits
// from there; this one emits from the WebSocket's own events (there is no
// frame loop to poll from). No Node or DOM import: pages, workers, Node, Deno
// and Bun use the platform's WebSocket (Node 20 gets `ws` from the Node entry).
import { Error } from "../godot/error.js";
import { printError } from "../godot/log.js";
import { Signal, connectByName, disconnectByName } from "../godot/signal.js";
import { MessageType, encodeCandidate, encodeMessage, parseCandidate, parseServerMessage } from "./protocol.js";

/** The parts of a WHATWG WebSocket the client uses (the browser's, Node 22's, Deno's, Bun's or `ws`). */
export interface SignalingSocket {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type SignalingSocketConstructor = new (url: string) => SignalingSocket;

let defaultSocket: SignalingSocketConstructor | undefined;

/** The WebSocket used when a client is given none and the runtime has no global one (the Node entry installs `ws`). */
export function setSignalingWebSocket(ctor: SignalingSocketConstructor | undefined): void {
  defaultSocket = ctor;
}

export interface SignalingClientOptions {
  /** Default: globalThis.WebSocket, else the one setSignalingWebSocket() installed. */
  WebSocket?: SignalingSocketConstructor;
}

/** WebSocketPeer.State numbers (the WHATWG readyState values). */
export const SocketState = { STATE_CONNECTING: 0, STATE_OPEN: 1, STATE_CLOSING: 2, STATE_CLOSED: 3 } as const;

export class SignalingClient {
  /** Join (or create, when `lobby` is "") as soon as the socket opens. */
  autojoin = true;
  /** The lobby to join; "" creates one. */
  lobby = "";
  /** Create a mesh lobby (JOIN id 0) rather than client/server (id 1). Only the creator's choice counts. */
  mesh = true;
  /** The close code and reason of the last connection (1000 / "Unknown" until one closes). */
  code = 1000;
  reason = "Unknown";

  readonly lobby_joined = new Signal<[lobby: string]>("lobby_joined");
  readonly connected = new Signal<[id: number, use_mesh: boolean]>("connected");
  readonly disconnected = new Signal<[]>("disconnected");
  readonly peer_connected = new Signal<[id: number]>("peer_connected");
  readonly peer_disconnected = new Signal<[id: number]>("peer_disconnected");
  readonly offer_received = new Signal<[id: number, offer: string]>("offer_received");
  readonly answer_received = new Signal<[id: number, answer: string]>("answer_received");
  readonly candidate_received = new Signal<[id: number, mid: string, index: number, sdp: string]>("candidate_received");
  readonly lobby_sealed = new Signal<[]>("lobby_sealed");

  private ws: SignalingSocket | null = null;

  constructor(private readonly options: SignalingClientOptions = {}) {}

  /** Godot 3-style `client.connect("peer_connected", fn)`. */
  connect(signal: unknown, fn: unknown): Error {
    return connectByName(this, signal, fn);
  }
  disconnect(signal: unknown, fn: unknown): void {
    disconnectByName(this, signal, fn);
  }

  connect_to_url(url: string): Error {
    this.close();
    this.code = 1000;
    this.reason = "Unknown";
    const Ctor = this.options.WebSocket ?? (globalThis as { WebSocket?: SignalingSocketConstructor }).WebSocket ?? defaultSocket;
    if (!Ctor) {
      printError("SignalingClient: no WebSocket implementation here; pass options.WebSocket (e.g. from the 'ws' package).");
      return Error.ERR_UNAVAILABLE;
    }
    let ws: SignalingSocket;
    try {
      ws = new Ctor(url);
    } catch (e) {
      printError(`SignalingClient: cannot connect to '${url}': ${(e as { message?: string })?.message ?? e}`);
      return Error.ERR_INVALID_PARAMETER;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws === ws && this.autojoin) this.join_lobby(this.lobby);
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      // Godot's client reads every packet as UTF-8; the server only sends text.
      const text = typeof ev.data === "string" ? ev.data : ev.data instanceof ArrayBuffer ? new TextDecoder().decode(ev.data) : String(ev.data);
      if (!this.parse(text)) printError("Error parsing message from server.");
    };
    ws.onerror = () => undefined;  // a close event follows
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.code = ev.code;
      this.reason = ev.reason;
      this.disconnected.emit();
    };
    return Error.OK;
  }

  /** Closes the connection; `disconnected` follows once it is closed. */
  close(): void {
    const ws = this.ws;
    if (!ws) return;
    if (ws.readyState === SocketState.STATE_CLOSED) {
      this.ws = null;
      return;
    }
    try {
      ws.close(1000);
    } catch {
      // closing already
    }
  }

  get_ready_state(): number {
    return this.ws ? this.ws.readyState : SocketState.STATE_CLOSED;
  }

  join_lobby(lobby: string): Error {
    return this.send(MessageType.JOIN, this.mesh ? 0 : 1, lobby);
  }

  seal_lobby(): Error {
    return this.send(MessageType.SEAL, 0);
  }

  send_candidate(id: number, mid: string, index: number, sdp: string): Error {
    return this.send(MessageType.CANDIDATE, id, encodeCandidate(mid, index, sdp));
  }

  send_offer(id: number, offer: string): Error {
    return this.send(MessageType.OFFER, id, offer);
  }

  send_answer(id: number, answer: string): Error {
    return this.send(MessageType.ANSWER, id, answer);
  }

  /** As WebSocketPeer.send_text: FAILED unless open. */
  private send(type: number, id: number, data = ""): Error {
    const ws = this.ws;
    if (!ws || ws.readyState !== SocketState.STATE_OPEN) return Error.FAILED;
    ws.send(encodeMessage(type, id, data));
    return Error.OK;
  }

  /** ws_webrtc_client.gd's _parse_msg: false for anything it does not understand. */
  private parse(text: string): boolean {
    const m = parseServerMessage(text);
    if (!m) return false;
    switch (m.type) {
      case MessageType.ID: this.connected.emit(m.id, m.data === "true"); break;
      case MessageType.JOIN: this.lobby_joined.emit(m.data); break;
      case MessageType.SEAL: this.lobby_sealed.emit(); break;
      case MessageType.PEER_CONNECT: this.peer_connected.emit(m.id); break;
      case MessageType.PEER_DISCONNECT: this.peer_disconnected.emit(m.id); break;
      case MessageType.OFFER: this.offer_received.emit(m.id, m.data); break;
      case MessageType.ANSWER: this.answer_received.emit(m.id, m.data); break;
      case MessageType.CANDIDATE: {
        const c = parseCandidate(m.data);
        if (!c) return false;
        this.candidate_received.emit(m.id, c.mid, c.index, c.sdp);
        break;
      }
      default: return false;
    }
    return true;
  }
}
