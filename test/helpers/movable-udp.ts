// A test transport over real UDP (src/net/udp.ts) whose sockets can have an outage (every datagram
// dropped both ways) and can "move": the inner UDP socket is closed and a new one bound on another
// port or loopback address, so the peer really appears at a new address. The socket object the
// endpoint holds stays the same (same socket index in the core); its `local` is the new address, so
// Endpoint.hostAddresses() offers it. Datagrams sent to the old address go nowhere (nobody listens).
//
// Every binding keeps counters: what it sent and received, and to/from whom, split into STUN
// (first byte 0..3) and the rest (DTLS, i.e. the data path), so a test can say which local socket
// and which remote address carry the traffic.
import { formatAddress, type NetAddress } from "../../src/net/address.js";
import { NodeUdpTransport, type NodeUdpOptions } from "../../src/net/udp.js";
import type { BindOptions, DatagramSocket, Transport } from "../../src/net/transport.js";

/** Counters of one inner UDP socket (one address the movable socket had). */
export interface Binding {
  local: NetAddress;
  boundAt: number;
  closedAt: number | null;
  /** Datagrams sent / received while not black-holed. */
  sent: { stun: number; data: number };
  received: { stun: number; data: number };
  /** Per remote "ip:port": datagrams sent to it / received from it (stun and data). */
  sentTo: Map<string, { stun: number; data: number }>;
  receivedFrom: Map<string, { stun: number; data: number }>;
}

const isStun = (d: Uint8Array) => d.length > 0 && d[0]! < 4;

function bump(m: Map<string, { stun: number; data: number }>, key: string, stun: boolean): void {
  let e = m.get(key);
  if (!e) m.set(key, (e = { stun: 0, data: 0 }));
  if (stun) e.stun++;
  else e.data++;
}

export class MovableSocket implements DatagramSocket {
  onDatagram: ((data: Uint8Array, from: NetAddress) => void) | null = null;
  /** node:dgram hands every datagram over in a Buffer of its own (as UdpSocket). */
  readonly stableBuffers = true;
  /** Every address this socket had, oldest first; the last one is current. */
  readonly bindings: Binding[] = [];
  /** Datagrams the outage dropped, each way. */
  readonly dropped = { in: 0, out: 0 };
  private blackholed = false;
  private closed = false;
  private inner: DatagramSocket;

  constructor(private readonly transport: NodeUdpTransport, inner: DatagramSocket) {
    this.inner = inner;
    this.attach(inner);
  }

  get local(): NetAddress {
    return this.inner.local;
  }

  /** The current binding's counters. */
  get current(): Binding {
    return this.bindings[this.bindings.length - 1]!;
  }

  get isBlackholed(): boolean {
    return this.blackholed;
  }

  /** An outage: nothing is sent or delivered until it is lifted. */
  setBlackhole(on: boolean): void {
    this.blackholed = on;
  }

  /**
   * Closes the inner socket and binds a new one (default: the same IP, a new port). The outage state
   * stays as it is. Resolves with the new address.
   */
  async move(to: { ip?: string; port?: number } = {}): Promise<NetAddress> {
    if (this.closed) throw new Error("MovableSocket: closed");
    const old = this.inner;
    const ip = to.ip ?? old.local.ip;
    const next = await this.transport.bind({ ip, port: to.port ?? 0, family: old.local.family });
    if (this.closed) {
      next.close();
      throw new Error("MovableSocket: closed while moving");
    }
    old.onDatagram = null;
    old.close();
    this.current.closedAt = Date.now();
    this.inner = next;
    this.attach(next);
    return next.local;
  }

  send(data: Uint8Array, to: NetAddress): void {
    if (this.closed) return;
    if (this.blackholed) {
      this.dropped.out++;
      return;
    }
    const b = this.current;
    const stun = isStun(data);
    if (stun) b.sent.stun++;
    else b.sent.data++;
    bump(b.sentTo, formatAddress(to), stun);
    this.inner.send(data, to);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onDatagram = null;
    this.current.closedAt = Date.now();
    this.inner.close();
  }

  private attach(sock: DatagramSocket): void {
    const binding: Binding = {
      local: sock.local,
      boundAt: Date.now(),
      closedAt: null,
      sent: { stun: 0, data: 0 },
      received: { stun: 0, data: 0 },
      sentTo: new Map(),
      receivedFrom: new Map(),
    };
    this.bindings.push(binding);
    sock.onDatagram = (data, from) => {
      if (this.closed || this.inner !== sock) return;
      if (this.blackholed) {
        this.dropped.in++;
        return;
      }
      const stun = isStun(data);
      if (stun) binding.received.stun++;
      else binding.received.data++;
      bump(binding.receivedFrom, formatAddress(from), stun);
      this.onDatagram?.(data, from);
    };
  }
}

/**
 * NodeUdpTransport with movable sockets. Give the engine `bind` IPs (e.g. ["127.0.0.2"]): a wildcard
 * bind would offer the machine's addresses, which a moved socket does not change.
 */
export class MovableUdpTransport implements Transport {
  readonly sockets: MovableSocket[] = [];
  private readonly udp: NodeUdpTransport;

  constructor(opts: NodeUdpOptions = {}) {
    this.udp = new NodeUdpTransport(opts);
  }

  async bind(opts: BindOptions): Promise<DatagramSocket> {
    const s = new MovableSocket(this.udp, await this.udp.bind(opts));
    this.sockets.push(s);
    return s;
  }

  localAddresses(): string[] {
    // What the sockets are bound to now (a moved socket's new IP included).
    const ips = new Set(this.sockets.map((s) => s.local.ip).filter((ip) => ip !== "0.0.0.0" && ip !== "::"));
    return ips.size ? [...ips] : this.udp.localAddresses();
  }

  resolve(host: string): Promise<string | null> {
    return this.udp.resolve(host);
  }

  /** The one socket of a single-bind endpoint. */
  get socket(): MovableSocket {
    const s = this.sockets[0];
    if (!s) throw new Error("MovableUdpTransport: nothing bound yet");
    return s;
  }

  setBlackhole(on: boolean): void {
    for (const s of this.sockets) s.setBlackhole(on);
  }
}
