// The published vectors against both TypeScript providers, cross-provider
// agreement, and the same vectors through the WebAssembly import bridge.
import { describe, expect, it } from "vitest";
import { NodeCryptoProvider } from "../../src/crypto/node.js";
import { NobleCryptoProvider } from "../../src/crypto/noble.js";
import type { AeadName, CryptoProvider, HashName } from "../../src/crypto/provider.js";
import { Engine } from "../../src/engine/engine.js";
import "../../src/engine/node.js";
import { hex, loadVectors, unhex, type Vector } from "./vectors.js";

const providers: CryptoProvider[] = [new NodeCryptoProvider(), new NobleCryptoProvider()];
const vectors = loadVectors();
const HASH_ID: Record<string, number> = { sha1: 1, sha256: 2, sha384: 3, md5: 4 };

function check(p: CryptoProvider, v: Vector): void {
  const b = (k: string): Uint8Array => unhex(v.f[k] ?? "");
  switch (v.op) {
    case "sha1": case "sha256": case "sha384": case "md5":
      expect(hex(p.digest(v.op as HashName, b("msg")))).toBe(v.f.out);
      return;
    case "hmac-sha1": case "hmac-sha256": case "hmac-sha384":
      expect(hex(p.hmac(v.op.slice(5) as HashName, b("key"), b("msg")))).toBe(v.f.out);
      return;
    case "aes-128-gcm": case "aes-256-gcm": {
      const key = p.aeadKeyNew(v.op as AeadName, b("key"))!;
      expect(key).not.toBeNull();
      expect(hex(p.aeadSeal(key, b("iv"), b("aad"), b("pt"))!)).toBe(v.f.ct);
      expect(hex(p.aeadOpen(key, b("iv"), b("aad"), b("ct"))!)).toBe(v.f.pt);
      const bad = b("ct");
      bad[bad.length - 1]! ^= 1;
      expect(p.aeadOpen(key, b("iv"), b("aad"), bad)).toBeNull();
      return;
    }
    case "x25519":
      expect(hex(p.ecdhShared("x25519", b("priv"), b("peer"))!)).toBe(v.f.out);
      return;
    case "x25519-reject":
      expect(p.ecdhShared("x25519", b("priv"), b("peer"))).toBeNull();
      return;
    case "ecdsa-p256-verify":
      expect(p.ecdsaP256Verify(b("pub"), v.f.hash as HashName, b("msg"), b("sig"))).toBe(v.f.valid === "1");
      return;
    case "p256-keypair": {
      const sig = p.ecdsaP256Sign(b("priv"), "sha256", new Uint8Array([1, 2, 3]))!;
      expect(p.ecdsaP256Verify(b("pub"), "sha256", new Uint8Array([1, 2, 3]), sig)).toBe(true);
      return;
    }
    case "crc32":
      expect(p.crc32(b("msg")).toString(16).padStart(8, "0")).toBe(v.f.out);
      return;
    case "crc32c":
      expect(p.crc32c(b("msg")).toString(16).padStart(8, "0")).toBe(v.f.out);
      return;
    default:
      throw new Error(`unknown vector op ${v.op}`);
  }
}

describe.each(providers.map((p) => [p.name, p] as const))("provider %s", (_name, p) => {
  it("passes every published vector", () => {
    expect(vectors.length).toBeGreaterThanOrEqual(25);
    for (const v of vectors) {
      try {
        check(p, v);
      } catch (e) {
        throw new Error(`vectors.txt line ${v.line} (${v.op}): ${(e as Error).message}`);
      }
    }
  });

  it("never throws for bad input", () => {
    const k = p.aeadKeyNew("aes-128-gcm", new Uint8Array(15));
    expect(k).toBeNull();
    const key = p.aeadKeyNew("aes-128-gcm", new Uint8Array(16))!;
    expect(p.aeadOpen(key, new Uint8Array(12), new Uint8Array(0), new Uint8Array(3))).toBeNull();
    expect(p.aeadSeal(key, new Uint8Array(11), new Uint8Array(0), new Uint8Array(3))).toBeNull();
    expect(p.ecdhShared("p256", new Uint8Array(32).fill(1), new Uint8Array(65))).toBeNull();
    expect(p.ecdhShared("x25519", new Uint8Array(31), new Uint8Array(32))).toBeNull();
    expect(p.ecdsaP256Verify(new Uint8Array(65), "sha256", new Uint8Array(1), new Uint8Array(8))).toBe(false);
    expect(p.ecdsaP256Sign(new Uint8Array(3), "sha256", new Uint8Array(1))).toBeNull();
    expect(p.rsaVerify(new Uint8Array(10), "sha256", false, new Uint8Array(1), new Uint8Array(1))).toBe(false);
  });
});

