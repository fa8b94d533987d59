// `wasmrtc-signaling`: the signaling server from the command line.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { SIGNALING_DEFAULTS } from "./options.js";
import { createSignalingServer } from "./server.js";

const D = SIGNALING_DEFAULTS;
const HELP = `wasmrtc-signaling — the signaling server of Godot's webrtc_signaling demo

Usage: wasmrtc-signaling [options]

Speaks the demo's protocol (JSON {type, id, data} text frames: JOIN, ID, PEER_CONNECT,
PEER_DISCONNECT, OFFER, ANSWER, CANDIDATE, SEAL) to Godot's ws_webrtc_client.gd, to
wasmrtc's SignalingClient and to anything else that speaks it. Lobbies live in memory,
or in Redis so that several processes share them (--redis).

  --port N                  TCP port (default ${D.port}; 0 picks a free one)
  --host IP                 address to listen on (default ${D.host})
  --path P                  URL path that accepts upgrades (default ${D.path})
  --origin O                allow browser pages from origin O only (repeatable; exact, e.g.
                            https://game.example). Default: any origin, as the demo.
                            Clients without an Origin header (Godot native) are always allowed
  --max-peers N             connections at once on this process (default ${D.maxPeers})
  --max-peers-per-ip N      connections at once from one address (default ${D.maxPeersPerIp})
  --max-lobbies N           lobbies at once; with --redis, across all processes (default ${D.maxLobbies})
  --max-peers-per-lobby N   members of one lobby (default ${D.maxPeersPerLobby})
  --no-lobby-timeout-ms MS  close connections that have not joined a lobby after MS (default ${D.noLobbyTimeoutMs})
  --seal-timeout-ms MS      close a sealed lobby MS after the seal (default ${D.sealCloseTimeoutMs})
  --ping-interval-ms MS     WebSocket ping period; no pong by the next ping drops the connection (default ${D.pingIntervalMs})
  --max-frame N             largest frame in bytes; larger closes with 1009 (default ${D.maxFrameBytes})
  --rate-messages N         frames per second per connection (default ${D.rateLimit.messagesPerSecond})
  --rate-burst N            frames a connection may send at once above the rate (default ${D.rateLimit.messagesBurst})
  --rate-bytes N            bytes per second per connection (default ${D.rateLimit.bytesPerSecond})
  --rate-bytes-burst N      bytes at once above the rate (default ${D.rateLimit.bytesBurst})
  --max-buffered N          bytes queued to a connection before it is closed as too slow (default ${D.maxBufferedBytes})
  --client-server-announce host|all
                            in client/server lobbies, announce only the host to members and members
                            to the host (default ${D.clientServerAnnounce}, as the demo's GDScript server) or
                            every member to every other (all, as the demo's server.js)
  --redis URL               share lobbies through Redis, e.g. redis://127.0.0.1:6379
                            (or WASMRTC_SIGNALING_REDIS=URL, which keeps a password out of ps)
  --redis-prefix P          prefix of every Redis key and channel (default ${D.redisPrefix})
  --redis-heartbeat-ms MS   refresh period of this process's Redis keys; they expire after 3 (default ${D.redisHeartbeatMs})
  --tls-cert F --tls-key F  serve wss:// directly (usually a TLS reverse proxy does this)
  --stats S                 print counters every S seconds
  --quiet                   no log lines but the one with the listening URL
  -h, --help                this text

Example: wasmrtc-signaling --port 9080 --redis redis://127.0.0.1:6379 --origin https://game.example
SIGTERM or SIGINT closes every connection (1001) and exits 0.
`;

function fail(msg: string): never {
  process.stderr.write(`wasmrtc-signaling: ${msg}\nRun wasmrtc-signaling --help for the options.\n`);
  process.exit(2);
}

const num = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < 0) fail(`--${name} needs a non-negative number, got '${v}'`);
  return n;
};

