// Run by Deno (deno-aead.test.ts): the OpenSSL-over-FFI AES-GCM provider on the
// published vectors, on forged records, and against Deno's node:crypto on
// random records of every size a record can have.
import { readFileSync } from "node:fs";
import { DenoOpenSslCryptoProvider, NodeCryptoProvider } from "../../dist/index.js";

const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const unhex = (s) => new Uint8Array((s.match(/../g) ?? []).map((h) => parseInt(h, 16)));
const p = DenoOpenSslCryptoProvider.tryCreate();
const out = { available: !!p, name: p?.name, vectors: 0, failures: [], forgedRefused: 0, randomAgree: 0 };
if (p) {
  const text = readFileSync(new URL("../../native/crypto/testdata/vectors.txt", import.meta.url), "utf8");
  for (const line of text.split("\n")) {
    const [op, ...kv] = line.trim().split(/\s+/);
    if (op !== "aes-128-gcm" && op !== "aes-256-gcm") continue;
    const f = Object.fromEntries(kv.map((x) => [x.slice(0, x.indexOf("=")), x.slice(x.indexOf("=") + 1)]));
    const key = p.aeadKeyNew(op, unhex(f.key));
    const sealed = p.aeadSeal(key, unhex(f.iv), unhex(f.aad), unhex(f.pt));
    const opened = p.aeadOpen(key, unhex(f.iv), unhex(f.aad), unhex(f.ct));
    out.vectors++;
    if (hex(sealed) !== f.ct || hex(opened) !== f.pt) out.failures.push(line.slice(0, 80));
    const bad = unhex(f.ct);
    bad[bad.length - 1] ^= 1;
    const o = new Uint8Array(bad.length - 16).fill(0xaa);
    if (!p.aeadOpenInto(key, unhex(f.iv), unhex(f.aad), bad, o) && o.every((b) => b === 0)) out.forgedRefused++;
    p.aeadKeyFree(key);
  }
  const n = new NodeCryptoProvider();
  for (let i = 0; i < 200; i++) {
    const alg = i % 2 ? "aes-128-gcm" : "aes-256-gcm";
    const key = crypto.getRandomValues(new Uint8Array(alg === "aes-128-gcm" ? 16 : 32));
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const aad = crypto.getRandomValues(new Uint8Array(i % 14));
    const pt = crypto.getRandomValues(new Uint8Array((i * 97) % 1500));
    const a = p.aeadKeyNew(alg, key), b = n.aeadKeyNew(alg, key);
    const s1 = p.aeadSeal(a, iv, aad, pt), s2 = n.aeadSeal(b, iv, aad, pt);
    if (hex(s1) === hex(s2) && hex(n.aeadOpen(b, iv, aad, s1)) === hex(pt) && hex(p.aeadOpen(a, iv, aad, s2)) === hex(pt)) out.randomAgree++;
    p.aeadKeyFree(a);
  }
}
console.log(JSON.stringify(out));
