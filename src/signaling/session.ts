// One WebSocket connection to the signaling server, answering frames as the
// demo's server.js does (parseMsg / joinLobby): every protocol error closes
// the connection with 4000 and the demo's reason text. Frames are handled one
// at a time in arrival order, because with Redis each step is a round trip and
// a JOIN must be complete before the OFFER that follows it is routed.
import type { LobbyBackend, LocalPeer } from "./backend.js";
import type { ResolvedSignalingOptions } from "./options.js";
import { CloseCode, MessageType, Reason, closeReason, encodeMessage, parseClientMessage, type SignalingMessage } from "./protocol.js";
import { TokenBucket } from "./rate-limit.js";
import { count, type SignalingStats } from "./stats.js";

/** The part of a `ws` WebSocket a session uses. */
export interface SessionSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code: number, reason: string): void;
}

export interface SessionHost {
  readonly options: ResolvedSignalingOptions;
  readonly backend: LobbyBackend;
  readonly stats: SignalingStats;
  error(what: string, e: unknown): void;
}

const OPEN = 1;
/** Frames waiting behind a slow backend step before the client counts as flooding. */
const MAX_QUEUED_FRAMES = 256;
/** Ours are 16 characters (ids.ts); a server sharing the Redis with other names gets some room. */
const MAX_LOBBY_NAME = 64;

export class SignalingSession implements LocalPeer {
  /** Answered the last ping (the server drops connections that did not). */
  alive = true;
  private lobby: string | null = null;
  private id = 0;
  /** Frames for this peer that arrived while its own join replies were not sent yet (Redis: another process was faster). */
  private held: string[] | null = null;
  private heldBytes = 0;
  private closed = false;
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  private readonly frames: TokenBucket;
  private readonly bytes: TokenBucket;
  private readonly noLobbyTimer: ReturnType<typeof setTimeout>;

  constructor(private readonly host: SessionHost, private readonly ws: SessionSocket, readonly uid: string) {
    const r = host.options.rateLimit;
    this.frames = new TokenBucket(r.messagesPerSecond, r.messagesBurst);
    this.bytes = new TokenBucket(r.bytesPerSecond, r.bytesBurst);
    // server.js: "Close connection after 1 sec if client has not joined a lobby".
    this.noLobbyTimer = setTimeout(() => {
      if (!this.lobby) this.kick(CloseCode.PROTOCOL, Reason.NO_LOBBY);
    }, host.options.noLobbyTimeoutMs);
  }

  onFrame(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    this.host.stats.framesIn++;
    if (!this.frames.take(1) || !this.bytes.take(data.length)) return this.kick(CloseCode.PROTOCOL, Reason.RATE_LIMITED);
    if (isBinary) return this.kick(CloseCode.PROTOCOL, Reason.INVALID_TRANSFER_MODE);
    const msg = parseClientMessage(data.toString("utf8"));
    if (!msg) return this.kick(CloseCode.PROTOCOL, Reason.INVALID_FORMAT);
    if (this.queued >= MAX_QUEUED_FRAMES) return this.kick(CloseCode.PROTOCOL, Reason.RATE_LIMITED);
    this.queued++;
    this.chain = this.chain
      .then(() => this.handle(msg))
      .catch((e) => this.internal("handling a frame", e))
      .finally(() => void this.queued--);
  }

  /** The socket closed (either side): leave the lobby once the frames before have been handled. */
  ended(): void {
    clearTimeout(this.noLobbyTimer);
    this.closed = true;
    this.held = null;
    this.chain = this.chain
      .then(async () => {
        if (this.lobby === null) return;
        const lobby = this.lobby;
        this.lobby = null;
        await this.host.backend.leave(lobby, this.id, this);
      })
      .catch((e) => this.internal("leaving a lobby", e));
  }

  /** Resolves when every frame so far (and the leave, after ended()) has been handled. */
  settled(): Promise<void> {
    return this.chain;
  }

