// An in-memory network on a VirtualClock: hosts with addresses, links with
// latency, jitter, loss, duplication, reordering, MTU and a rate limit, and
// optional NAT boxes (RFC 4787 behaviours). Seeded, so the same inputs give
// the same delivery trace.
import { addressKey, type NetAddress } from "./address.js";
import type { Clock } from "./clock.js";
import type { BindOptions, DatagramSocket, Transport } from "./transport.js";

export interface LinkConfig {
  latencyMs?: number;
  jitterMs?: number;
  /** Probability 0..1 that a datagram is lost. */
  loss?: number;
  /** Probability 0..1 that a datagram is delivered twice. */
  duplicate?: number;
  /** Allow jitter to reorder datagrams (otherwise delivery keeps send order). */
  reorder?: boolean;
  /** Datagrams larger than this (payload bytes) are dropped. */
  mtu?: number;
  /** Bytes per second; datagrams queue behind each other (0 = unlimited). */
  rateBytesPerSec?: number;
  /** Queue limit in bytes when rate-limited; tail drop beyond it. */
  queueBytes?: number;
}

export type NatType = "full-cone" | "address-restricted" | "port-restricted" | "symmetric";

export interface LinkStats {
  sent: number;
  delivered: number;
  duplicated: number;
  droppedLoss: number;
  droppedMtu: number;
  droppedQueue: number;
  droppedNoRoute: number;
  bytesDelivered: number;
}

/** Small deterministic PRNG (splitmix32); not cryptography. */
export class SeededRandom {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x9e3779b9) >>> 0;
    let z = this.s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  }
}

interface Nat {
  type: NatType;
  publicIp: string;
  nextPort: number;
  /** internal socket key (+ remote for symmetric) -> public port */
  out: Map<string, number>;
  /** public port -> { internal address, remotes it has sent to } */
  inbound: Map<number, { internal: NetAddress; remotes: Set<string>; remoteIps: Set<string> }>;
}

class VirtualSocket implements DatagramSocket {
  onDatagram: ((data: Uint8Array, from: NetAddress) => void) | null = null;
  /** Every delivery is a copy made at send time. */
  readonly stableBuffers = true;
  closed = false;
  /** Changes when the host moves (VirtualNetwork.moveHost): the socket stays bound, on the new address. */
  constructor(readonly host: VirtualHost, public local: NetAddress) {}
  send(data: Uint8Array, to: NetAddress): void {
    if (this.closed) return;
    this.host.net.route(this, data.slice(), to);
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onDatagram = null;
    this.host.sockets.delete(addressKey(this.local));
  }
}

export class VirtualHost implements Transport {
  readonly sockets = new Map<string, VirtualSocket>();
  private nextPort = 49152;
  constructor(readonly net: VirtualNetwork, public ip: string, readonly nat: Nat | null) {}

  bind(b: BindOptions): Promise<DatagramSocket> {
    const ip = b.ip && b.ip !== "0.0.0.0" ? b.ip : this.ip;
    if (ip !== this.ip) return Promise.reject(new Error(`virtual host ${this.ip} has no address ${ip}`));
    let port = b.port ?? 0;
    if (port === 0) {
      do port = this.nextPort++;
      while (this.sockets.has(addressKey({ family: 4, ip, port })));
    }
    const local: NetAddress = { family: 4, ip, port };
    if (this.sockets.has(addressKey(local))) return Promise.reject(new Error(`port ${port} in use`));
    const s = new VirtualSocket(this, local);
    this.sockets.set(addressKey(local), s);
    return Promise.resolve(s);
  }

  localAddresses(): string[] {
    return [this.ip];
  }

  /** Names registered on the network (like mDNS ".local" names) resolve after the link latency. */
  resolve(host: string): Promise<string | null> {
    return Promise.resolve(this.net.names.get(host.toLowerCase()) ?? null);
  }
}

export type DatagramFate = "sent" | "lost" | "too-big" | "queue-full" | "duplicated" | "delivered" | "no-route";

