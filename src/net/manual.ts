// Manual mode, for embedders without an event loop (a game engine's scripting
// host, a simulator, a test harness): the host owns time and sockets. It tells
// the clock what time it is, hands received datagrams in, and takes the ones to
// send out; nothing here starts a timer or opens a socket. Promises are the
// only asynchrony (socket binding resolves in a microtask).
import { addressKey, type NetAddress } from "./address.js";
import { VirtualClock } from "./clock.js";
import type { BindOptions, DatagramSocket, Transport } from "./transport.js";

/** Time is what the host says it is; timers fire only inside advanceTo(). */
export class ManualClock extends VirtualClock {
  /** When the engine next needs the host to call advanceTo() (Infinity: only when a datagram arrives). */
  nextDeadline(): number {
    return this.nextTimerAt();
  }

  /**
   * Moves time to `ms` (never backwards) and runs every timer due by then, in
   * time order; timers those set for no later than `ms` run too. At most
   * `maxTimers` run per call, so a host's frame is bounded.
   */
  advanceTo(ms: number, maxTimers = 10000): void {
    this.advance(Math.max(0, ms - this.now()), maxTimers);
  }
}

export interface OutgoingDatagram {
  from: NetAddress;
  to: NetAddress;
  data: Uint8Array;
}

class ManualSocket implements DatagramSocket {
  onDatagram: ((data: Uint8Array, from: NetAddress) => void) | null = null;
  readonly stableBuffers = false;
  closed = false;
  constructor(private readonly owner: ManualTransport, readonly local: NetAddress) {}
  send(data: Uint8Array, to: NetAddress): void {
    // The endpoint hands every transport a copy of its own (Endpoint.drain): it can be queued as it is.
    if (!this.closed) this.owner.queueOut({ from: this.local, to, data });
  }
  close(): void {
    this.closed = true;
    this.onDatagram = null;
    this.owner.forget(this);
  }
}

/**
 * The host's sockets as the engine sees them: bind() makes a socket on one of
 * the host's addresses, takeOutgoing() hands over what the engine sent,
 * deliver() hands in what arrived.
 */
export class ManualTransport implements Transport {
  private readonly sockets = new Map<string, ManualSocket>();
  private outbox: OutgoingDatagram[] = [];
  private nextPort = 40000;
  /** Datagrams delivered to an address no socket is bound to. */
  undeliverable = 0;

  /** `addresses`: the host's IPs (host candidates); `maxQueued` bounds what waits for takeOutgoing(). */
  constructor(private readonly addresses: string[], private readonly maxQueued = 4096) {}

  bind(b: BindOptions): Promise<DatagramSocket> {
    const ip = b.ip && b.ip !== "0.0.0.0" ? b.ip : this.addresses[0];
    if (!ip || !this.addresses.includes(ip)) return Promise.reject(new Error(`manual transport has no address ${b.ip}`));
    let port = b.port ?? 0;
    if (port === 0) {
      do port = this.nextPort++;
      while (this.sockets.has(addressKey({ family: 4, ip, port })));
    }
    const local: NetAddress = { family: ip.includes(":") ? 6 : 4, ip, port };
    if (this.sockets.has(addressKey(local))) return Promise.reject(new Error(`port ${port} in use`));
    const s = new ManualSocket(this, local);
    this.sockets.set(addressKey(local), s);
    return Promise.resolve(s);
  }

  localAddresses(): string[] {
    return [...this.addresses];
  }

  /** @internal */
  queueOut(d: OutgoingDatagram): void {
    if (this.outbox.length < this.maxQueued) this.outbox.push(d);  // beyond: lost, as a full socket buffer would
  }

  /** @internal */
  forget(s: ManualSocket): void {
    this.sockets.delete(addressKey(s.local));
  }

  /** Everything the engine sent since the last call, oldest first. */
  takeOutgoing(): OutgoingDatagram[] {
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  /** Hands one received datagram to the socket bound at `to`; false when none is. */
  deliver(data: Uint8Array, from: NetAddress, to: NetAddress): boolean {
    const s = this.sockets.get(addressKey(to));
    if (!s || s.closed || !s.onDatagram) {
      this.undeliverable++;
      return false;
    }
    s.onDatagram(data, from);
    return true;
  }
}
