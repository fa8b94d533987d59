// TURN over UDP (RFC 8656 §3) on any Transport and Clock: the relay's session
// logic with a 5-tuple per client instead of a WebSocket. It makes a TURN
// server on the virtual network (conformance, tests) out of the same code the
// WebSocket relay runs; on real sockets, give it a destination policy that
// refuses what yours must (AddressPolicy in Node).
import { addressKey, type NetAddress } from "../net/address.js";
import type { Clock, TimerHandle } from "../net/clock.js";
import type { Transport } from "../net/transport.js";
import { createSessionHost } from "./host.js";
import { resolveRelayOptions, type RelayServerOptions } from "./options.js";
import { RelaySession, type DestinationPolicy } from "./session.js";
import { newRelayStats, type RelayStats } from "./stats.js";

export interface TurnUdpServerOptions extends Omit<RelayServerOptions, "port" | "host" | "path" | "tls" | "origins" | "allow" | "now"> {
  transport: Transport;
  clock: Clock;
  /** Where it listens, e.g. { ip: "192.0.2.100", port: 3478 }. */
  listen: { ip: string; port: number };
  /** Where relayed datagrams may go (required: the caller knows its network). */
  policy: DestinationPolicy;
  /** Unix milliseconds for credential expiry (default Date.now). */
  wallClock?: () => number;
  randomBytes?: (n: number) => Uint8Array;
}

export interface TurnUdpServer {
  readonly address: NetAddress;
  stats(): RelayStats;
  close(): void;
}

export async function createTurnUdpServer(opts: TurnUdpServerOptions): Promise<TurnUdpServer> {
  const relayIp = opts.relayIp ?? opts.listen.ip;
  const o = resolveRelayOptions({
    ...opts, relayIp, externalIp: opts.externalIp ?? relayIp, now: () => opts.clock.now(),
    // A UDP client is quiet between refreshes (every ~9 minutes when no data flows): idleness is the lifetime's business.
    idleTimeoutMs: opts.idleTimeoutMs ?? ((opts.maxLifetimeSeconds ?? 3600) + 60) * 1000,
  }, () => [], () => null);
  const stats = newRelayStats();
  const host = createSessionHost({ options: o, policy: opts.policy, stats, udp: opts.transport, wallClock: opts.wallClock, randomBytes: opts.randomBytes });
  const sock = await opts.transport.bind({ ip: opts.listen.ip, port: opts.listen.port, family: 4 });
  const sessions = new Map<string, RelaySession>();
  sock.onDatagram = (data, from) => {
    const k = addressKey(from);
    let s = sessions.get(k);
    if (!s) {
      if (sessions.size >= o.maxClients) {
        stats.connectionsRefused++;
        return;
      }
      stats.connectionsAccepted++;
      s = new RelaySession(host, {
        bufferedAmount: 0,
        send: (d) => sock.send(d, from),
        close: () => {
          sessions.delete(k);
          stats.clients = sessions.size;
        },
      }, from);
      sessions.set(k, s);
      stats.clients = sessions.size;
    }
    // As over a WebSocket, a malformed message ends that client's session (and its allocation).
    s.onFrame(sock.stableBuffers ? data : data.slice(), true);
  };
  let timer: TimerHandle | null = null;
  const sweep = () => {
    const now = opts.clock.now();
    for (const s of [...sessions.values()]) s.sweep(now);
    timer = opts.clock.setTimer(now + 1000, sweep);
  };
  timer = opts.clock.setTimer(opts.clock.now() + 1000, sweep);
  return {
    address: sock.local,
    stats: () => ({ ...stats, refusedUpgrades: { ...stats.refusedUpgrades } }),
    close() {
      if (timer !== null) opts.clock.clearTimer(timer);
      timer = null;
      for (const s of [...sessions.values()]) s.close(1001, "server closing");
      sessions.clear();
      sock.close();
    },
  };
}
