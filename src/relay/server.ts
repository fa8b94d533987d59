// The relay server: pages and workers have no UDP, so their engine speaks
// TURN (RFC 8656) to this server in WebSocket frames, and the server holds one
// UDP socket per allocation. It is meant to face the Internet with its
// defaults: credentials before anything is allocated, an Origin allowlist,
// caps on clients and allocations, quotas, bounded buffers, and no datagram to
// a private, loopback, link-local, multicast or own address unless allowed.
import { createServer as createHttpServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { isIP } from "node:net";
import { networkInterfaces } from "node:os";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { AddressPolicy, parseCidr, type Cidr } from "./address-policy.js";
import { resolveRelayOptions, type RelayServerOptions, type ResolvedRelayOptions } from "./options.js";
import { NodeUdpTransport } from "../net/udp.js";
import { createSessionHost } from "./host.js";
import { RelaySession } from "./session.js";
import { newRelayStats, type RelayStats } from "./stats.js";

export interface RelayServer {
  /** ws:// (or wss://) URL of the listening socket, with the address it bound. */
  readonly url: string;
  readonly port: number;
  stats(): RelayStats;
  /** Closes every client (1001) and allocation, then the listening socket. */
  close(): Promise<void>;
}

const MAX_FRAME_OVERHEAD = 200;  // STUN header and attributes around a datagram in a Send indication

function resolveOptions(o: RelayServerOptions): ResolvedRelayOptions {
  return resolveRelayOptions(o, (entries) => entries.map((a) => {
    const c = typeof a === "string" ? parseCidr(a) : a;
    if (!c) throw new TypeError(`createRelayServer: allow entry '${String(a)}' is not a CIDR (e.g. 127.0.0.1/32)`);
    return c;
  }), () => Object.values(networkInterfaces()).flat().find((i) => i && i.family === "IPv4" && !i.internal)?.address ?? null);
}

const originAllowed = (origins: string[], origin: string | undefined) =>
  origin === undefined || origins.includes("*") || origins.includes(origin);

/** Answers and then destroys the socket: ending it only half-closes it, and a client that never closes its side would keep it (and server.close()) forever. */
function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.once("finish", () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
}

/** Starts a relay; resolves once it listens. */
export async function createRelayServer(options: RelayServerOptions): Promise<RelayServer> {
  const o = resolveOptions(options);
  const stats = newRelayStats();
  const perIp = new Map<string, number>();
  const sessions = new Set<RelaySession>();
  const own = [o.relayIp, o.externalIp, o.host].filter((ip) => ip !== "0.0.0.0" && ip !== "::");
  // Allocations bind node:dgram sockets with 1 MiB buffers (a burst of peer traffic must not overflow the kernel's).
  const host = createSessionHost({ options: o, policy: new AddressPolicy(o.allow, own), stats,
    udp: new NodeUdpTransport({ recvBufferSize: 1 << 20, sendBufferSize: 1 << 20 }) });

  const http: Server = o.tls ? createHttpsServer({ key: o.tls.key, cert: o.tls.cert }) : createHttpServer();
  http.on("request", (_req, res) => {
    res.writeHead(426, { "content-type": "text/plain", connection: "close" });
    res.end("wasmrtc relay: connect with a WebSocket (TURN in binary frames)\n");
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: o.maxDatagramBytes + MAX_FRAME_OVERHEAD, perMessageDeflate: false });
  const refuse = (socket: Duplex, why: string, status: number, text: string) => {
    stats.connectionsRefused++;
    stats.refusedUpgrades[why] = (stats.refusedUpgrades[why] ?? 0) + 1;
    refuseUpgrade(socket, status, text);
  };
  http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => undefined);
    const path = (req.url ?? "/").split("?")[0];
    if (path !== o.path) return refuse(socket, "path", 404, "Not Found");
    const origin = req.headers.origin;
    if (!originAllowed(o.origins, origin)) {
      o.log(`relay: upgrade from origin ${origin} refused (not in the allowlist)`);
      return refuse(socket, "origin", 403, "Forbidden: origin not allowed");
    }
    if (sessions.size >= o.maxClients) return refuse(socket, "capacity", 503, "Service Unavailable: the relay is full");
    const ip = req.socket.remoteAddress ?? "?";
    if ((perIp.get(ip) ?? 0) >= o.maxClientsPerIp) return refuse(socket, "per-ip", 429, "Too Many Requests: too many connections from this address");
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
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      stats.connectionsAccepted++;
      // A dual-stack listener ("::") shows IPv4 clients as ::ffff:a.b.c.d; they are IPv4 (XOR-MAPPED-ADDRESS family 1).
      const plain = ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "");
      const session = new RelaySession(host, ws, { family: isIP(plain) === 6 ? 6 : 4, ip: plain, port: req.socket.remotePort ?? 0 });
      sessions.add(session);
      stats.clients = sessions.size;
      ws.on("message", (data: Buffer, isBinary: boolean) => session.onFrame(data, isBinary));
      ws.on("error", () => undefined);  // e.g. an oversize frame: ws closes with 1009 and says why
      ws.on("close", () => {
        session.ended();
        sessions.delete(session);
        stats.clients = sessions.size;
        uncount();
      });
    });
  });

  const sweep = setInterval(() => {
    const now = o.now();
    for (const s of sessions) s.sweep(now);
  }, 1000);
  sweep.unref?.();

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(o.port, o.host, () => {
      http.off("error", reject);
      resolve();
    });
  });
  const addr = http.address();
  const port = typeof addr === "object" && addr ? addr.port : o.port;
  const shownHost = o.host === "0.0.0.0" ? "127.0.0.1" : o.host.includes(":") ? `[${o.host}]` : o.host;
  const url = `${o.tls ? "wss" : "ws"}://${shownHost}:${port}${o.path}`;
  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    stats: () => ({ ...stats, refusedUpgrades: { ...stats.refusedUpgrades } }),
    close() {
      closing ??= (async () => {
        clearInterval(sweep);
        for (const s of sessions) s.close(1001, "relay shutting down");
        for (const c of wss.clients) c.terminate();
        await new Promise<void>((r) => wss.close(() => r()));
        const closed = new Promise<void>((r) => http.close(() => r()));
        http.closeAllConnections();  // keep-alive and half-sent requests would hold close() until their timeouts
        await closed;
      })();
      return closing;
    },
  };
}
