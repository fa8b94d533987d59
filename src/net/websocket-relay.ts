// A transport for runtimes without UDP (pages, workers): one WebSocket to the
// relay server per socket. The engine's own TURN client speaks to the relay
// through it, so every datagram the engine sends goes to the relay inside a
// TURN message and the page's candidates are ordinary relay candidates.
//
// The socket has no real address. It is given a placeholder local address (a
// host candidate the ICE agent keeps only as the base of its allocation, never
// announced: relay-only gathering) and the relay server is reached at a
// placeholder remote address; anything sent elsewhere is dropped and counted.
import type { NetAddress } from "./address.js";
import { sameAddress } from "./address.js";
import type { BindOptions, DatagramSocket, Transport } from "./transport.js";

/** Where the engine's TURN client believes the relay is (TEST-NET-1, never routed). */
export const RELAY_SERVER_ADDRESS: NetAddress = { family: 4, ip: "192.0.2.1", port: 3478 };
const PLACEHOLDER_LOCAL: NetAddress = { family: 4, ip: "192.0.2.2", port: 9 };

/** The parts of the WHATWG WebSocket the transport uses (the browser's, Node 22's, Deno's, Bun's or `ws`). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface RelayTransportOptions {
  /** ws:// or wss:// URL of a wasmrtc relay. */
  url: string;
  /** Default: globalThis.WebSocket. In Node 20, pass `WebSocket` from the `ws` package (the Node entry does). */
  WebSocket?: WebSocketConstructor;
  /** How long to wait for the WebSocket to open. Default 10 s. */
  connectTimeoutMs?: number;
  /** Bytes queued in the WebSocket beyond which datagrams are dropped (UDP semantics: the sender's congestion control recovers). Default 1 MiB. */
  maxBufferedBytes?: number;
}

let defaultWebSocket: WebSocketConstructor | undefined;

/** The WebSocket implementation used when none is given (the Node entry installs `ws` where the runtime has none). */
export function setDefaultWebSocket(ctor: WebSocketConstructor | undefined): void {
  defaultWebSocket = ctor;
}

export interface RelaySocketStats {
  sent: number;
  received: number;
  droppedNotRelay: number;
  droppedBuffered: number;
  closeCode?: number;
  closeReason?: string;
}

class RelaySocket implements DatagramSocket {
  readonly local = PLACEHOLDER_LOCAL;
  onDatagram: ((data: Uint8Array, from: NetAddress) => void) | null = null;
  readonly stableBuffers = true;
  readonly stats: RelaySocketStats = { sent: 0, received: 0, droppedNotRelay: 0, droppedBuffered: 0 };
  private closed = false;
  /** Called once when the relay connection ends for any reason but our own close(). */
  onLost: ((code: number, reason: string) => void) | null = null;

  constructor(private readonly ws: WebSocketLike, private readonly maxBuffered: number) {
    ws.onmessage = (ev) => {
      if (this.closed || !this.onDatagram) return;
      const d = ev.data;
      let bytes: Uint8Array | null = null;
      if (d instanceof ArrayBuffer) bytes = new Uint8Array(d);
      else if (ArrayBuffer.isView(d)) bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
      if (!bytes) return;  // text frames are not TURN
      this.stats.received++;
      this.onDatagram(bytes, RELAY_SERVER_ADDRESS);
    };
    ws.onclose = (ev) => {
      this.stats.closeCode = ev.code;
      this.stats.closeReason = ev.reason;
      const wasOpen = !this.closed;
      this.closed = true;
      if (wasOpen) this.onLost?.(ev.code, ev.reason);
    };
    ws.onerror = () => undefined;
  }

  send(data: Uint8Array, to: NetAddress): void {
    if (this.closed || this.ws.readyState !== 1) return;
    if (!sameAddress(to, RELAY_SERVER_ADDRESS)) {
      this.stats.droppedNotRelay++;
      return;
    }
    if (this.ws.bufferedAmount > this.maxBuffered) {
      this.stats.droppedBuffered++;
      return;
    }
    this.stats.sent++;
    // The endpoint hands every transport a copy of its own (Endpoint.drain): no second copy here.
    this.ws.send(data);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.ws.close(1000, "closed");
    } catch {
      // already closing
    }
  }
}

export class WebSocketRelayTransport implements Transport {
  readonly sockets: RelaySocket[] = [];

  constructor(private readonly opts: RelayTransportOptions) {}

  bind(_opts: BindOptions): Promise<DatagramSocket> {
    const Ctor = this.opts.WebSocket ?? defaultWebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) return Promise.reject(new Error("no WebSocket implementation here: pass relay.WebSocket (e.g. from the 'ws' package)"));
    let ws: WebSocketLike;
    try {
      ws = new Ctor(this.opts.url);
    } catch (e) {
      return Promise.reject(new Error(`cannot open the relay WebSocket ${this.opts.url}: ${(e as Error)?.message ?? e}`));
    }
    ws.binaryType = "arraybuffer";
    return new Promise<DatagramSocket>((resolve, reject) => {
      const timer = setTimeout(() => {
        fail(`the relay ${this.opts.url} did not answer within ${this.opts.connectTimeoutMs ?? 10000} ms`);
      }, this.opts.connectTimeoutMs ?? 10000);
      const fail = (why: string) => {
        clearTimeout(timer);
        ws.onopen = ws.onclose = ws.onerror = null;
        try {
          ws.close();
        } catch {
          // not open
        }
        reject(new Error(why));
      };
      ws.onerror = () => undefined;
      ws.onclose = (ev) => fail(`the relay ${this.opts.url} refused the connection (${ev.code}${ev.reason ? ` ${ev.reason}` : ""}); check the URL and the relay's --origin list`);
      ws.onopen = () => {
        clearTimeout(timer);
        const s = new RelaySocket(ws, this.opts.maxBufferedBytes ?? 1 << 20);
        this.sockets.push(s);
        resolve(s);
      };
    });
  }

  /** No host candidates: a page can only be reached through its relay allocation. */
  localAddresses(): string[] {
    return [];
  }
}
