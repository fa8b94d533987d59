// One TURN allocation (RFC 8656 §2.2): a UDP socket of its own, permissions
// per peer IP (§9), channel bindings (§12) and a lifetime. It moves datagrams;
// the client session decides who may create and refresh it.
import * as dgram from "node:dgram";
import type { NetAddress } from "../net/address.js";

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
  onDatagram: ((data: Buffer, from: NetAddress) => void) | null = null;
  sendErrors = 0;

  private constructor(private readonly socket: dgram.Socket, relayed: NetAddress, expires: number, private readonly limits: AllocationLimits) {
    this.relayed = relayed;
    this.expires = expires;
    socket.on("message", (msg, rinfo) => {
      if (this.closed || !this.onDatagram) return;
      this.onDatagram(msg, { family: rinfo.family === "IPv6" ? 6 : 4, ip: rinfo.address, port: rinfo.port });
    });
    socket.on("error", () => {
      this.sendErrors++;
    });
  }

  /** Binds a fresh UDP socket on `bindIp`; `externalIp` is what the client is told. */
  static async open(bindIp: string, externalIp: string, expires: number, limits: AllocationLimits, bufferBytes: number): Promise<Allocation> {
    const socket = dgram.createSocket({ type: "udp4", recvBufferSize: bufferBytes, sendBufferSize: bufferBytes });
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, bindIp, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    const port = socket.address().port;
    return new Allocation(socket, { family: 4, ip: externalIp, port }, expires, limits);
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
    if (this.closed) return;
    try {
      this.socket.send(data, to.port, to.ip, (err) => {
        if (err) this.sendErrors++;
      });
    } catch {
      this.sendErrors++;
    }
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
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}
