// A TURN-over-WebSocket client for the relay's tests: well-behaved when used
// as intended, and able to send whatever a hostile client would.
import { createHash, randomBytes } from "node:crypto";
import * as dgram from "node:dgram";
import { WebSocket, type ClientOptions } from "ws";
import type { NetAddress } from "../../src/net/address.js";
import {
  Attr, Class, Method, StunBuilder, attrValue, buildChannelData, checkIntegrity, findAttr, getString, getXorAddresses,
  looksLikeChannelData, parseChannelData, parseStun, type StunMessage,
} from "../../src/relay/stun.js";

export interface Closed {
  code: number;
  reason: string;
}

export class TurnWsClient {
  readonly closed: Promise<Closed>;
  closeInfo: Closed | null = null;
  private waiters = new Map<string, (m: StunMessage) => void>();
  private key: Uint8Array | null = null;
  private realm = "";
  private nonce = "";
  private username = "";
  relayed: NetAddress | null = null;
  onPeerData: ((data: Uint8Array, channel: number | null) => void) | null = null;
  received = 0;

  private constructor(readonly ws: WebSocket) {
    ws.binaryType = "nodebuffer";
    this.closed = new Promise((resolve) => ws.on("close", (code, reason) => {
      this.closeInfo = { code, reason: reason.toString() };
      resolve(this.closeInfo);
    }));
    ws.on("error", () => undefined);
    ws.on("message", (raw: Buffer) => {
      const b = new Uint8Array(raw);
      this.received++;
      if (looksLikeChannelData(b)) {
        const cd = parseChannelData(b);
        if (cd) this.onPeerData?.(cd.data, cd.channel);
        return;
      }
      const r = parseStun(b);
      if (!r.ok) return;
      const m = r.message;
      if (m.cls === Class.Indication && m.method === Method.Data) {
        const d = findAttr(m, Attr.Data);
        if (d) this.onPeerData?.(attrValue(m, d), null);
        return;
      }
      const id = Buffer.from(m.transactionId).toString("hex");
      this.waiters.get(id)?.(m);
      this.waiters.delete(id);
    });
  }

  static connect(url: string, headers: Record<string, string> = {}, options: ClientOptions = {}): Promise<TurnWsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers, perMessageDeflate: false, ...options });
      ws.once("open", () => resolve(new TurnWsClient(ws)));
      ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once("error", reject);
    });
  }

  send(bytes: Uint8Array): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(bytes);
  }

  /** Sends a request and waits for its response (or null after `ms`). */
  request(method: number, add: (b: StunBuilder) => void, sign = true, ms = 3000): Promise<StunMessage | null> {
    return this.exchange(this.build(method, add, { sign }), ms);
  }

  /** A request's bytes, signed with the client's credential when it has one; `nonce` replaces the server's. */
  build(method: number, add: (b: StunBuilder) => void, opts: { sign?: boolean; nonce?: string } = {}): Uint8Array {
    const sign = opts.sign ?? true;
    const b = new StunBuilder(method, Class.Request, randomBytes(12));
    add(b);
    if (sign && this.key) {
      b.addString(Attr.Username, this.username).addString(Attr.Realm, this.realm).addString(Attr.Nonce, opts.nonce ?? this.nonce);
    }
    return b.build(sign && this.key ? this.key : undefined);
  }

  /** Sends a message and waits for the response with its transaction id (or null after `ms`). */
  exchange(bytes: Uint8Array, ms = 3000): Promise<StunMessage | null> {
    return new Promise((resolve) => {
      const id = Buffer.from(bytes.subarray(8, 20)).toString("hex");
      const t = setTimeout(() => {
        this.waiters.delete(id);
        resolve(null);
      }, ms);
      this.waiters.set(id, (m) => {
        clearTimeout(t);
        resolve(m);
      });
      this.send(bytes);
    });
  }

  static errorOf(m: StunMessage | null): { code: number; reason: string } | null {
    if (!m || m.cls !== Class.Error) return null;
    const a = findAttr(m, Attr.ErrorCode)!;
    const v = attrValue(m, a);
    return { code: v[2]! * 100 + v[3]!, reason: new TextDecoder().decode(v.subarray(4)) };
  }

  /** Takes realm and nonce from a 401 and signs with `username` from now on. */
  private learn(challenge: StunMessage, username: string, password: string): void {
    this.realm = getString(challenge, Attr.Realm) ?? "";
    this.nonce = getString(challenge, Attr.Nonce) ?? "";
    this.useCredential(username, password);
  }

  /** Signs the next requests with another credential (same realm and nonce). */
  useCredential(username: string, password: string): void {
    this.username = username;
    this.key = createHash("md5").update(`${username}:${this.realm}:${password}`).digest();
  }

  /** Whether `m` carries a MESSAGE-INTEGRITY made with this client's key. */
  signedByServer(m: StunMessage): boolean {
    return this.key !== null && checkIntegrity(m, this.key);
  }

  /** The 401 dance without allocating (an unsigned Refresh gets the challenge); returns the 401. */
  async login(username: string, password: string): Promise<StunMessage | null> {
    const first = await this.request(Method.Refresh, () => undefined, false);
    if (TurnWsClient.errorOf(first)?.code === 401) this.learn(first!, username, password);
    return first;
  }

  /** The 401 dance and an Allocate; returns the final response. */
  async allocate(username: string, password: string, lifetime?: number): Promise<StunMessage | null> {
    const first = await this.request(Method.Allocate, (b) => b.addU32(Attr.RequestedTransport, 17 << 24), false);
    const err = TurnWsClient.errorOf(first);
    if (!first || !err || err.code !== 401) return first;
    this.learn(first, username, password);
    const res = await this.request(Method.Allocate, (b) => {
      b.addU32(Attr.RequestedTransport, 17 << 24);
      if (lifetime !== undefined) b.addU32(Attr.Lifetime, lifetime);
    });
    if (res && res.cls === Class.Success) this.relayed = getXorAddresses(res, Attr.XorRelayedAddress)![0]!;
    return res;
  }

  permit(...peers: NetAddress[]): Promise<StunMessage | null> {
    return this.request(Method.CreatePermission, (b) => peers.forEach((p) => b.addXorAddress(Attr.XorPeerAddress, p)));
  }

  bindChannel(channel: number, peer: NetAddress): Promise<StunMessage | null> {
    return this.request(Method.ChannelBind, (b) => {
      const c = new Uint8Array(4);
      new DataView(c.buffer).setUint16(0, channel);
      b.add(Attr.ChannelNumber, c).addXorAddress(Attr.XorPeerAddress, peer);
    });
  }

  sendChannel(channel: number, data: Uint8Array): void {
    this.send(buildChannelData(channel, data));
  }

  sendIndication(peer: NetAddress, data: Uint8Array): void {
    this.send(new StunBuilder(Method.Send, Class.Indication, randomBytes(12)).addXorAddress(Attr.XorPeerAddress, peer).add(Attr.Data, data).build());
  }

  close(): void {
    this.ws.close();
  }
}

