// Reads native/crypto/testdata/vectors.txt, shared with the C++ tests. Line
// format: `<op> <field>=<hex> ...`; `#` starts a comment line.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

export interface Vector {
  op: string;
  line: number;
  f: Record<string, string>;
}

export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));

/** Field k as bytes (empty when absent or empty). */
export const field = (v: Vector, k: string): Uint8Array => unhex(v.f[k] ?? "");

/** msg, repeated `repeat` times when the vector says so (one million 'a'). */
export function message(v: Vector): Uint8Array {
  const unit = field(v, "msg");
  const n = v.f.repeat ? Number(v.f.repeat) : 1;
  if (n === 1) return unit;
  const out = new Uint8Array(unit.length * n);
  for (let i = 0; i < n; i++) out.set(unit, i * unit.length);
  return out;
}

export function loadVectors(): Vector[] {
  const text = readFileSync(resolve(__dirname, "../../native/crypto/testdata/vectors.txt"), "utf8");
  const out: Vector[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim() || line.startsWith("#")) return;
    const [op, ...kv] = line.trim().split(/\s+/);
    const f: Record<string, string> = {};
    for (const p of kv) {
      const eq = p.indexOf("=");
      f[p.slice(0, eq)] = p.slice(eq + 1);
    }
    out.push({ op: op!, line: i + 1, f });
  });
  return out;
}

/** Every op the file must contain, so a truncated file cannot pass quietly. */
export const ALL_OPS = [
  "sha1", "sha256", "sha384", "md5", "hmac-sha1", "hmac-sha256", "hmac-sha384", "aes-128-gcm", "aes-256-gcm",
  "x25519", "x25519-iterate", "x25519-reject", "p256-ecdh", "p256-ecdh-reject", "p256-keypair",
  "ecdsa-p256-verify", "rsa-verify", "crc32", "crc32c",
];

export const HASH_ID: Record<string, number> = { sha1: 1, sha256: 2, sha384: 3, md5: 4 };
