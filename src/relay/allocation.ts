// One TURN allocation (RFC 8656 §2.2): a UDP socket of its own, permissions
// per peer IP (§9), channel bindings (§12) and a lifetime. It moves datagrams;
// the client session decides who may create and refresh it.
import type { NetAddress } from "../net/address.js";
import type { DatagramSocket, Transport } from "../net/transport.js";

export const PERMISSION_LIFETIME_MS = 300_000;  // RFC 8656 §9
export const CHANNEL_LIFETIME_MS = 600_000;  // RFC 8656 §12

export interface AllocationLimits {
  maxPermissions: number;
  maxChannels: number;
}

interface Channel {
  peer: NetAddress;
  peerKey: string;
  expires: number;
}

const key = (a: NetAddress) => `${a.ip}|${a.port}`;

export class Allocation {
  /** The relayed transport address the client announces. */
  relayed: NetAddress;
  expires: number;
  private readonly permissions = new Map<string, number>();
  private readonly channels = new Map<number, Channel>();
  private readonly channelByPeer = new Map<string, number>();
  private closed = false;
  onDatagram: ((data: Uint8Array, from: NetAddress) => void) | null = null;

  private constructor(private readonly socket: DatagramSocket, relayed: NetAddress, expires: number, private readonly limits: AllocationLimits) {
    this.relayed = relayed;
    this.expires = expires;
    socket.onDatagram = (data, from) => {
      if (this.closed || !this.onDatagram) return;
      // The frame built from it outlives the callback only as a copy (buildChannelData / StunBuilder copy).
      this.onDatagram(data, from);
    };
  }

  /** A fresh UDP socket of `transport` on `bindIp` (real UDP in the relay, a virtual host in tests); `externalIp` is what the client is told. */
  static async open(transport: Transport, bindIp: string, externalIp: string, expires: number, limits: AllocationLimits): Promise<Allocation> {
    const socket = await transport.bind({ ip: bindIp, port: 0, family: 4 });
    return new Allocation(socket, { family: 4, ip: externalIp, port: socket.local.port }, expires, limits);
  }

  hasPermission(ip: string, now: number): boolean {
    const e = this.permissions.get(ip);
    return e !== undefined && e > now;
  }

  /** Whether permissions for all of `ips` fit in the table (new ones need room, existing ones are refreshed). */
  canPermit(ips: string[], now: number): boolean {
    this.expire(now);
    const added = new Set(ips.filter((ip) => !this.permissions.has(ip))).size;
    return this.permissions.size + added <= this.limits.maxPermissions;
  }

  /** Installs or refreshes a permission; false when the table is full. */
  permit(ip: string, now: number): boolean {
    if (!this.canPermit([ip], now)) return false;
    this.permissions.set(ip, now + PERMISSION_LIFETIME_MS);
    return true;
  }

  /** RFC 8656 §12.2: a number is bound to one peer and a peer to one number. Changes nothing. */
  canBind(channel: number, peer: NetAddress, now: number): "ok" | "conflict" | "full" {
    this.expire(now);
    const k = key(peer);
    const existing = this.channels.get(channel);
    if (existing && existing.peerKey !== k) return "conflict";
    const other = this.channelByPeer.get(k);
    if (other !== undefined && other !== channel) return "conflict";
    if (!existing && this.channels.size >= this.limits.maxChannels) return "full";
    return "ok";
  }

  /** Binds or refreshes `channel` to `peer` when canBind allows it. */
  bindChannel(channel: number, peer: NetAddress, now: number): "ok" | "conflict" | "full" {
    const r = this.canBind(channel, peer, now);
    if (r !== "ok") return r;
    const k = key(peer);
    this.channels.set(channel, { peer, peerKey: k, expires: now + CHANNEL_LIFETIME_MS });
    this.channelByPeer.set(k, channel);
    return "ok";
  }

  channelPeer(channel: number, now: number): NetAddress | null {
    const c = this.channels.get(channel);
    return c && c.expires > now ? c.peer : null;
  }

  channelFor(peer: NetAddress, now: number): number | null {
    const ch = this.channelByPeer.get(key(peer));
    if (ch === undefined) return null;
    const c = this.channels.get(ch);
    return c && c.expires > now ? ch : null;
  }

  send(data: Uint8Array, to: NetAddress): void {
    if (!this.closed) this.socket.send(data, to);  // never throws (the transport counts its errors)
  }

  /** Drops expired permissions and channels. */
  expire(now: number): void {
    for (const [ip, e] of this.permissions) if (e <= now) this.permissions.delete(ip);
    for (const [n, c] of this.channels) {
      if (c.expires > now) continue;
      this.channels.delete(n);
      this.channelByPeer.delete(c.peerKey);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onDatagram = null;
    this.socket.close();
  }
}
