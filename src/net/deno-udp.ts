// UDP on Deno's own API (Deno.listenDatagram, behind --unstable-net): about 3×
// lower latency than Deno's node:dgram layer, and one receive buffer per
// socket reused for every datagram. Chosen by the Node entry when Deno offers it.
import { ipFamily, type NetAddress } from "./address.js";
import type { BindOptions, DatagramSocket, Transport } from "./transport.js";
import { filterAllowed } from "./udp.js";

interface DenoAddr {
  transport: "udp";
  hostname: string;
  port: number;
}
interface DenoDatagramConn {
  readonly addr: DenoAddr;
  receive(p?: Uint8Array): Promise<[Uint8Array, DenoAddr]>;
  send(p: Uint8Array, addr: DenoAddr): Promise<number>;
  close(): void;
}
interface DenoApi {
  listenDatagram?(o: { port: number; hostname?: string; transport: "udp" }): DenoDatagramConn;
  networkInterfaces?(): Array<{ family: "IPv4" | "IPv6"; address: string; scopeid: number | null }>;
  resolveDns?(host: string, type: "A" | "AAAA"): Promise<string[]>;
}

const deno = (): DenoApi | undefined => (globalThis as { Deno?: DenoApi }).Deno;

/** True when this runtime is Deno with Deno.listenDatagram available. */
export const hasDenoDatagram = (): boolean => typeof deno()?.listenDatagram === "function";

const MAX_DATAGRAM = 65536;

class DenoUdpSocket implements DatagramSocket {
  onDatagram: ((data: Uint8Array, from: NetAddress) => void) | null = null;
  /** The receive buffer is reused: a receiver keeps a copy if it needs one. */
  readonly stableBuffers = false;
  sendErrors = 0;
  private closed = false;
  private readonly to: DenoAddr = { transport: "udp", hostname: "", port: 0 };

  constructor(private readonly conn: DenoDatagramConn, readonly local: NetAddress) {
    void this.receiveLoop();
  }

  private async receiveLoop(): Promise<void> {
    const buf = new Uint8Array(MAX_DATAGRAM);
    while (!this.closed) {
      let got: [Uint8Array, DenoAddr];
      try {
        got = await this.conn.receive(buf);
      } catch {
        if (this.closed) return;
        continue;  // e.g. ICMP port unreachable surfaced as an error: the socket goes on
      }
      const [data, from] = got;
      if (this.closed || !this.onDatagram) continue;
      const family = ipFamily(from.hostname) === 6 ? 6 : 4;
      this.onDatagram(data, { family, ip: from.hostname, port: from.port });
    }
  }

  send(data: Uint8Array, to: NetAddress): void {
    if (this.closed || to.port <= 0 || to.port > 65535 || to.family !== this.local.family) {
      this.sendErrors++;
      return;
    }
    this.to.hostname = to.ip;
    this.to.port = to.port;
    this.conn.send(data, { ...this.to }).catch(() => {
      this.sendErrors++;
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onDatagram = null;
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }
}

export class DenoUdpTransport implements Transport {
  constructor(private readonly opts: { allowAddresses?: string[] } = {}) {}

  bind(b: BindOptions): Promise<DatagramSocket> {
    const d = deno();
    if (!d?.listenDatagram) return Promise.reject(new Error("Deno.listenDatagram is missing: run Deno with --unstable-net"));
    const family = b.family ?? (b.ip ? (ipFamily(b.ip) === 6 ? 6 : 4) : 4);
    const hostname = b.ip ?? (family === 6 ? "::" : "0.0.0.0");
    try {
      const conn = d.listenDatagram({ port: b.port ?? 0, hostname, transport: "udp" });
      return Promise.resolve(new DenoUdpSocket(conn, { family, ip: conn.addr.hostname, port: conn.addr.port }));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async resolve(host: string): Promise<string | null> {
    const d = deno();
    for (const type of ["A", "AAAA"] as const) {
      try {
        const r = await d?.resolveDns?.(host, type);
        if (r && r.length) return r[0]!;
      } catch {
        // try the next record type
      }
    }
    return null;
  }

  localAddresses(): string[] {
    const all = (deno()?.networkInterfaces?.() ?? [])
      .filter((i) => !(i.family === "IPv6" && i.scopeid))
      .map((i) => i.address);
    return filterAllowed(all, this.opts.allowAddresses);
  }
}
