// `wasmrtc-relay`: the relay server from the command line.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { RELAY_DEFAULTS } from "./options.js";
import { createRelayServer } from "./server.js";

const HELP = `wasmrtc-relay — TURN over WebSocket for wasmrtc engines in pages and workers

Usage: wasmrtc-relay --secret S [options]
       WASMRTC_RELAY_SECRET=S wasmrtc-relay [options]

Clients authenticate with time-limited credentials (TURN REST API convention):
username "expiry:user", credential base64(HMAC-SHA1(secret, username)); make them in
your backend with createRelayCredentials(secret, user, ttlSeconds) from "wasmrtc".

  --secret S                shared secret (prefer WASMRTC_RELAY_SECRET or --secret-file)
  --secret-file F           read the secret from a file
  --port N                  TCP port for WebSocket upgrades (default ${RELAY_DEFAULTS.port})
  --host IP                 address to listen on (default ${RELAY_DEFAULTS.host})
  --path P                  URL path that accepts upgrades (default ${RELAY_DEFAULTS.path})
  --origin O                allow browser pages from origin O (repeatable; "*" for any).
                            Default: none — browsers are refused until you name their origin
  --allow CIDR              let the relay send to CIDR although it is private, loopback, link-local,
                            multicast or the relay's own (repeatable; e.g. 127.0.0.1/32 for tests)
  --relay-ip IP             address the relay's UDP sockets bind to (default ${RELAY_DEFAULTS.relayIp})
  --external-ip IP          relayed address announced to clients (default: relay-ip or the first public IPv4)
  --realm R                 TURN realm (default ${RELAY_DEFAULTS.realm})
  --max-clients N           WebSocket clients in total (default ${RELAY_DEFAULTS.maxClients})
  --max-clients-per-ip N    WebSocket clients per source address (default ${RELAY_DEFAULTS.maxClientsPerIp})
  --max-allocations N       allocations in total (default ${RELAY_DEFAULTS.maxAllocations})
  --max-allocations-per-user N   allocations per credential user (default ${RELAY_DEFAULTS.maxAllocationsPerUser})
  --rate-datagrams N        datagrams/s per allocation, both directions (default ${RELAY_DEFAULTS.allocationQuota.datagramsPerSecond})
  --rate-bytes N            bytes/s per allocation (default ${RELAY_DEFAULTS.allocationQuota.bytesPerSecond})
  --total-rate-datagrams N  datagrams/s for the whole relay (default ${RELAY_DEFAULTS.totalQuota.datagramsPerSecond})
  --total-rate-bytes N      bytes/s for the whole relay (default ${RELAY_DEFAULTS.totalQuota.bytesPerSecond})
  --max-datagram N          largest datagram relayed (default ${RELAY_DEFAULTS.maxDatagramBytes})
  --client-buffer N         bytes queued to a slow client before its datagrams are dropped (default ${RELAY_DEFAULTS.clientBufferBytes})
  --idle-timeout S          close clients silent for S seconds (default ${RELAY_DEFAULTS.idleTimeoutMs / 1000})
  --tls-cert F --tls-key F  serve wss:// directly (usually a TLS reverse proxy does this)
  --stats S                 print counters every S seconds
  --quiet                   no log lines but the one with the listening URL
  -h, --help                this text

Example: wasmrtc-relay --port 8443 --origin https://game.example --secret-file /etc/wasmrtc/secret
`;

function fail(msg: string): never {
  process.stderr.write(`wasmrtc-relay: ${msg}\nRun wasmrtc-relay --help for the options.\n`);
  process.exit(2);
}

const num = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) fail(`--${name} needs a non-negative number, got '${v}'`);
  return n;
};

let args;
try {
  args = parseArgs({
    options: {
      secret: { type: "string" }, "secret-file": { type: "string" }, port: { type: "string" }, host: { type: "string" },
      path: { type: "string" }, origin: { type: "string", multiple: true }, allow: { type: "string", multiple: true },
      "relay-ip": { type: "string" }, "external-ip": { type: "string" }, realm: { type: "string" },
      "max-clients": { type: "string" }, "max-clients-per-ip": { type: "string" }, "max-allocations": { type: "string" },
      "max-allocations-per-user": { type: "string" }, "rate-datagrams": { type: "string" }, "rate-bytes": { type: "string" },
      "total-rate-datagrams": { type: "string" }, "total-rate-bytes": { type: "string" }, "max-datagram": { type: "string" },
      "client-buffer": { type: "string" }, "idle-timeout": { type: "string" }, "tls-cert": { type: "string" },
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
let secret = args.secret ?? process.env.WASMRTC_RELAY_SECRET;
if (args["secret-file"]) {
  try {
    secret = readFileSync(args["secret-file"], "utf8").trim();
  } catch (e) {
    fail(`cannot read --secret-file: ${(e as Error).message}`);
  }
}
if (!secret) fail("a secret is required: --secret, --secret-file or WASMRTC_RELAY_SECRET");
if (!!args["tls-cert"] !== !!args["tls-key"]) fail("--tls-cert and --tls-key go together");
const log = args.quiet ? () => undefined : (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
const v = args;
try {
  const server = await createRelayServer({
    secret,
    port: num(v.port, "port"),
    host: v.host,
    path: v.path,
    origins: v.origin,
    allow: v.allow,
    relayIp: v["relay-ip"],
    externalIp: v["external-ip"],
    realm: v.realm,
    maxClients: num(v["max-clients"], "max-clients"),
    maxClientsPerIp: num(v["max-clients-per-ip"], "max-clients-per-ip"),
    maxAllocations: num(v["max-allocations"], "max-allocations"),
    maxAllocationsPerUser: num(v["max-allocations-per-user"], "max-allocations-per-user"),
    allocationQuota: { datagramsPerSecond: num(v["rate-datagrams"], "rate-datagrams"), bytesPerSecond: num(v["rate-bytes"], "rate-bytes") },
    totalQuota: { datagramsPerSecond: num(v["total-rate-datagrams"], "total-rate-datagrams"), bytesPerSecond: num(v["total-rate-bytes"], "total-rate-bytes") },
    maxDatagramBytes: num(v["max-datagram"], "max-datagram"),
    clientBufferBytes: num(v["client-buffer"], "client-buffer"),
    idleTimeoutMs: v["idle-timeout"] === undefined ? undefined : num(v["idle-timeout"], "idle-timeout")! * 1000,
    tls: v["tls-cert"] ? { cert: readFileSync(v["tls-cert"]), key: readFileSync(v["tls-key"]!) } : undefined,
    log,
  });
  // Printed even with --quiet: with --port 0 it is the only way to learn the port.
  process.stderr.write(`wasmrtc-relay listening on ${server.url}${v.origin?.length ? ` (origins: ${v.origin.join(", ")})` : " (no browser origin allowed yet: add --origin)"}\n`);
  const every = num(v.stats, "stats");
  if (every) setInterval(() => log(`stats ${JSON.stringify(server.stats())}`), every * 1000).unref();
  const stop = () => {
    log("shutting down");
    void server.close().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} catch (e) {
  fail((e as Error).message);
}
