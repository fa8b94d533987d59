// One WebSocket client of the relay: TURN (RFC 8656) over message frames, one
// frame per STUN message or ChannelData. Authentication comes before anything
// is allocated; every request after it carries the same long-term credential.
import type { NetAddress } from "../net/address.js";
import type { Transport } from "../net/transport.js";
import { Allocation } from "./allocation.js";
import { checkRelayUsername, longTermKey } from "./credentials.js";
import type { ResolvedRelayOptions } from "./options.js";
import { DatagramQuota, TokenBucket, takeAll } from "./rate-limit.js";
import {
  Attr, Class, Method, StunBuilder, attrValue, buildChannelData, checkIntegrity, findAttr, getString, getU32,
  getXorAddresses, looksLikeChannelData, parseChannelData, parseStun, unknownRequired, type StunMessage,
} from "./stun.js";
import type { RelayStats } from "./stats.js";

/** Where the relay may send: null when allowed, else why not (AddressPolicy in the relay). */
export interface DestinationPolicy {
  check(ip: string): string | null;
}

/** What a session needs from its server: shared policy, quotas, counters, sockets, time, randomness and the allocation registry. */
export interface SessionHost {
  readonly options: ResolvedRelayOptions;
  readonly policy: DestinationPolicy;
  readonly stats: RelayStats;
  readonly totalQuota: DatagramQuota;
  /** Where allocations get their UDP sockets. */
  readonly udp: Transport;
  /** Monotonic milliseconds (lifetimes, quotas). */
  now(): number;
  /** Unix milliseconds (credential expiry). */
  wallClock(): number;
  randomBytes(n: number): Uint8Array;
  /** Reserves an allocation slot for `user`; null when the server or the user is at its cap (with the TURN error). */
  reserveAllocation(user: string): null | { code: number; reason: string };
  releaseAllocation(user: string): void;
}

/** The part of a WebSocket a session uses (ws on the server). */
export interface FrameSocket {
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code: number, reason: string): void;
}

const UDP = 17;
const MIN_CHANNEL = 0x4000;
const MAX_CHANNEL = 0x4fff;  // RFC 8656 §12
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const MAX_CLOSE_REASON = 123;  // bytes of UTF-8 (RFC 6455 §5.5: a control frame's payload is at most 125, 2 are the code)

/** The reason cut to what a close frame holds, at a character boundary (ws throws on a longer one). */
function closeReason(reason: string): string {
  let out = reason.slice(0, MAX_CLOSE_REASON);
  const bytes = (x: string) => new TextEncoder().encode(x).length;
  while (bytes(out) > MAX_CLOSE_REASON || /[\uD800-\uDBFF]$/.test(out)) out = out.slice(0, -1);
  return out || "closed";
}

export class RelaySession {
  lastFrameAt: number;
  readonly openedAt: number;
  private readonly nonce: string;
  private user = "";
  private username = "";
  private key: Uint8Array | null = null;
  private authFailures = 0;
  private allocation: Allocation | null = null;
  private allocating: Uint8Array | null = null;
  private allocationResponse: { tid: string; bytes: Uint8Array } | null = null;
  private readonly quota: DatagramQuota;
  private readonly preAuth: TokenBucket;
  private closed = false;

  constructor(private readonly host: SessionHost, private readonly ws: FrameSocket, readonly remote: NetAddress) {
    this.nonce = hex(host.randomBytes(12));
    const now = host.now();
    this.lastFrameAt = now;
    this.openedAt = now;
    const q = host.options.allocationQuota;
    this.quota = new DatagramQuota(q.datagramsPerSecond, q.bytesPerSecond, () => host.now());
    this.preAuth = new TokenBucket(host.options.unauthenticatedFramesPerSecond, () => host.now());
  }

  get hasAllocation(): boolean {
    return this.allocation !== null;
  }