export class VirtualNetwork {
  readonly rng: SeededRandom;
  private readonly hosts = new Map<string, VirtualHost>();
  private readonly natsByPublicIp = new Map<string, Nat>();
  private readonly links = new Map<string, LinkConfig>();
  private readonly stats = new Map<string, LinkStats>();
  /** Per directed link: when the link is busy until (rate limit) and the last delivery time (order). */
  private readonly busyUntil = new Map<string, number>();
  private readonly lastDelivery = new Map<string, number>();
  private readonly queued = new Map<string, number>();
  /** Every delivery, for determinism checks: "time from>to len". */
  readonly trace: string[] = [];
  /** Host names (e.g. mDNS ".local") and the IPs they resolve to. */
  readonly names = new Map<string, string>();
  traceEnabled = false;
  /** Sees every datagram's fate as it happens (conformance traces): sent, dropped and why, delivered. */
  tap: ((kind: DatagramFate, from: NetAddress, to: NetAddress, data: Uint8Array) => void) | null = null;

  constructor(readonly clock: Clock, opts: { seed?: number; defaultLink?: LinkConfig } = {}) {
    this.rng = new SeededRandom(opts.seed ?? 1);
    this.defaultLink = opts.defaultLink ?? {};
  }
  defaultLink: LinkConfig;

  /** A host with a public address, or behind a NAT with the given public IP. */
  addHost(ip: string, nat?: { type: NatType; publicIp: string }): VirtualHost {
    let n: Nat | null = null;
    if (nat) {
      n = this.natsByPublicIp.get(nat.publicIp) ?? {
        type: nat.type, publicIp: nat.publicIp, nextPort: 20000, out: new Map(), inbound: new Map(),
      };
      this.natsByPublicIp.set(nat.publicIp, n);
    }
    const h = new VirtualHost(this, ip, n);
    this.hosts.set(ip, h);
    return h;
  }

  /**
   * The host moves to another address (a phone changing networks): its sockets stay bound with the same
   * ports on the new IP, and whatever is sent to the old one finds nobody there.
   */
  moveHost(host: VirtualHost, ip: string): void {
    if (this.hosts.get(ip) && this.hosts.get(ip) !== host) throw new Error(`virtual address ${ip} is taken`);
    this.hosts.delete(host.ip);
    host.ip = ip;
    this.hosts.set(ip, host);
    const sockets = [...host.sockets.values()];
    host.sockets.clear();
    for (const sock of sockets) {
      sock.local = { ...sock.local, ip };
      host.sockets.set(addressKey(sock.local), sock);
    }
  }

  /** Impairments between two IPs (the public side of each), both directions. */
  setLink(a: string, b: string, cfg: LinkConfig): void {
    this.links.set(`${a}>${b}`, cfg);
    this.links.set(`${b}>${a}`, cfg);
  }

  linkStats(from: string, to: string): LinkStats {
    return { ...this.statsFor(`${from}>${to}`) };
  }

  totalStats(): LinkStats {
    const t = this.statsFor("*total*");
    return { ...t };
  }

  private statsFor(key: string): LinkStats {
    let s = this.stats.get(key);
    if (!s) {
      s = { sent: 0, delivered: 0, duplicated: 0, droppedLoss: 0, droppedMtu: 0, droppedQueue: 0, droppedNoRoute: 0, bytesDelivered: 0 };
      this.stats.set(key, s);
    }
    return s;
  }

  private bump(key: string, f: (s: LinkStats) => void): void {
    f(this.statsFor(key));
    f(this.statsFor("*total*"));
  }

  /** Source translation through the sender's NAT (if any). */
  private translateOut(sock: VirtualSocket, to: NetAddress): NetAddress {
    const nat = sock.host.nat;
    if (!nat) return sock.local;
    const key = nat.type === "symmetric" ? `${addressKey(sock.local)}>${addressKey(to)}` : addressKey(sock.local);
    let port = nat.out.get(key);
    if (port === undefined) {
      port = nat.nextPort++;
      nat.out.set(key, port);
      nat.inbound.set(port, { internal: sock.local, remotes: new Set(), remoteIps: new Set() });
    }
    const entry = nat.inbound.get(port)!;
    entry.remotes.add(addressKey(to));
    entry.remoteIps.add(to.ip);
    return { family: 4, ip: nat.publicIp, port };
  }