let args;
try {
  args = parseArgs({
    options: {
      port: { type: "string" }, host: { type: "string" }, path: { type: "string" }, origin: { type: "string", multiple: true },
      "max-peers": { type: "string" }, "max-peers-per-ip": { type: "string" }, "max-lobbies": { type: "string" },
      "max-peers-per-lobby": { type: "string" }, "no-lobby-timeout-ms": { type: "string" }, "seal-timeout-ms": { type: "string" },
      "ping-interval-ms": { type: "string" }, "max-frame": { type: "string" }, "rate-messages": { type: "string" },
      "rate-burst": { type: "string" }, "rate-bytes": { type: "string" }, "rate-bytes-burst": { type: "string" },
      "max-buffered": { type: "string" }, "client-server-announce": { type: "string" }, redis: { type: "string" },
      "redis-prefix": { type: "string" }, "redis-heartbeat-ms": { type: "string" }, "tls-cert": { type: "string" },
      "tls-key": { type: "string" }, stats: { type: "string" }, quiet: { type: "boolean" }, help: { type: "boolean", short: "h" },
    },
    strict: true,
  }).values;
} catch (e) {
  fail((e as Error).message);
}
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const v = args;
if (!!v["tls-cert"] !== !!v["tls-key"]) fail("--tls-cert and --tls-key go together");
const announce = v["client-server-announce"];
if (announce !== undefined && announce !== "host" && announce !== "all") fail(`--client-server-announce is host or all, got '${announce}'`);
const log = v.quiet ? () => undefined : (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
const redis = v.redis ?? (process.env.WASMRTC_SIGNALING_REDIS || undefined);
try {
  const server = await createSignalingServer({
    port: num(v.port, "port"),
    host: v.host,
    path: v.path,
    origins: v.origin,
    maxPeers: num(v["max-peers"], "max-peers"),
    maxPeersPerIp: num(v["max-peers-per-ip"], "max-peers-per-ip"),
    maxLobbies: num(v["max-lobbies"], "max-lobbies"),
    maxPeersPerLobby: num(v["max-peers-per-lobby"], "max-peers-per-lobby"),
    noLobbyTimeoutMs: num(v["no-lobby-timeout-ms"], "no-lobby-timeout-ms"),
    sealCloseTimeoutMs: num(v["seal-timeout-ms"], "seal-timeout-ms"),
    pingIntervalMs: num(v["ping-interval-ms"], "ping-interval-ms"),
    maxFrameBytes: num(v["max-frame"], "max-frame"),
    rateLimit: {
      messagesPerSecond: num(v["rate-messages"], "rate-messages"),
      messagesBurst: num(v["rate-burst"], "rate-burst"),
      bytesPerSecond: num(v["rate-bytes"], "rate-bytes"),
      bytesBurst: num(v["rate-bytes-burst"], "rate-bytes-burst"),
    },
    maxBufferedBytes: num(v["max-buffered"], "max-buffered"),
    clientServerAnnounce: announce as "host" | "all" | undefined,
    redis,
    redisPrefix: v["redis-prefix"],
    redisHeartbeatMs: num(v["redis-heartbeat-ms"], "redis-heartbeat-ms"),
    tls: v["tls-cert"] ? { cert: readFileSync(v["tls-cert"]), key: readFileSync(v["tls-key"]!) } : undefined,
    log,
  });
  // Printed even with --quiet: with --port 0 it is the only way to learn the port.
  const where = redis ? `lobbies in Redis ${redactedUrl(redis)}` : "lobbies in memory";
  process.stderr.write(`wasmrtc-signaling listening on ${server.url} (${where}; origins: ${v.origin?.length ? v.origin.join(", ") : "any"})\n`);
  const every = num(v.stats, "stats");
  if (every) setInterval(() => log(`stats ${JSON.stringify(server.stats())}`), every * 1000).unref();
  const stop = () => {
    log("shutting down");
    void server.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} catch (e) {
  fail((e as Error).message);
}

/** The URL without its password, for the log. */
function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable URL)";
  }
}