describe("cross-provider agreement", () => {
  const [a, b] = providers as [CryptoProvider, CryptoProvider];
  it("signatures made by one verify on the other", () => {
    const msg = new TextEncoder().encode("server key exchange params");
    for (const [signer, verifier] of [[a, b], [b, a]] as const) {
      for (const h of ["sha256", "sha384"] as const) {
        const kp = signer.ecdsaP256Generate()!;
        const sig = signer.ecdsaP256Sign(kp.priv, h, msg)!;
        expect(verifier.ecdsaP256Verify(kp.pub, h, msg, sig)).toBe(true);
        expect(verifier.ecdsaP256Verify(kp.pub, h, msg.subarray(1), sig)).toBe(false);
      }
    }
  });

  it("ECDH across providers agrees on both curves", () => {
    for (const curve of ["x25519", "p256"] as const) {
      const ka = a.ecdhGenerate(curve)!;
      const kb = b.ecdhGenerate(curve)!;
      expect(hex(a.ecdhShared(curve, ka.priv, kb.pub)!)).toBe(hex(b.ecdhShared(curve, kb.priv, ka.pub)!));
    }
  });

  it("sealed on one opens on the other", () => {
    const keyBytes = new Uint8Array(32).map((_, i) => i);
    const iv = new Uint8Array(12).fill(7);
    const aad = new Uint8Array([1, 2, 3]);
    const pt = new Uint8Array(1200).map((_, i) => i & 0xff);
    const sealed = a.aeadSeal(a.aeadKeyNew("aes-256-gcm", keyBytes)!, iv, aad, pt)!;
    expect(hex(b.aeadOpen(b.aeadKeyNew("aes-256-gcm", keyBytes)!, iv, aad, sealed)!)).toBe(hex(pt));
  });
});

describe.each(providers.map((p) => [p.name, p] as const))("through the WebAssembly bridge with %s", (_n, p) => {
  it("runs the vectors from inside the module", async () => {
    const engine = await Engine.load({ crypto: p });
    const w = engine.wasm;
    const x = w.exports as unknown as Record<string, (...a: number[]) => number>;
    const put = (bytes: Uint8Array): number => w.copyIn(bytes);
    const out = w.alloc(4096);
    const read = (ptr: number, n: number): string => hex(w.u8().slice(ptr, ptr + n));
    let checked = 0;
    for (const v of vectors) {
      const b = (k: string): Uint8Array => unhex(v.f[k] ?? "");
      if (HASH_ID[v.op]) {
        const m = b("msg");
        const n = x.wr_crypto_digest!(HASH_ID[v.op]!, put(m), m.length, out);
        expect(read(out, n), `line ${v.line}`).toBe(v.f.out);
      } else if (v.op.startsWith("hmac-")) {
        const k = b("key"), m = b("msg");
        const n = x.wr_crypto_hmac!(HASH_ID[v.op.slice(5)]!, put(k), k.length, put(m), m.length, out);
        expect(read(out, n), `line ${v.line}`).toBe(v.f.out);
      } else if (v.op.endsWith("-gcm")) {
        const k = b("key"), aad = b("aad"), pt = b("pt");
        const n = x.wr_crypto_aead_roundtrip!(v.op === "aes-128-gcm" ? 1 : 2, put(k), k.length, put(b("iv")),
          put(aad), aad.length, put(pt), pt.length, out);
        expect(read(out, n), `line ${v.line}`).toBe(v.f.ct);
      } else if (v.op === "x25519") {
        const n = x.wr_crypto_ecdh!(1, put(b("priv")), put(b("peer")), 32, out);
        expect(read(out, n), `line ${v.line}`).toBe(v.f.out);
      } else if (v.op === "ecdsa-p256-verify") {
        const m = b("msg"), s = b("sig");
        expect(x.wr_crypto_ecdsa_verify!(put(b("pub")), 2, put(m), m.length, put(s), s.length)).toBe(v.f.valid === "1" ? 1 : 0);
      } else if (v.op === "crc32" || v.op === "crc32c") {
        const m = b("msg");
        expect((x.wr_crypto_crc!(v.op === "crc32c" ? 1 : 0, put(m), m.length) >>> 0).toString(16).padStart(8, "0")).toBe(v.f.out);
      } else {
        continue;
      }
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(20);
    const m = put(new Uint8Array([9, 9, 9]));
    expect(x.wr_crypto_ecdsa_roundtrip!(m, 3)).toBe(1);
  });
});
