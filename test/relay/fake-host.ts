// A RelaySession without a server: a fake SessionHost (options, policy,
// counters, the allocation registry, a clock the test moves) and a fake
// FrameSocket that records what the session sends and how it closes. Only
// Allocation.open touches the network (a UDP socket on 127.0.0.1).
import { AddressPolicy } from "../../src/relay/address-policy.js";
import { RELAY_DEFAULTS, type ResolvedRelayOptions } from "../../src/relay/options.js";
import { DatagramQuota } from "../../src/relay/rate-limit.js";
import type { FrameSocket, SessionHost } from "../../src/relay/session.js";
import { newRelayStats, type RelayStats } from "../../src/relay/stats.js";
import { NodeUdpTransport } from "../../src/net/udp.js";
import { randomBytes } from "node:crypto";

export const FAKE_SECRET = "fuzz-secret-0123";
export const FAKE_REALM = "fuzz";

export function fakeOptions(now: () => number, over: Partial<ResolvedRelayOptions> = {}): ResolvedRelayOptions {
  return {
    secret: FAKE_SECRET, port: 0, host: "127.0.0.1", path: "/", origins: [], allow: [], relayIp: "127.0.0.1",
    externalIp: "127.0.0.1", realm: FAKE_REALM, defaultLifetimeSeconds: RELAY_DEFAULTS.defaultLifetimeSeconds,
    maxLifetimeSeconds: RELAY_DEFAULTS.maxLifetimeSeconds, maxAllocations: RELAY_DEFAULTS.maxAllocations,
    maxAllocationsPerUser: RELAY_DEFAULTS.maxAllocationsPerUser, maxClients: RELAY_DEFAULTS.maxClients,
    maxClientsPerIp: RELAY_DEFAULTS.maxClientsPerIp, maxDatagramBytes: RELAY_DEFAULTS.maxDatagramBytes,
    allocationQuota: { ...RELAY_DEFAULTS.allocationQuota }, totalQuota: { ...RELAY_DEFAULTS.totalQuota },
    clientBufferBytes: RELAY_DEFAULTS.clientBufferBytes, idleTimeoutMs: RELAY_DEFAULTS.idleTimeoutMs,
    authTimeoutMs: RELAY_DEFAULTS.authTimeoutMs, unauthenticatedFramesPerSecond: RELAY_DEFAULTS.unauthenticatedFramesPerSecond,
    maxAuthFailures: RELAY_DEFAULTS.maxAuthFailures, maxPermissionsPerAllocation: RELAY_DEFAULTS.maxPermissionsPerAllocation,
    maxChannelsPerAllocation: RELAY_DEFAULTS.maxChannelsPerAllocation, log: () => undefined, now,
    ...over,
  };
}

/** The server's allocation registry (server.ts) with checks: a release without a reservation is a violation. */
export class FakeHost implements SessionHost {
  clock = 1_000_000;
  readonly options: ResolvedRelayOptions;
  readonly policy: AddressPolicy;
  readonly stats: RelayStats = newRelayStats();
  readonly totalQuota: DatagramQuota;
  readonly perUser = new Map<string, number>();
  readonly violations: string[] = [];
  readonly udp = new NodeUdpTransport({ recvBufferSize: 1 << 16, sendBufferSize: 1 << 16 });

  constructor(over: Partial<ResolvedRelayOptions> = {}) {
    this.options = fakeOptions(() => this.clock, over);
    this.policy = new AddressPolicy(this.options.allow, [this.options.relayIp]);
    this.totalQuota = new DatagramQuota(this.options.totalQuota.datagramsPerSecond, this.options.totalQuota.bytesPerSecond, () => this.clock);
  }

  now(): number {
    return this.clock;
  }

  wallClock(): number {
    return Date.now();
  }

  randomBytes(n: number): Uint8Array {
    return new Uint8Array(randomBytes(n));
  }

  reserveAllocation(user: string): null | { code: number; reason: string } {
    if (this.stats.allocations >= this.options.maxAllocations) return { code: 508, reason: "Insufficient Capacity: the relay is full" };
    const n = this.perUser.get(user) ?? 0;
    if (n >= this.options.maxAllocationsPerUser) return { code: 486, reason: "Allocation Quota Reached" };
    this.perUser.set(user, n + 1);
    this.stats.allocations++;
    return null;
  }

  releaseAllocation(user: string): void {
    const n = this.perUser.get(user) ?? 0;
    if (n <= 0 || this.stats.allocations <= 0) {
      this.violations.push(`released an allocation of '${user}' that was not reserved (total ${this.stats.allocations}, user ${n})`);
      return;
    }
    this.stats.allocations--;
    if (n === 1) this.perUser.delete(user);
    else this.perUser.set(user, n - 1);
  }
}

/** Records frames and the close; a frame after the close (or after `ended`) is counted as a violation. */
export class FakeSocket implements FrameSocket {
  bufferedAmount = 0;
  readonly sent: Uint8Array[] = [];
  readonly closes: Array<{ code: number; reason: string }> = [];
  ended = false;
  sentAfterClose = 0;
  /** Makes send() throw (a socket that failed underneath). */
  failSend: ((data: Uint8Array) => boolean) | null = null;

  send(data: Uint8Array): void {
    if (this.closes.length || this.ended) this.sentAfterClose++;
    if (this.failSend?.(data)) throw new Error("fake socket: send failed");
    this.sent.push(data);
  }

  close(code: number, reason: string): void {
    this.closes.push({ code, reason });
  }
}