/** A UDP socket on 127.0.0.x that counts what it gets and optionally echoes it. */
export async function udpPeer(ip = "127.0.0.1", echo = true): Promise<{ address: NetAddress; count: () => number; close: () => void; socket: dgram.Socket }> {
  const s = dgram.createSocket({ type: "udp4", recvBufferSize: 4 << 20 });
  let n = 0;
  s.on("message", (m, r) => {
    n++;
    if (echo) s.send(m, r.port, r.address);
  });
  s.on("error", () => undefined);
  await new Promise<void>((r) => s.bind(0, ip, () => r()));
  return { address: { family: 4, ip, port: s.address().port }, count: () => n, close: () => s.close(), socket: s };
}

export interface RateReport {
  sent: number;
  echoed: number;
  /** Datagrams per second the client asked for and what came back. */
  askedRate: number;
  echoRate: number;
  p99Ms: number;
}

/**
 * The well-behaved client: an allocation, a channel to a UDP echo peer, `rate`
 * datagrams of 1000 bytes per second; reports what came back while `during` ran.
 */
export async function wellBehaved(url: string, username: string, password: string, rate = 200) {
  const c = await TurnWsClient.connect(url);
  const res = await c.allocate(username, password);
  if (!res || res.cls !== Class.Success) throw new Error(`good client: allocation failed ${JSON.stringify(TurnWsClient.errorOf(res))}`);
  const echo = await udpPeer();
  const bound = await c.bindChannel(0x4001, echo.address);
  if (!bound || bound.cls !== Class.Success) throw new Error("good client: ChannelBind failed");
  const sentAt = new Map<number, number>();
  let rtts: number[] = [];
  let seq = 0;  // continues across runs, so a late echo from an earlier run never matches
  c.onPeerData = (d) => {
    const seq = new DataView(d.buffer, d.byteOffset, 4).getUint32(0);
    const t = sentAt.get(seq);
    if (t !== undefined) {
      rtts.push(performance.now() - t);
      sentAt.delete(seq);
    }
  };
  return {
    client: c,
    async run<T>(during: () => Promise<T>): Promise<{ report: RateReport; result: T }> {
      rtts = [];
      sentAt.clear();
      const first = seq;
      const payload = new Uint8Array(1000);
      const t0 = performance.now();
      const interval = 1000 / rate;
      let stop = false;
      const sender = (async () => {
        while (!stop) {
          const due = first + Math.floor((performance.now() - t0) / interval);
          while (seq < due) {
            new DataView(payload.buffer).setUint32(0, seq);
            sentAt.set(seq, performance.now());
            c.sendChannel(0x4001, payload);
            seq++;
          }
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const result = await during();
      stop = true;
      await sender;
      const elapsed = (performance.now() - t0) / 1000;
      await new Promise((r) => setTimeout(r, 300));  // the last echoes
      rtts.sort((a, b) => a - b);
      const report: RateReport = {
        sent: seq - first,
        echoed: rtts.length,
        askedRate: (seq - first) / elapsed,
        echoRate: rtts.length / elapsed,
        p99Ms: rtts.length ? rtts[Math.floor(rtts.length * 0.99)]! : NaN,
      };
      return { report, result };
    },
    close() {
      c.close();
      echo.close();
    },
  };
}
