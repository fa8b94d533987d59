// The signaling server's options. The limits default to those of Godot's demo
// server (server_node/server.js: MAX_PEERS 4096, MAX_LOBBIES 1024, PORT 9080,
// NO_LOBBY_TIMEOUT 1 s, SEAL_CLOSE_TIMEOUT 10 s, PING_INTERVAL 10 s); the caps
// the demo lacks (frame size, rate, buffers, per address) have defaults well
// above what a game's signaling needs.

export interface SignalingRateLimit {
  /** Frames per second, sustained. */
  messagesPerSecond: number;
  /** Frames allowed at once above the rate (a newcomer in a big mesh sends an offer and candidates per member). */
  messagesBurst: number;
  /** Bytes per second, sustained. */
  bytesPerSecond: number;
  bytesBurst: number;
}

export interface SignalingServerOptions {
  /** TCP port. Default 9080 (the demo's); 0 picks a free one. */
  port?: number;
  /** Address to listen on. Default "0.0.0.0". */
  host?: string;
  /** URL path that accepts upgrades. Default "/" (the demo accepts any path: set this only behind a proxy that needs it). */
  path?: string;
  /** TLS key and certificate (PEM) to serve wss:// directly; usually a reverse proxy terminates TLS. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /**
   * Origins allowed to upgrade (exact "https://game.example", or "*").
   * Default ["*"]: any page, as the demo. Requests without Origin (Godot
   * native clients, servers) are always allowed: the header is a browser's.
   */
  origins?: string[];
  /** Connections at once (the demo's MAX_PEERS, per process). Default 4096. */
  maxPeers?: number;
  /** Connections at once from one IP address. Default 256 (a LAN party behind one NAT still fits). */
  maxPeersPerIp?: number;
  /** Lobbies at once (the demo's MAX_LOBBIES; with Redis, across every process). Default 1024. */
  maxLobbies?: number;
  /** Members of one lobby. Default 4096 (the demo has no cap of its own: as many as maxPeers). */
  maxPeersPerLobby?: number;
  /** A connection that has not joined a lobby after this long is closed (4000). Default 1000 ms. */
  noLobbyTimeoutMs?: number;
  /** A sealed lobby is closed this long after the seal (1000 "Seal complete"). Default 10000 ms. */
  sealCloseTimeoutMs?: number;
  /** WebSocket ping period; a connection that has not answered the previous ping is dropped. Default 10000 ms. */
  pingIntervalMs?: number;
  /** Largest frame accepted (bytes); a larger one closes the connection with 1009. Default 64 KiB (an SDP is a few KiB). */
  maxFrameBytes?: number;
  /** Per connection. Default 100 frames/s with bursts of 500, 256 KiB/s with bursts of 1 MiB. */
  rateLimit?: Partial<SignalingRateLimit>;
  /** Bytes queued to a connection beyond which it is closed as too slow (4000). Default 1 MiB. */
  maxBufferedBytes?: number;
  /**
   * Who is announced to whom in a client/server (non-mesh) lobby. "host"
   * (default): members only see the host and the host sees everyone, as the
   * demo's GDScript server does, and as WebRTCMultiplayerPeer's client mode
   * needs (a client can add_peer only id 1); members cannot address each
   * other. "all": every member sees every other, as the demo's server.js does.
   * Mesh lobbies always announce everyone.
   */
  clientServerAnnounce?: "host" | "all";
  /** Share lobbies with other processes through Redis (e.g. "redis://127.0.0.1:6379"). Default: lobbies in this process's memory. */
  redis?: string;
  /** Prefix of every Redis key and channel. Default "wasmrtc:signaling:". */
  redisPrefix?: string;
  /** How often a process refreshes its Redis keys and checks on the others. Keys expire after 3 periods without it. Default 5000 ms. */
  redisHeartbeatMs?: number;
  /** One line per notable event (lobbies, errors, closes); default none. */
  log?: (line: string) => void;
}

export type ResolvedSignalingOptions = Required<Omit<SignalingServerOptions, "tls" | "redis" | "rateLimit" | "log">> & {
  tls?: SignalingServerOptions["tls"];
  redis?: string;
  rateLimit: SignalingRateLimit;
  log: (line: string) => void;
};