  /** One WebSocket message. Never throws: anything unexpected closes this client only. */
  onFrame(data: Uint8Array, isBinary: boolean): void {
    if (this.closed) return;
    const s = this.host.stats;
    s.framesIn++;
    this.lastFrameAt = this.host.now();
    try {
      if (!isBinary) return this.close(1003, "text frame: the relay speaks TURN in binary frames");
      if (!this.allocation && !this.preAuth.take(1)) {
        s.closedForRate++;
        return this.close(1008, "too many frames before authentication");
      }
      if (looksLikeChannelData(data)) return this.onChannelData(data);
      const r = parseStun(data);
      if (!r.ok) {
        s.malformedFrames++;
        return this.close(1002, `malformed TURN message: ${r.reason}`);
      }
      this.onStun(r.message);
    } catch (e) {
      this.internalError(e);
    }
  }

  private internalError(e: unknown): void {
    this.host.stats.internalErrors++;
    this.host.options.log(`relay: internal error for ${this.remote.ip}:${this.remote.port}: ${(e as Error)?.stack ?? e}`);
    this.close(1011, "internal error");
  }

  private onChannelData(data: Uint8Array): void {
    const cd = parseChannelData(data);
    if (!cd || cd.channel < MIN_CHANNEL || cd.channel > MAX_CHANNEL) {
      this.host.stats.malformedFrames++;
      return this.close(1002, "malformed ChannelData: bad channel number or length");
    }
    const alloc = this.allocation;
    const peer = alloc?.channelPeer(cd.channel, this.host.now());
    if (!alloc || !peer) {
      this.host.stats.droppedNoPermission++;
      return;
    }
    this.toPeer(alloc, cd.data, peer);
  }

  private onStun(m: StunMessage): void {
    if (m.cls === Class.Indication) {
      if (m.method === Method.Send) this.onSend(m);
      return;  // other indications are ignored (RFC 8489 §6.3.2)
    }
    if (m.cls !== Class.Request) return;  // responses from a client mean nothing here
    if (m.method === Method.Binding) {
      this.reply(new StunBuilder(Method.Binding, Class.Success, m.transactionId).addXorAddress(Attr.XorMappedAddress, this.remote).build());
      return;
    }
    const known = [Method.Allocate, Method.Refresh, Method.CreatePermission, Method.ChannelBind] as number[];
    if (!known.includes(m.method)) return this.error(m, 400, "Bad Request: unknown method", false);
    const unknown = unknownRequired(m);
    if (unknown.length) {
      const b = new Uint8Array(unknown.length * 2);
      unknown.forEach((t, i) => new DataView(b.buffer).setUint16(i * 2, t));
      const res = new StunBuilder(m.method, Class.Error, m.transactionId).addError(420, "Unknown Attribute").add(Attr.UnknownAttributes, b);
      this.reply(res.build(this.key ?? undefined));
      return;
    }
    if (!this.authenticate(m)) return;
    switch (m.method) {
      case Method.Allocate:
        // The answer comes after the socket is bound, outside onFrame's try: its errors are caught here.
        return void this.onAllocate(m).catch((e) => this.internalError(e));
      case Method.Refresh:
        return this.onRefresh(m);
      case Method.CreatePermission:
        return this.onCreatePermission(m);
      default:
        return this.onChannelBind(m);
    }
  }

