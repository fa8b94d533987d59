// The relay's options with their defaults: what is safe to put on the Internet as it is.
import type { Cidr } from "./address-policy.js";

export interface RelayQuota {
  datagramsPerSecond: number;
  bytesPerSecond: number;
}

export interface RelayServerOptions {
  /** Shared secret for TURN REST API credentials (required). */
  secret: string;
  /** TCP port for WebSocket upgrades. Default 8443; 0 picks a free one. */
  port?: number;
  /** Address to listen on. Default "0.0.0.0". */
  host?: string;
  /** URL path that accepts upgrades. Default "/". */
  path?: string;
  /** TLS key and certificate (PEM) to serve wss:// directly; usually a reverse proxy terminates TLS. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Origins allowed to upgrade (exact "https://game.example" or "*"). Requests without Origin (non-browsers) are allowed. Default: none. */
  origins?: string[];
  /** CIDRs the relay may send to although they are private, loopback, … (e.g. ["127.0.0.1/32"] in tests). */
  allow?: Array<string | Cidr>;
  /** IP the allocations' UDP sockets bind to. Default "0.0.0.0". */
  relayIp?: string;
  /** The relayed IP announced to clients (the public address). Default: relayIp, or the first non-internal IPv4 when relayIp is a wildcard. */
  externalIp?: string;
  realm?: string;
  /** Allocation lifetime when the client asks for none or for less (s, RFC 8656 §7.2). Default 600, at most maxLifetimeSeconds (3600). */
  defaultLifetimeSeconds?: number;
  maxLifetimeSeconds?: number;
  maxAllocations?: number;
  maxAllocationsPerUser?: number;
  maxClients?: number;
  maxClientsPerIp?: number;
  /** Largest datagram relayed either way (bytes). Default 1500. */
  maxDatagramBytes?: number;
  /** Per allocation, both directions together. Default 5,000 datagrams/s and 5 MB/s. */
  allocationQuota?: Partial<RelayQuota>;
  /** The whole server. Default 200,000 datagrams/s and 200 MB/s. */
  totalQuota?: Partial<RelayQuota>;
  /** Bytes waiting in a client's WebSocket beyond which datagrams for it are dropped (counted). Default 256 KiB. */
  clientBufferBytes?: number;
  /** A client without a frame for this long is closed. Default 120 s. */
  idleTimeoutMs?: number;
  /** A client that has no allocation after this long is closed. Default 15 s. */
  authTimeoutMs?: number;
  /** Frames per second a client may send before it is authenticated. Default 20. */
  unauthenticatedFramesPerSecond?: number;
  /** Failed authentications before the client is closed. Default 3. */
  maxAuthFailures?: number;
  maxPermissionsPerAllocation?: number;
  maxChannelsPerAllocation?: number;
  /** One line per notable event (auth failures, closes); default none. */
  log?: (line: string) => void;
  /** Clock in ms (tests). */
  now?: () => number;
}

export type ResolvedRelayOptions = Required<Omit<RelayServerOptions, "tls" | "log" | "allow" | "allocationQuota" | "totalQuota" | "externalIp">> & {
  tls?: RelayServerOptions["tls"];
  log: (line: string) => void;
  allow: Cidr[];
  allocationQuota: RelayQuota;
  totalQuota: RelayQuota;
  externalIp: string;
};

export const RELAY_DEFAULTS = {
  port: 8443,
  host: "0.0.0.0",
  path: "/",
  realm: "wasmrtc",
  relayIp: "0.0.0.0",
  defaultLifetimeSeconds: 600,
  maxLifetimeSeconds: 3600,
  maxAllocations: 1000,
  maxAllocationsPerUser: 10,
  maxClients: 2000,
  maxClientsPerIp: 100,
  maxDatagramBytes: 1500,
  allocationQuota: { datagramsPerSecond: 5000, bytesPerSecond: 5_000_000 },
  totalQuota: { datagramsPerSecond: 200_000, bytesPerSecond: 200_000_000 },
  clientBufferBytes: 256 * 1024,
  idleTimeoutMs: 120_000,
  authTimeoutMs: 15_000,
  unauthenticatedFramesPerSecond: 20,
  maxAuthFailures: 3,
  maxPermissionsPerAllocation: 64,
  maxChannelsPerAllocation: 64,
} as const;

/**
 * Options with their defaults, checked. `parseAllow` turns the allow list into
 * CIDRs; `defaultExternalIp` finds the address to announce when none is given.
 */
