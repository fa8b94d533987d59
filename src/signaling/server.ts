// The signaling server of Godot's webrtc_signaling demo (server_node/server.js),
// with its protocol and limits, plus what a server on the Internet needs: an
// Origin allowlist, a frame size cap, per-connection rate limits, bounded
// buffers, a per-address cap, pings that drop dead connections, counters, and
// lobbies shared through Redis by several processes.
import { randomBytes } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { BackendEvents, LobbyBackend } from "./backend.js";
import { MemoryBackend } from "./memory-backend.js";
import { resolveSignalingOptions, type SignalingServerOptions } from "./options.js";
import { CloseCode, Reason } from "./protocol.js";
import { createRedisBackend } from "./redis-backend.js";
import { SignalingSession, type SessionHost } from "./session.js";
import { count, newSignalingStats, type SignalingStats } from "./stats.js";

export interface SignalingServer {
  /** ws:// (or wss://) URL of the listening socket, with the address it bound. */
  readonly url: string;
  readonly port: number;
  stats(): SignalingStats;
  /** Closes every connection (1001), ends the lobbies hosted here, then the listening socket and Redis. */
  close(): Promise<void>;
}

const originAllowed = (origins: string[], origin: string | undefined) =>
  origin === undefined || origins.includes("*") || origins.includes(origin);

/** Answers and then destroys the socket: ending it only half-closes it, and a client that never closes its side would keep it. */
function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.once("finish", () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
}