  /** RFC 8489 §9.2.4: 401 with realm and nonce, 438 for a stale nonce, then the key must verify. */
  private authenticate(m: StunMessage): boolean {
    const o = this.host.options;
    const challenge = (code: number, reason: string) => {
      this.reply(new StunBuilder(m.method, Class.Error, m.transactionId).addError(code, reason)
        .addString(Attr.Realm, o.realm).addString(Attr.Nonce, this.nonce).build());
    };
    if (!findAttr(m, Attr.MessageIntegrity)) {
      challenge(401, "Unauthorized");
      return false;
    }
    const username = getString(m, Attr.Username, 513);
    const realm = getString(m, Attr.Realm);
    const nonce = getString(m, Attr.Nonce);
    if (username === null || realm === null || nonce === null) {
      this.error(m, 400, "Bad Request: USERNAME, REALM and NONCE are required", false);
      return false;
    }
    if (nonce !== this.nonce || realm !== o.realm) {
      challenge(438, "Stale Nonce");
      return false;
    }
    if (this.key && username !== this.username) {
      this.error(m, 441, "Wrong Credentials", false);
      return false;
    }
    const u = checkRelayUsername(o.secret, username, this.host.wallClock());
    const key = u.ok ? (this.key && username === this.username ? this.key : longTermKey(username, realm, u.password)) : null;
    if (!u.ok || !key || !checkIntegrity(m, key)) {
      this.host.stats.authFailures++;
      const why = u.ok ? "wrong credential" : u.reason;
      o.log(`relay: authentication failed for ${this.remote.ip}:${this.remote.port}: ${why}`);
      if (++this.authFailures >= o.maxAuthFailures) {
        this.close(1008, `authentication failed: ${why}`);
        return false;
      }
      challenge(401, `Unauthorized: ${why}`);
      return false;
    }
    this.username = username;
    this.user = u.user;
    this.key = key;
    return true;
  }

  private error(m: StunMessage, code: number, reason: string, signed = true): void {
    this.reply(new StunBuilder(m.method, Class.Error, m.transactionId).addError(code, reason).build(signed && this.key ? this.key : undefined));
  }

  private success(m: StunMessage, add?: (b: StunBuilder) => void): void {
    const b = new StunBuilder(m.method, Class.Success, m.transactionId);
    add?.(b);
    this.reply(b.build(this.key!));
  }

  /**
   * RFC 8656 §7.2 (Allocate) and §8.2 (Refresh): MIN(requested, maximum) when
   * that is more than the default, else the default; 0 (delete) is kept for
   * Refresh. A client cannot ask for less than the default.
   */
  private lifetimeSeconds(m: StunMessage): number {
    const o = this.host.options;
    const asked = getU32(m, Attr.Lifetime);
    if (asked === 0) return 0;
    const desired = asked === null ? 0 : Math.min(asked, o.maxLifetimeSeconds);
    return desired > o.defaultLifetimeSeconds ? desired : o.defaultLifetimeSeconds;
  }

  private async onAllocate(m: StunMessage): Promise<void> {
    const tid = hex(m.transactionId);
    if (this.allocation) {
      // A retransmitted Allocate gets the same answer (RFC 8656 §7.2 step 2); another one is a mismatch.
      if (this.allocationResponse?.tid === tid) this.reply(this.allocationResponse.bytes);
      else this.error(m, 437, "Allocation Mismatch");
      return;
    }
    if (this.allocating) return;  // still binding the socket: the retransmission is answered when it is done
    const transport = findAttr(m, Attr.RequestedTransport);
    if (!transport || transport.length !== 4) return this.error(m, 400, "Bad Request: REQUESTED-TRANSPORT missing");
    if (attrValue(m, transport)[0] !== UDP) return this.error(m, 442, "Unsupported Transport Protocol");
    const family = findAttr(m, Attr.RequestedAddressFamily);
    if (family && attrValue(m, family)[0] !== 1) return this.error(m, 440, "Address Family not Supported");
    if (findAttr(m, Attr.EvenPort) || findAttr(m, Attr.ReservationToken) || findAttr(m, Attr.DontFragment)) {
      return this.error(m, 420, "Unknown Attribute");
    }
    const refused = this.host.reserveAllocation(this.user);
    if (refused) return this.error(m, refused.code, refused.reason);
    const o = this.host.options;
    const lifetime = Math.max(1, this.lifetimeSeconds(m) || o.defaultLifetimeSeconds);  // LIFETIME 0 means nothing to Allocate
    this.allocating = m.transactionId;
    let alloc: Allocation;
    try {
      alloc = await Allocation.open(this.host.udp, o.relayIp, o.externalIp, this.host.now() + lifetime * 1000,
        { maxPermissions: o.maxPermissionsPerAllocation, maxChannels: o.maxChannelsPerAllocation });
    } catch (e) {
      this.allocating = null;
      this.host.releaseAllocation(this.user);
      o.log(`relay: cannot bind a relay socket: ${(e as Error)?.message}`);
      return this.error(m, 508, "Insufficient Capacity");
    }
    this.allocating = null;
    if (this.closed) {
      alloc.close();
      this.host.releaseAllocation(this.user);
      return;
    }
    this.allocation = alloc;
    this.host.stats.allocationsCreated++;
    alloc.onDatagram = (data, from) => this.fromPeer(alloc, data, from);
    const b = new StunBuilder(m.method, Class.Success, m.transactionId)
      .addXorAddress(Attr.XorRelayedAddress, alloc.relayed)
      .addXorAddress(Attr.XorMappedAddress, this.remote)
      .addU32(Attr.Lifetime, lifetime);
    const bytes = b.build(this.key!);
    this.allocationResponse = { tid, bytes };
    this.reply(bytes);
  }