  /** Finds the receiving socket for `to`, applying the destination NAT's filtering. */
  private resolveIn(from: NetAddress, to: NetAddress): VirtualSocket | null {
    const nat = this.natsByPublicIp.get(to.ip);
    if (nat) {
      const entry = nat.inbound.get(to.port);
      if (!entry) return null;
      const allowed =
        nat.type === "full-cone" ? true
          : nat.type === "address-restricted" ? entry.remoteIps.has(from.ip)
            : entry.remotes.has(addressKey(from));  // port-restricted and symmetric
      if (!allowed) return null;
      const host = this.hosts.get(entry.internal.ip);
      return host?.sockets.get(addressKey(entry.internal)) ?? null;
    }
    return this.hosts.get(to.ip)?.sockets.get(addressKey(to)) ?? null;
  }

  /**
   * Datagrams to addresses this hook claims leave the virtual network (after
   * NAT translation), e.g. to reach a real server on loopback; answers come back
   * through deliverFromOutside(). With a real clock this joins the two worlds.
   */
  externalRoute: ((from: NetAddress, to: NetAddress, data: Uint8Array) => boolean) | null = null;

  /** A datagram from outside, addressed to a (public) virtual address; NAT filtering applies. */
  deliverFromOutside(from: NetAddress, to: NetAddress, data: Uint8Array): void {
    const dst = this.resolveIn(from, to);
    if (!dst || dst.closed) {
      this.bump(`${from.ip}>${to.ip}`, (s) => s.droppedNoRoute++);
      return;
    }
    dst.onDatagram?.(data, from);
  }

  route(sock: VirtualSocket, data: Uint8Array, to: NetAddress): void {
    const from = this.translateOut(sock, to);
    if (this.externalRoute?.(from, to, data)) return;
    const linkKey = `${from.ip}>${to.ip}`;
    const cfg = this.links.get(linkKey) ?? this.defaultLink;
    this.bump(linkKey, (s) => s.sent++);
    this.tap?.("sent", from, to, data);
    if (cfg.mtu !== undefined && data.length > cfg.mtu) {
      this.bump(linkKey, (s) => s.droppedMtu++);
      this.tap?.("too-big", from, to, data);
      return;
    }
    if (cfg.loss && this.rng.next() < cfg.loss) {
      this.bump(linkKey, (s) => s.droppedLoss++);
      this.tap?.("lost", from, to, data);
      return;
    }
    const now = this.clock.now();
    let departAt = now;
    if (cfg.rateBytesPerSec && cfg.rateBytesPerSec > 0) {
      const queuedBytes = this.queued.get(linkKey) ?? 0;
      if (cfg.queueBytes !== undefined && queuedBytes + data.length > cfg.queueBytes) {
        this.bump(linkKey, (s) => s.droppedQueue++);
        this.tap?.("queue-full", from, to, data);
        return;
      }
      const start = Math.max(now, this.busyUntil.get(linkKey) ?? now);
      departAt = start + (data.length * 1000) / cfg.rateBytesPerSec;
      this.busyUntil.set(linkKey, departAt);
      this.queued.set(linkKey, queuedBytes + data.length);
      this.clock.setTimer(departAt, () => this.queued.set(linkKey, (this.queued.get(linkKey) ?? 0) - data.length));
    }
    const copies = cfg.duplicate && this.rng.next() < cfg.duplicate ? 2 : 1;
    if (copies === 2) {
      this.bump(linkKey, (s) => s.duplicated++);
      this.tap?.("duplicated", from, to, data);
    }
    for (let c = 0; c < copies; c++) {
      let at = departAt + (cfg.latencyMs ?? 0) + (cfg.jitterMs ? this.rng.next() * cfg.jitterMs : 0);
      if (!cfg.reorder) {
        // Keep FIFO order per link: never deliver before an earlier datagram.
        at = Math.max(at, this.lastDelivery.get(linkKey) ?? 0);
        this.lastDelivery.set(linkKey, at);
      }
      this.clock.setTimer(at, () => {
        const dst = this.resolveIn(from, to);
        if (!dst || dst.closed) {
          this.bump(linkKey, (s) => s.droppedNoRoute++);
          this.tap?.("no-route", from, to, data);
          return;
        }
        this.bump(linkKey, (s) => {
          s.delivered++;
          s.bytesDelivered += data.length;
        });
        this.tap?.("delivered", from, to, data);
        if (this.traceEnabled) this.trace.push(`${this.clock.now().toFixed(3)} ${addressKey(from)}>${addressKey(to)} ${data.length}`);
        dst.onDatagram?.(data, from);
      });
    }
  }
}