export function resolveRelayOptions(o: RelayServerOptions, parseAllow: (entries: Array<string | Cidr>) => Cidr[],
  defaultExternalIp: () => string | null): ResolvedRelayOptions {
  if (typeof o.secret !== "string" || o.secret.length < 8) {
    throw new TypeError("createRelayServer: `secret` must be a string of at least 8 characters (the TURN REST API shared secret)");
  }
  const allow = parseAllow(o.allow ?? []);
  const relayIp = o.relayIp ?? RELAY_DEFAULTS.relayIp;
  let externalIp = o.externalIp ?? relayIp;
  if (externalIp === "0.0.0.0") {
    const found = defaultExternalIp();
    if (!found) throw new TypeError("createRelayServer: no external IPv4 address found; set `externalIp` (or `relayIp`)");
    externalIp = found;
  }
  const positive = (v: number | undefined, d: number, name: string) => {
    const x = v ?? d;
    if (!(typeof x === "number" && x > 0)) throw new TypeError(`createRelayServer: \`${name}\` must be a positive number`);
    return x;
  };
  // An entry given as undefined (the CLI passes every flag, set or not) keeps its default instead of erasing it.
  const quota = (q: Partial<RelayQuota> | undefined, d: RelayQuota, name: string): RelayQuota => ({
    datagramsPerSecond: positive(q?.datagramsPerSecond, d.datagramsPerSecond, `${name}.datagramsPerSecond`),
    bytesPerSecond: positive(q?.bytesPerSecond, d.bytesPerSecond, `${name}.bytesPerSecond`),
  });
  const maxLifetimeSeconds = positive(o.maxLifetimeSeconds, RELAY_DEFAULTS.maxLifetimeSeconds, "maxLifetimeSeconds");
  return {
    secret: o.secret,
    port: o.port ?? RELAY_DEFAULTS.port,
    host: o.host ?? RELAY_DEFAULTS.host,
    path: o.path ?? RELAY_DEFAULTS.path,
    tls: o.tls,
    origins: o.origins ?? [],
    allow,
    relayIp,
    externalIp,
    realm: o.realm ?? RELAY_DEFAULTS.realm,
    // The default never exceeds the maximum (RFC 8656 §7.2 caps every lifetime at it).
    defaultLifetimeSeconds: Math.min(maxLifetimeSeconds, positive(o.defaultLifetimeSeconds, RELAY_DEFAULTS.defaultLifetimeSeconds, "defaultLifetimeSeconds")),
    maxLifetimeSeconds,
    maxAllocations: positive(o.maxAllocations, RELAY_DEFAULTS.maxAllocations, "maxAllocations"),
    maxAllocationsPerUser: positive(o.maxAllocationsPerUser, RELAY_DEFAULTS.maxAllocationsPerUser, "maxAllocationsPerUser"),
    maxClients: positive(o.maxClients, RELAY_DEFAULTS.maxClients, "maxClients"),
    maxClientsPerIp: positive(o.maxClientsPerIp, RELAY_DEFAULTS.maxClientsPerIp, "maxClientsPerIp"),
    maxDatagramBytes: Math.min(65507, positive(o.maxDatagramBytes, RELAY_DEFAULTS.maxDatagramBytes, "maxDatagramBytes")),
    allocationQuota: quota(o.allocationQuota, RELAY_DEFAULTS.allocationQuota, "allocationQuota"),
    totalQuota: quota(o.totalQuota, RELAY_DEFAULTS.totalQuota, "totalQuota"),
    clientBufferBytes: positive(o.clientBufferBytes, RELAY_DEFAULTS.clientBufferBytes, "clientBufferBytes"),
    idleTimeoutMs: positive(o.idleTimeoutMs, RELAY_DEFAULTS.idleTimeoutMs, "idleTimeoutMs"),
    authTimeoutMs: positive(o.authTimeoutMs, RELAY_DEFAULTS.authTimeoutMs, "authTimeoutMs"),
    unauthenticatedFramesPerSecond: positive(o.unauthenticatedFramesPerSecond, RELAY_DEFAULTS.unauthenticatedFramesPerSecond, "unauthenticatedFramesPerSecond"),
    maxAuthFailures: positive(o.maxAuthFailures, RELAY_DEFAULTS.maxAuthFailures, "maxAuthFailures"),
    maxPermissionsPerAllocation: positive(o.maxPermissionsPerAllocation, RELAY_DEFAULTS.maxPermissionsPerAllocation, "maxPermissionsPerAllocation"),
    maxChannelsPerAllocation: positive(o.maxChannelsPerAllocation, RELAY_DEFAULTS.maxChannelsPerAllocation, "maxChannelsPerAllocation"),
    log: o.log ?? (() => undefined),
    now: o.now ?? (() => performance.now()),
  };
}
