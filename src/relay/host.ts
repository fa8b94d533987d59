// What every relay front end (WebSocket in Node, UDP on any transport) shares:
// the options, the destination policy, counters, quotas, where allocations get
// their sockets, and the allocation caps per credential user and in total.
import type { Transport } from "../net/transport.js";
import type { ResolvedRelayOptions } from "./options.js";
import { DatagramQuota } from "./rate-limit.js";
import type { DestinationPolicy, SessionHost } from "./session.js";
import type { RelayStats } from "./stats.js";

export interface SessionHostParts {
  options: ResolvedRelayOptions;
  policy: DestinationPolicy;
  stats: RelayStats;
  udp: Transport;
  wallClock?: () => number;
  randomBytes?: (n: number) => Uint8Array;
}

const secureRandom = (n: number): Uint8Array => {
  const b = new Uint8Array(n);
  globalThis.crypto.getRandomValues(b);
  return b;
};

export function createSessionHost(p: SessionHostParts): SessionHost {
  const o = p.options;
  const perUser = new Map<string, number>();
  return {
    options: o,
    policy: p.policy,
    stats: p.stats,
    totalQuota: new DatagramQuota(o.totalQuota.datagramsPerSecond, o.totalQuota.bytesPerSecond, o.now),
    udp: p.udp,
    now: o.now,
    wallClock: p.wallClock ?? (() => Date.now()),
    randomBytes: p.randomBytes ?? secureRandom,
    reserveAllocation(user) {
      if (p.stats.allocations >= o.maxAllocations) return { code: 508, reason: "Insufficient Capacity: the relay is full" };
      const n = perUser.get(user) ?? 0;
      if (n >= o.maxAllocationsPerUser) return { code: 486, reason: "Allocation Quota Reached" };
      perUser.set(user, n + 1);
      p.stats.allocations++;
      return null;
    },
    releaseAllocation(user) {
      p.stats.allocations--;
      const n = (perUser.get(user) ?? 1) - 1;
      if (n <= 0) perUser.delete(user);
      else perUser.set(user, n);
    },
  };
}