/** Starts a signaling server; resolves once it listens (and, with `redis`, once Redis answered). */
export async function createSignalingServer(options: SignalingServerOptions = {}): Promise<SignalingServer> {
  const o = resolveSignalingOptions(options);
  const stats = newSignalingStats();
  const events: BackendEvents = {
    lobbyOpened: (name) => {
      stats.lobbiesCreated++;
      o.log(`signaling: lobby ${name} opened`);
    },
    lobbyClosed: (name, why) => {
      stats.lobbiesClosed++;
      o.log(`signaling: lobby ${name} closed (${why})`);
    },
    error: (what, e) => o.log(`signaling: error ${what}: ${(e as Error)?.message ?? String(e)}`),
  };
  const sessions = new Map<string, SignalingSession>();
  const bySocket = new Map<WebSocket, SignalingSession>();
  const backendOptions = {
    maxLobbies: o.maxLobbies,
    maxPeersPerLobby: o.maxPeersPerLobby,
    sealCloseTimeoutMs: o.sealCloseTimeoutMs,
    announceAll: o.clientServerAnnounce === "all",
  };
  const backend: LobbyBackend = o.redis
    ? await createRedisBackend({ ...backendOptions, url: o.redis, prefix: o.redisPrefix, heartbeatMs: o.redisHeartbeatMs }, events, (uid) => sessions.get(uid))
    : new MemoryBackend(backendOptions, events);
  const host: SessionHost = { options: o, backend, stats, error: events.error };
  const perIp = new Map<string, number>();

  const http: Server = o.tls ? createHttpsServer({ key: o.tls.key, cert: o.tls.cert }) : createHttpServer();
  http.on("request", (_req, res) => {
    res.writeHead(426, { "content-type": "text/plain", connection: "close" });
    res.end("wasmrtc signaling: connect with a WebSocket (Godot's webrtc_signaling protocol)\n");
  });
  // No compression: a client could make the server inflate a small frame into a large one.
  const wss = new WebSocketServer({ noServer: true, maxPayload: o.maxFrameBytes, perMessageDeflate: false });
  const refuse = (socket: Duplex, why: string, status: number, text: string) => {
    count(stats.refusedUpgrades, why);
    refuseUpgrade(socket, status, text);
  };
  http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => undefined);
    const path = (req.url ?? "/").split("?")[0];
    if (path !== o.path) return refuse(socket, "path", 404, "Not Found");
    const origin = req.headers.origin;
    if (!originAllowed(o.origins, origin)) {
      o.log(`signaling: upgrade from origin ${origin} refused (not in the allowlist)`);
      return refuse(socket, "origin", 403, "Forbidden: origin not allowed");
    }
    const ip = req.socket.remoteAddress ?? "?";
    if ((perIp.get(ip) ?? 0) >= o.maxPeersPerIp) return refuse(socket, "per-ip", 429, "Too Many Requests: too many connections from this address");
    perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
    let counted = true;
    const uncount = () => {
      if (!counted) return;
      counted = false;
      const n = (perIp.get(ip) ?? 1) - 1;
      if (n <= 0) perIp.delete(ip);
      else perIp.set(ip, n);
    };
    socket.once("close", uncount);
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => accept(ws));
  });

  function accept(ws: WebSocket): void {
    ws.on("error", () => undefined);  // e.g. an oversize frame: ws closes with 1009 by itself
    // server.js accepts the WebSocket and then closes it, so the client learns why.
    if (sessions.size >= o.maxPeers) {
      count(stats.closed, Reason.TOO_MANY_PEERS);
      ws.close(CloseCode.PROTOCOL, Reason.TOO_MANY_PEERS);
      return;
    }
    stats.connectionsAccepted++;
    const uid = randomBytes(12).toString("base64url");
    const session = new SignalingSession(host, ws, uid);
    sessions.set(uid, session);
    bySocket.set(ws, session);
    stats.peers = sessions.size;
    ws.on("pong", () => (session.alive = true));
    ws.on("message", (data: Buffer, isBinary: boolean) => session.onFrame(data, isBinary));
    ws.on("close", () => {
      session.ended();
      sessions.delete(uid);
      bySocket.delete(ws);
      stats.peers = sessions.size;
      ending.add(session);
      void session.settled().then(() => ending.delete(session));
    });
  }
  /** Sessions whose leave() has not finished: close() waits for them so Redis hears every leave. */
  const ending = new Set<SignalingSession>();

  // server.js pings every client each PING_INTERVAL (keeping proxies and NATs from
  // dropping idle connections); a client that did not answer the previous ping is gone.
  const pinger = setInterval(() => {
    for (const [ws, s] of bySocket) {
      if (!s.alive) {
        stats.pingTimeouts++;
        ws.terminate();
        continue;
      }
      s.alive = false;
      try {
        ws.ping();
      } catch {
        // closing
      }
    }
  }, o.pingIntervalMs);
  pinger.unref?.();

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(o.port, o.host, () => {
      http.off("error", reject);
      resolve();
    });
  }).catch(async (e) => {
    clearInterval(pinger);
    await backend.close();
    throw e;
  });
  const addr = http.address();
  const port = typeof addr === "object" && addr ? addr.port : o.port;
  const shownHost = o.host === "0.0.0.0" ? "127.0.0.1" : o.host.includes(":") ? `[${o.host}]` : o.host;
  const url = `${o.tls ? "wss" : "ws"}://${shownHost}:${port}${o.path}`;
  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    stats: () => ({ ...stats, lobbies: backend.hostedLobbies(), refusedUpgrades: { ...stats.refusedUpgrades }, closed: { ...stats.closed } }),
    close() {
      closing ??= (async () => {
        clearInterval(pinger);
        for (const s of sessions.values()) s.kick(CloseCode.GOING_AWAY, Reason.SHUTTING_DOWN);
        // Give clients a moment to answer the close frame, then cut the rest.
        const deadline = Date.now() + 1000;
        while (wss.clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        for (const c of wss.clients) c.terminate();
        await new Promise<void>((r) => wss.close(() => r()));
        await Promise.race([Promise.all([...ending].map((s) => s.settled())), new Promise((r) => setTimeout(r, 2000))]);
        await backend.close();
        const closed = new Promise<void>((r) => http.close(() => r()));
        http.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}
