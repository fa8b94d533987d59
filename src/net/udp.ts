// Transport on node:dgram. One socket serves every connection of an endpoint.
import * as dgram from "node:dgram";
import * as os from "node:os";
import { lookup } from "node:dns/promises";
import { ipFamily, type NetAddress } from "./address.js";
import type { BindOptions, DatagramSocket, Transport } from "./transport.js";

export interface NodeUdpOptions {
  /** Only these IPs are offered as local addresses (e.g. ["127.0.0.1"] in tests). */
  allowAddresses?: string[];
  /** Socket buffer sizes; loopback drops datagrams with the defaults under load. */
  recvBufferSize?: number;
  sendBufferSize?: number;
  /** Do not keep the process alive for these sockets. */
  unref?: boolean;
}

class UdpSocket implements DatagramSocket {
  onDatagram: ((data: Uint8Array, from: NetAddress) => void) | null = null;
  /** node:dgram hands every message over in a Buffer of its own. */
  readonly stableBuffers = true;
  sendErrors = 0;
  private closed = false;
  private inFlight = 0;
  private released = false;

  constructor(private readonly sock: dgram.Socket, readonly local: NetAddress) {
    sock.on("message", (msg, rinfo) => {
      if (this.closed || !this.onDatagram) return;
      const family = rinfo.family === "IPv6" ? 6 : 4;
      this.onDatagram(msg, { family, ip: rinfo.address, port: rinfo.port });
    });
    sock.on("error", () => {
      this.sendErrors++;
    });
  }

  send(data: Uint8Array, to: NetAddress): void {
    if (this.closed || unsendable(this.local, to)) {
      this.sendErrors++;
      return;
    }
    try {
      this.inFlight++;
      this.sock.send(data, to.port, to.ip, (err) => {
        if (err) this.sendErrors++;
        if (--this.inFlight === 0 && this.closed) this.release();
      });
    } catch {
      this.inFlight--;
      this.sendErrors++;
    }
  }

  /**
   * Nothing is sent or delivered after close(); datagrams already handed to
   * node:dgram (which sends on a later tick) still go out, so a connection's
   * last words (SCTP ABORT, DTLS close_notify) reach the peer. Then the socket closes.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onDatagram = null;
    if (this.inFlight === 0) this.release();
    else setTimeout(() => this.release(), 500).unref();  // bounded linger even if a callback never comes
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    try {
      this.sock.close();
    } catch {
      // already closed
    }
  }
}

// Deno's node:dgram allocates a receive buffer as large as the socket's
// SO_RCVBUF for every datagram (4 MiB: ~1.7 ms per datagram), so there the
// kernel default stays unless the caller asks.
const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
export const DEFAULT_SOCKET_BUFFER = isDeno ? undefined : 4 * 1024 * 1024;

/** A destination no socket bound at `local` can send to (counted as a send error, never thrown). */
export function unsendable(local: NetAddress, to: NetAddress): boolean {
  return to.port <= 0 || to.port > 65535 || to.family !== local.family;
}

export class NodeUdpTransport implements Transport {
  constructor(private readonly opts: NodeUdpOptions = {}) {}

  bind(b: BindOptions): Promise<DatagramSocket> {
    const family = b.family ?? (b.ip ? (ipFamily(b.ip) === 6 ? 6 : 4) : 4);
    const ip = b.ip ?? (family === 6 ? "::" : "0.0.0.0");
    return new Promise((resolve, reject) => {
      const sock = dgram.createSocket({
        type: family === 6 ? "udp6" : "udp4",
        recvBufferSize: this.opts.recvBufferSize ?? DEFAULT_SOCKET_BUFFER,
        sendBufferSize: this.opts.sendBufferSize ?? DEFAULT_SOCKET_BUFFER,
        ipv6Only: family === 6,
        // Destinations are always IP literals: skip dns.lookup (and its extra tick) on every send.
        lookup: ((address: string, fam: unknown, cb: (err: Error | null, a: string, f: number) => void) =>
          cb(null, address, family)) as unknown as dgram.SocketOptions["lookup"],
      });
      const onError = (err: Error): void => {
        sock.close();
        reject(err);
      };
      sock.once("error", onError);
      sock.bind(b.port ?? 0, ip, () => {
        sock.off("error", onError);
        if (this.opts.unref) sock.unref();
        const a = sock.address();
        resolve(new UdpSocket(sock, { family, ip: a.address, port: a.port }));
      });
    });
  }

  /** Resolves a host name (".local" names need the system's mDNS resolver); null when it does not resolve. */
  async resolve(host: string): Promise<string | null> {
    try {
      return (await lookup(host)).address;
    } catch {
      return null;
    }
  }

  localAddresses(): string[] {
    const all: string[] = [];
    for (const list of Object.values(os.networkInterfaces())) {
      for (const i of list ?? []) {
        if (i.family === "IPv6" && i.scopeid) continue;  // link-local needs a zone
        all.push(i.address);
      }
    }
    return filterAllowed(all, this.opts.allowAddresses);
  }
}

/** Only the allowed addresses; loopback ones count even when no interface lists them. */
export function filterAllowed(all: string[], allow: string[] | undefined): string[] {
  return allow ? all.filter((a) => allow.includes(a)).concat(allow.filter((a) => !all.includes(a) && a.startsWith("127."))) : all;
}