export const SIGNALING_DEFAULTS = {
  port: 9080,
  host: "0.0.0.0",
  path: "/",
  origins: ["*"],
  maxPeers: 4096,
  maxPeersPerIp: 256,
  maxLobbies: 1024,
  maxPeersPerLobby: 4096,
  noLobbyTimeoutMs: 1000,
  sealCloseTimeoutMs: 10_000,
  pingIntervalMs: 10_000,
  maxFrameBytes: 64 * 1024,
  rateLimit: { messagesPerSecond: 100, messagesBurst: 500, bytesPerSecond: 256 * 1024, bytesBurst: 1024 * 1024 },
  maxBufferedBytes: 1024 * 1024,
  clientServerAnnounce: "host",
  redisPrefix: "wasmrtc:signaling:",
  redisHeartbeatMs: 5000,
} as const;

export function resolveSignalingOptions(o: SignalingServerOptions): ResolvedSignalingOptions {
  const positive = (v: number | undefined, d: number, name: string) => {
    const x = v ?? d;
    if (!(typeof x === "number" && x > 0)) throw new TypeError(`createSignalingServer: \`${name}\` must be a positive number`);
    return x;
  };
  const port = o.port ?? SIGNALING_DEFAULTS.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError("createSignalingServer: `port` must be 0 … 65535");
  const announce = o.clientServerAnnounce ?? SIGNALING_DEFAULTS.clientServerAnnounce;
  if (announce !== "host" && announce !== "all") throw new TypeError("createSignalingServer: `clientServerAnnounce` is \"host\" or \"all\"");
  if (o.redis !== undefined && !/^rediss?:\/\//.test(o.redis)) throw new TypeError("createSignalingServer: `redis` must be a redis:// or rediss:// URL");
  const r = o.rateLimit ?? {};
  const d = SIGNALING_DEFAULTS.rateLimit;
  return {
    port,
    host: o.host ?? SIGNALING_DEFAULTS.host,
    path: o.path ?? SIGNALING_DEFAULTS.path,
    tls: o.tls,
    origins: o.origins ?? [...SIGNALING_DEFAULTS.origins],
    maxPeers: positive(o.maxPeers, SIGNALING_DEFAULTS.maxPeers, "maxPeers"),
    maxPeersPerIp: positive(o.maxPeersPerIp, SIGNALING_DEFAULTS.maxPeersPerIp, "maxPeersPerIp"),
    maxLobbies: positive(o.maxLobbies, SIGNALING_DEFAULTS.maxLobbies, "maxLobbies"),
    maxPeersPerLobby: positive(o.maxPeersPerLobby, SIGNALING_DEFAULTS.maxPeersPerLobby, "maxPeersPerLobby"),
    noLobbyTimeoutMs: positive(o.noLobbyTimeoutMs, SIGNALING_DEFAULTS.noLobbyTimeoutMs, "noLobbyTimeoutMs"),
    sealCloseTimeoutMs: positive(o.sealCloseTimeoutMs, SIGNALING_DEFAULTS.sealCloseTimeoutMs, "sealCloseTimeoutMs"),
    pingIntervalMs: positive(o.pingIntervalMs, SIGNALING_DEFAULTS.pingIntervalMs, "pingIntervalMs"),
    maxFrameBytes: positive(o.maxFrameBytes, SIGNALING_DEFAULTS.maxFrameBytes, "maxFrameBytes"),
    // An entry given as undefined (the CLI passes every flag, set or not) keeps its default.
    rateLimit: {
      messagesPerSecond: positive(r.messagesPerSecond, d.messagesPerSecond, "rateLimit.messagesPerSecond"),
      messagesBurst: positive(r.messagesBurst, d.messagesBurst, "rateLimit.messagesBurst"),
      bytesPerSecond: positive(r.bytesPerSecond, d.bytesPerSecond, "rateLimit.bytesPerSecond"),
      bytesBurst: positive(r.bytesBurst, d.bytesBurst, "rateLimit.bytesBurst"),
    },
    maxBufferedBytes: positive(o.maxBufferedBytes, SIGNALING_DEFAULTS.maxBufferedBytes, "maxBufferedBytes"),
    clientServerAnnounce: announce,
    redis: o.redis,
    redisPrefix: o.redisPrefix ?? SIGNALING_DEFAULTS.redisPrefix,
    redisHeartbeatMs: positive(o.redisHeartbeatMs, SIGNALING_DEFAULTS.redisHeartbeatMs, "redisHeartbeatMs"),
    log: o.log ?? (() => undefined),
  };
}