  deliver(frame: string): void {
    if (this.closed) return;
    if (this.held) {
      this.held.push(frame);
      this.heldBytes += frame.length;
      if (this.heldBytes > this.host.options.maxBufferedBytes) this.kick(CloseCode.PROTOCOL, Reason.TOO_SLOW);
      return;
    }
    this.send(frame);
  }

  kick(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.held = null;
    clearTimeout(this.noLobbyTimer);
    count(this.host.stats.closed, reason);
    try {
      this.ws.close(code, closeReason(reason));
    } catch {
      // already closing
    }
  }

  private send(frame: string): void {
    if (this.ws.readyState !== OPEN) return;
    // A client that does not read would make the server hold everything sent to it.
    if (this.ws.bufferedAmount > this.host.options.maxBufferedBytes) return this.kick(CloseCode.PROTOCOL, Reason.TOO_SLOW);
    this.ws.send(frame);
  }

  private async handle(m: SignalingMessage): Promise<void> {
    if (this.closed) return;
    if (m.type === MessageType.JOIN) return this.join(m);
    if (this.lobby === null) return this.kick(CloseCode.PROTOCOL, Reason.NEED_LOBBY);
    const backend = this.host.backend;
    if (m.type === MessageType.SEAL) {
      const r = await backend.seal(this.lobby, this.id, this);
      if (r) return this.kick(CloseCode.PROTOCOL, r);
      this.host.stats.seals++;
      return;
    }
    if (m.type === MessageType.OFFER || m.type === MessageType.ANSWER || m.type === MessageType.CANDIDATE) {
      // The destination gets the sender's id in `id` (the host's is 1); data goes as it came.
      const r = await backend.relay(this.lobby, this.id, this, m.id, encodeMessage(m.type, this.id, m.data));
      if (r) return this.kick(CloseCode.PROTOCOL, r);
      this.host.stats.relayed++;
      return;
    }
    this.kick(CloseCode.PROTOCOL, Reason.INVALID_CMD);
  }

  private async join(m: SignalingMessage): Promise<void> {
    // server.js checks this only when creating; joining a second lobby would leave the peer in both.
    if (this.lobby !== null) return this.kick(CloseCode.PROTOCOL, Reason.ALREADY_IN_LOBBY);
    this.held = [];
    this.heldBytes = 0;
    const backend = this.host.backend;
    // JOIN's id chooses the topology when creating: 0 is a mesh (ws_webrtc_client.gd sends 0 if mesh else 1).
    // A name longer than any lobby's cannot exist: no need to ask the backend (or make Redis hash 64 KiB keys).
    if (m.data.length > MAX_LOBBY_NAME) return this.kick(CloseCode.PROTOCOL, Reason.LOBBY_DOES_NOT_EXIST);
    const r = m.data === "" ? await backend.create(this, m.id === 0) : await backend.join(m.data, this);
    if (!r.ok) {
      this.held = null;
      return this.kick(CloseCode.PROTOCOL, r.reason);
    }
    // From here the lobby counts us as a member: ended() leaves it even if we are closed already.
    this.lobby = r.lobby;
    this.id = r.id;
    this.host.stats.joins++;
    clearTimeout(this.noLobbyTimer);
    const held = this.held ?? [];
    this.held = null;
    if (this.closed) return;
    // server.js's order: ID, one PEER_CONNECT per member, then JOIN with the lobby's name.
    this.send(encodeMessage(MessageType.ID, r.id, r.mesh ? "true" : ""));
    for (const other of r.announce) this.send(encodeMessage(MessageType.PEER_CONNECT, other));
    this.send(encodeMessage(MessageType.JOIN, 0, r.lobby));
    for (const f of held) this.send(f);
  }

  private internal(what: string, e: unknown): void {
    this.host.stats.backendErrors++;
    this.host.error(what, e);
    this.kick(CloseCode.INTERNAL, Reason.INTERNAL);
  }
}
