// Where the relay may send. By default only public unicast addresses: a relay
// on the Internet must not become a way into the network it runs in (RFC 8656
// §21.3, "TURN server as a proxy into a private network"). `allow` names
// ranges that are reachable anyway (tests allow 127.0.0.1/32).
import { BlockList, isIP } from "node:net";

/** Ranges refused unless allowed: not globally routable or not unicast. */
const REFUSED_V4: Array<[string, number, string]> = [
  ["0.0.0.0", 8, "unspecified / this network"],
  ["10.0.0.0", 8, "private (RFC 1918)"],
  ["100.64.0.0", 10, "shared address space (RFC 6598)"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local"],
  ["172.16.0.0", 12, "private (RFC 1918)"],
  ["192.0.0.0", 24, "IETF protocol assignments"],
  ["192.168.0.0", 16, "private (RFC 1918)"],
  ["198.18.0.0", 15, "benchmarking"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved / broadcast"],
];
const REFUSED_V6: Array<[string, number, string]> = [
  ["::", 128, "unspecified"],
  ["::1", 128, "loopback"],
  ["fc00::", 7, "unique local (fc00::/7)"],
  ["fe80::", 10, "link-local"],
  ["ff00::", 8, "multicast"],
  ["64:ff9b:1::", 48, "local-use NAT64"],
  ["100::", 64, "discard-only"],
];

export interface Cidr {
  ip: string;
  prefix: number;
  family: 4 | 6;
}

/** "a.b.c.d/n", "x::y/n", or a bare address (a single host). Null when malformed. */
export function parseCidr(text: string): Cidr | null {
  const [ip, p, extra] = text.trim().split("/");
  if (extra !== undefined || !ip) return null;
  const family = isIP(ip);
  if (family !== 4 && family !== 6) return null;
  const max = family === 4 ? 32 : 128;
  if (p !== undefined && !/^\d{1,3}$/.test(p)) return null;
  const prefix = p === undefined ? max : Number(p);
  if (prefix > max) return null;
  return { ip, prefix, family };
}

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is judged as the IPv4 address it carries. */
function unmap(ip: string): { ip: string; family: 4 | 6 } | null {
  const f = isIP(ip);
  if (f === 4) return { ip, family: 4 };
  if (f !== 6) return null;
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (m) return { ip: m[1]!, family: 4 };
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(ip);
  if (hex) {
    const a = parseInt(hex[1]!, 16);
    const b = parseInt(hex[2]!, 16);
    return { ip: `${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`, family: 4 };
  }
  return { ip, family: 6 };
}

export class AddressPolicy {
  private readonly refused = new BlockList();
  private readonly allowed = new BlockList();
  private readonly reasons: Array<{ list: BlockList; reason: string }> = [];
  private readonly own = new Set<string>();

  /** `allow`: CIDRs reachable despite the defaults; `ownAddresses`: the relay's own IPs (refused unless allowed). */
  constructor(allow: Cidr[] = [], ownAddresses: string[] = []) {
    for (const [ip, prefix, reason] of REFUSED_V4) this.refuse(ip, prefix, "ipv4", reason);
    for (const [ip, prefix, reason] of REFUSED_V6) this.refuse(ip, prefix, "ipv6", reason);
    for (const c of allow) this.allowed.addSubnet(c.ip, c.prefix, c.family === 4 ? "ipv4" : "ipv6");
    for (const ip of ownAddresses) {
      const u = unmap(ip);
      if (u) this.own.add(u.ip);
    }
  }

  private refuse(ip: string, prefix: number, type: "ipv4" | "ipv6", reason: string): void {
    this.refused.addSubnet(ip, prefix, type);
    const one = new BlockList();
    one.addSubnet(ip, prefix, type);
    this.reasons.push({ list: one, reason });
  }

  /** Null when the relay may send to `ip`, else why not. */
  check(ip: string): string | null {
    const u = unmap(ip);
    if (!u) return "not an IP address";
    const type = u.family === 4 ? "ipv4" : "ipv6";
    if (this.allowed.check(u.ip, type)) return null;
    if (this.own.has(u.ip)) return "the relay's own address";
    if (this.refused.check(u.ip, type)) {
      return this.reasons.find((r) => r.list.check(u.ip, type))?.reason ?? "refused range";
    }
    return null;
  }
}
