// Transport addresses as plain values.
export interface NetAddress {
  family: 4 | 6;
  ip: string;
  port: number;
}

/** "1.2.3.4:5" or "[::1]:5". */
export function formatAddress(a: NetAddress): string {
  return a.family === 6 ? `[${a.ip}]:${a.port}` : `${a.ip}:${a.port}`;
}

/** Parses "1.2.3.4:5" / "[::1]:5"; null when malformed. */
export function parseAddress(text: string): NetAddress | null {
  const m6 = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(text);
  const m4 = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(text);
  const m = m6 ?? m4;
  if (!m) return null;
  const port = Number(m[2]);
  if (port > 65535) return null;
  if (m4 && m[1]!.split(".").some((p) => Number(p) > 255)) return null;
  return { family: m6 ? 6 : 4, ip: m[1]!.toLowerCase(), port };
}

export const ipFamily = (ip: string): 4 | 6 | 0 =>
  /^\d{1,3}(\.\d{1,3}){3}$/.test(ip) ? 4 : /^[0-9a-fA-F:.]+$/.test(ip) && ip.includes(":") ? 6 : 0;

export const sameAddress = (a: NetAddress, b: NetAddress): boolean =>
  a.family === b.family && a.port === b.port && a.ip === b.ip;

/** A compact key for maps. */
export const addressKey = (a: NetAddress): string => `${a.family}|${a.ip}|${a.port}`;
