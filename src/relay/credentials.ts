// Time-limited relay credentials, the TURN REST API convention
// (draft-uberti-behave-turn-rest): username "expiry:user" (expiry in Unix
// seconds), password base64(HMAC-SHA1(secret, username)). The application's
// backend hands them to a page; the relay derives the password from the
// username with the shared secret, so it keeps no user database.
import { hmac } from "@noble/hashes/hmac";
import { md5, sha1 } from "@noble/hashes/legacy";

const utf8 = (s: string) => new TextEncoder().encode(s);
const base64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));

export interface RelayCredentials {
  username: string;
  credential: string;
  /** Unix seconds after which the relay refuses the username. */
  expires: number;
}

const MAX_USERNAME = 256;

export function relayPassword(secret: string, username: string): string {
  return base64(hmac(sha1, utf8(secret), utf8(username)));
}

/** Credentials for `user` valid for `ttlSeconds` (default one day). */
export function createRelayCredentials(secret: string, user: string, ttlSeconds = 86400, nowMs = Date.now()): RelayCredentials {
  if (!secret) throw new TypeError("createRelayCredentials: the secret must not be empty");
  if (/[:\s]/.test(user) || user.length > 200) throw new TypeError("createRelayCredentials: user must be ≤ 200 characters without ':' or spaces");
  const expires = Math.floor(nowMs / 1000) + Math.max(1, Math.floor(ttlSeconds));
  const username = `${expires}:${user}`;
  return { username, credential: relayPassword(secret, username), expires };
}

export type UsernameCheck = { ok: true; user: string; password: string } | { ok: false; reason: string };

/** What the relay checks before it computes a key: the shape and the expiry. */
export function checkRelayUsername(secret: string, username: string, nowMs = Date.now()): UsernameCheck {
  if (username.length === 0 || username.length > MAX_USERNAME) return { ok: false, reason: "malformed username" };
  const m = /^(\d{1,12}):([^:\s]{0,200})$/.exec(username);
  if (!m) return { ok: false, reason: "username is not 'expiry:user'" };
  if (Number(m[1]) * 1000 <= nowMs) return { ok: false, reason: "credentials expired" };
  return { ok: true, user: m[2]!, password: relayPassword(secret, username) };
}

/** The long-term credential key (RFC 8489 §9.2.2): MD5(username ":" realm ":" password). */
export function longTermKey(username: string, realm: string, password: string): Uint8Array {
  return md5(utf8(`${username}:${realm}:${password}`));
}