  private onRefresh(m: StunMessage): void {
    const alloc = this.allocation;
    if (!alloc) return this.error(m, 437, "Allocation Mismatch");
    const lifetime = this.lifetimeSeconds(m);
    if (lifetime === 0) {
      this.success(m, (b) => b.addU32(Attr.Lifetime, 0));
      this.dropAllocation();
      return;
    }
    alloc.expires = this.host.now() + lifetime * 1000;
    this.success(m, (b) => b.addU32(Attr.Lifetime, lifetime));
  }

  private peersOf(m: StunMessage): NetAddress[] | null {
    const peers = getXorAddresses(m, Attr.XorPeerAddress);
    if (!peers || peers.length === 0) {
      this.error(m, 400, "Bad Request: XOR-PEER-ADDRESS missing or malformed");
      return null;
    }
    if (peers.some((p) => p.family !== 4)) {
      this.error(m, 443, "Peer Address Family Mismatch");
      return null;
    }
    for (const p of peers) {
      const why = this.host.policy.check(p.ip);
      if (why) {
        this.host.stats.forbiddenPeers++;
        this.host.options.log(`relay: ${this.remote.ip}:${this.remote.port} asked for ${p.ip} (${why}): refused`);
        this.error(m, 403, `Forbidden: ${why}`);
        return null;
      }
    }
    return peers;
  }

  private onCreatePermission(m: StunMessage): void {
    const alloc = this.allocation;
    if (!alloc) return this.error(m, 437, "Allocation Mismatch");
    const peers = this.peersOf(m);
    if (!peers) return;
    const now = this.host.now();
    // RFC 8656 §10.2: the request is satisfied or refused as a whole, so a 508 installs nothing.
    if (!alloc.canPermit(peers.map((p) => p.ip), now)) return this.error(m, 508, "Insufficient Capacity: too many permissions");
    for (const p of peers) alloc.permit(p.ip, now);
    this.success(m);
  }

  private onChannelBind(m: StunMessage): void {
    const alloc = this.allocation;
    if (!alloc) return this.error(m, 437, "Allocation Mismatch");
    const ch = findAttr(m, Attr.ChannelNumber);
    const number = ch && ch.length === 4 ? new DataView(m.bytes.buffer, m.bytes.byteOffset + ch.offset, 2).getUint16(0) : -1;
    if (number < MIN_CHANNEL || number > MAX_CHANNEL) return this.error(m, 400, "Bad Request: channel number out of range");
    const peers = this.peersOf(m);
    if (!peers) return;
    if (peers.length !== 1) return this.error(m, 400, "Bad Request: one XOR-PEER-ADDRESS");
    const now = this.host.now();
    // RFC 8656 §12.2: a refused ChannelBind changes nothing, so both tables are checked before either changes.
    const peer = peers[0]!;
    const r = alloc.canBind(number, peer, now);
    if (r === "conflict") return this.error(m, 400, "Bad Request: channel or peer already bound elsewhere");
    if (r === "full") return this.error(m, 508, "Insufficient Capacity: too many channels");
    if (!alloc.canPermit([peer.ip], now)) return this.error(m, 508, "Insufficient Capacity: too many permissions");
    alloc.bindChannel(number, peer, now);
    alloc.permit(peer.ip, now);
    this.success(m);
  }

  private onSend(m: StunMessage): void {
    const alloc = this.allocation;
    const peers = getXorAddresses(m, Attr.XorPeerAddress);
    const data = findAttr(m, Attr.Data);
    if (!alloc || !peers || peers.length !== 1 || !data) {
      this.host.stats.droppedNoPermission++;
      return;
    }
    this.toPeer(alloc, attrValue(m, data), peers[0]!);
  }

  /** Client → peer: size, permission, quotas. */
  private toPeer(alloc: Allocation, data: Uint8Array, peer: NetAddress): void {
    const s = this.host.stats;
    if (data.length > this.host.options.maxDatagramBytes) {
      s.droppedOversize++;
      return;
    }
    if (!alloc.hasPermission(peer.ip, this.host.now())) {
      s.droppedNoPermission++;
      return;
    }
    if (!takeAll([this.quota, this.host.totalQuota], data.length)) {
      s.droppedQuota++;
      return;
    }
    s.datagramsToPeers++;
    s.bytesToPeers += data.length;
    alloc.send(data, peer);
  }

  /** Peer → client: permission, size, quotas, then the client's buffer. */
  private fromPeer(alloc: Allocation, data: Uint8Array, from: NetAddress): void {
    if (this.closed) return;
    const s = this.host.stats;
    const now = this.host.now();
    if (!alloc.hasPermission(from.ip, now)) {
      s.droppedNoPermission++;
      return;
    }
    if (data.length > this.host.options.maxDatagramBytes) {
      s.droppedOversize++;
      return;
    }
    if (!takeAll([this.quota, this.host.totalQuota], data.length)) {
      s.droppedQuota++;
      return;
    }
    const queued = this.ws.bufferedAmount;
    if (queued > this.host.options.clientBufferBytes) {
      s.droppedSlowClient++;
      return;
    }
    if (queued > s.maxClientBufferedBytes) s.maxClientBufferedBytes = queued;
    const ch = alloc.channelFor(from, now);
    const frame = ch !== null
      ? buildChannelData(ch, data)
      : new StunBuilder(Method.Data, Class.Indication, this.host.randomBytes(12)).addXorAddress(Attr.XorPeerAddress, from).add(Attr.Data, data).build();
    s.datagramsFromPeers++;
    s.bytesFromPeers += data.length;
    this.ws.send(frame);
  }

  private reply(bytes: Uint8Array): void {
    if (!this.closed) this.ws.send(bytes);
  }

  /** Called by the server's sweep: lifetimes, idleness, authentication deadline. */
  sweep(now: number): void {
    if (this.closed) return;
    const o = this.host.options;
    if (now - this.lastFrameAt > o.idleTimeoutMs) {
      this.host.stats.closedIdle++;
      return this.close(1000, `idle: no frame for ${Math.round(o.idleTimeoutMs / 1000)} s`);
    }
    const a = this.allocation;
    if (!a && !this.allocating && now - this.openedAt > o.authTimeoutMs) {
      this.host.stats.closedUnauthenticated++;
      return this.close(1008, `no allocation within ${Math.round(o.authTimeoutMs / 1000)} s`);
    }
    if (a && a.expires <= now) {
      this.host.stats.allocationsExpired++;
      this.dropAllocation();
      return this.close(1000, "allocation expired (no Refresh)");
    }
    a?.expire(now);
  }

  private dropAllocation(): void {
    if (!this.allocation) return;
    this.allocation.close();
    this.allocation = null;
    this.host.releaseAllocation(this.user);
  }

  /** Closes the WebSocket with a code and a reason the client can show. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.dropAllocation();
    try {
      this.ws.close(code, closeReason(reason));
    } catch {
      // the socket is already gone
    }
  }

  /** The WebSocket closed from the other side. */
  ended(): void {
    if (this.closed) return;
    this.closed = true;
    this.dropAllocation();
  }
}
