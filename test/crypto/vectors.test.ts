// The published vectors (native/crypto/testdata/vectors.txt) against both
// TypeScript providers, bad input that must not throw, and cross-provider
// agreement: what one provider makes, the other accepts.
import { describe, expect, it } from "vitest";
import { NodeCryptoProvider } from "../../src/crypto/node.js";
import { NobleCryptoProvider } from "../../src/crypto/noble.js";
import type { AeadName, CryptoProvider, HashName } from "../../src/crypto/provider.js";
import { ALL_OPS, field, hex, loadVectors, message, type Vector } from "./vectors.js";

const providers: CryptoProvider[] = [new NodeCryptoProvider(), new NobleCryptoProvider()];
const vectors = loadVectors();

function check(p: CryptoProvider, v: Vector): void {
  const b = (k: string): Uint8Array => field(v, k);
  switch (v.op) {
    case "sha1": case "sha256": case "sha384": case "md5":
      expect(hex(p.digest(v.op as HashName, message(v)))).toBe(v.f.out);
      return;
    case "hmac-sha1": case "hmac-sha256": case "hmac-sha384": {
      const mac = p.hmac(v.op.slice(5) as HashName, b("key"), b("msg"));
      expect(hex(v.f.trunc ? mac.subarray(0, Number(v.f.trunc)) : mac)).toBe(v.f.out);
      return;
    }
    case "aes-128-gcm": case "aes-256-gcm": {
      const key = p.aeadKeyNew(v.op as AeadName, b("key"))!;
      expect(key).not.toBeNull();
      expect(hex(p.aeadSeal(key, b("iv"), b("aad"), b("pt"))!)).toBe(v.f.ct);
      expect(hex(p.aeadSeal(key, b("iv"), b("aad"), b("pt"))!)).toBe(v.f.ct);  // the prepared key is reusable
      expect(hex(p.aeadOpen(key, b("iv"), b("aad"), b("ct"))!)).toBe(v.f.pt);
      const bad = b("ct");
      bad[bad.length - 1]! ^= 1;
      expect(p.aeadOpen(key, b("iv"), b("aad"), bad)).toBeNull();
      const longerAad = new Uint8Array(b("aad").length + 1);
      longerAad.set(b("aad"));
      expect(p.aeadOpen(key, b("iv"), longerAad, b("ct"))).toBeNull();
      return;
    }
    case "x25519":
      expect(hex(p.ecdhShared("x25519", b("priv"), b("peer"))!)).toBe(v.f.out);
      return;
    case "x25519-iterate": {
      // RFC 7748 §5.2: k = X25519(k, u), u = old k, from k = u = 9.
      let k: Uint8Array = new Uint8Array(32), u: Uint8Array = new Uint8Array(32);
      k[0] = u[0] = 9;
      for (let i = 0; i < Number(v.f.n); i++) [k, u] = [p.ecdhShared("x25519", k, u)!, k];
      expect(hex(k)).toBe(v.f.out);
      return;
    }
    case "x25519-reject":
      expect(p.ecdhShared("x25519", b("priv"), b("peer"))).toBeNull();
      return;
    case "p256-ecdh":
      expect(hex(p.ecdhShared("p256", b("priv"), b("peer"))!)).toBe(v.f.out);
      return;
    case "p256-ecdh-reject":
      expect(p.ecdhShared("p256", b("priv"), b("peer"))).toBeNull();
      return;
    case "ecdsa-p256-verify":
      expect(p.ecdsaP256Verify(b("pub"), v.f.hash as HashName, b("msg"), b("sig"))).toBe(v.f.valid === "1");
      return;
    case "p256-keypair": {
      // No "public from private" in the interface: a signature by priv that
      // verifies under pub, and not under another key, ties them together.
      const msg = new Uint8Array([1, 2, 3]);
      const sig = p.ecdsaP256Sign(b("priv"), "sha256", msg)!;
      expect(sig).not.toBeNull();
      expect(p.ecdsaP256Verify(b("pub"), "sha256", msg, sig)).toBe(true);
      expect(p.ecdsaP256Verify(p.ecdsaP256Generate()!.pub, "sha256", msg, sig)).toBe(false);
      return;
    }
    case "rsa-verify": {
      const ok = p.rsaVerify(b("spki"), v.f.hash as HashName, v.f.pss === "1", b("msg"), b("sig"));
      // A provider without RSA refuses everything.
      expect(ok).toBe(p.hasRsa && v.f.valid === "1");
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

describe("vectors.txt", () => {
  it("holds every kind of vector", () => {
    expect(vectors.length).toBeGreaterThanOrEqual(90);
    const ops = new Set(vectors.map((v) => v.op));
    for (const op of ALL_OPS) expect(ops.has(op), op).toBe(true);
  });
});

describe.each(providers.map((p) => [p.name, p] as const))("provider %s", (_name, p) => {
  it("passes every published vector", () => {
    for (const v of vectors) {
      try {
        check(p, v);
      } catch (e) {
        throw new Error(`vectors.txt line ${v.line} (${v.op}): ${(e as Error).message}`);
      }
    }
  });

  it("never throws for bad input", () => {
    expect(p.aeadKeyNew("aes-128-gcm", new Uint8Array(15))).toBeNull();
    expect(p.aeadKeyNew("aes-256-gcm", new Uint8Array(16))).toBeNull();
    expect(p.aeadKeyNew("chacha" as AeadName, new Uint8Array(32))).toBeNull();
    const key = p.aeadKeyNew("aes-128-gcm", new Uint8Array(16))!;
    expect(p.aeadOpen(key, new Uint8Array(12), new Uint8Array(0), new Uint8Array(3))).toBeNull();
    expect(p.aeadOpen(key, new Uint8Array(12), new Uint8Array(0), new Uint8Array(16))).toBeNull();
    expect(p.aeadSeal(key, new Uint8Array(11), new Uint8Array(0), new Uint8Array(3))).toBeNull();
    expect(p.aeadSeal({}, new Uint8Array(12), new Uint8Array(0), new Uint8Array(3))).toBeNull();
    expect(p.aeadOpen({}, new Uint8Array(12), new Uint8Array(0), new Uint8Array(20))).toBeNull();
    expect(p.ecdhShared("p256", new Uint8Array(32).fill(1), new Uint8Array(65))).toBeNull();
    expect(p.ecdhShared("p256", new Uint8Array(32), p.ecdhGenerate("p256")!.pub)).toBeNull();  // zero scalar
    expect(p.ecdhShared("x25519", new Uint8Array(31), new Uint8Array(32))).toBeNull();
    expect(p.ecdhShared("x25519", new Uint8Array(32).fill(3), new Uint8Array(33))).toBeNull();
    expect(p.ecdsaP256Verify(new Uint8Array(65), "sha256", new Uint8Array(1), new Uint8Array(8))).toBe(false);
    const kp = p.ecdsaP256Generate()!;
    expect(p.ecdsaP256Verify(kp.pub, "sha256", new Uint8Array(1), new Uint8Array(0))).toBe(false);
    expect(p.ecdsaP256Verify(kp.pub, "sha256", new Uint8Array(1), new Uint8Array(200).fill(0x30))).toBe(false);
    expect(p.ecdsaP256Sign(new Uint8Array(3), "sha256", new Uint8Array(1))).toBeNull();
    expect(p.ecdsaP256Sign(new Uint8Array(32), "sha256", new Uint8Array(1))).toBeNull();  // zero scalar
    expect(p.rsaVerify(new Uint8Array(10), "sha256", false, new Uint8Array(1), new Uint8Array(1))).toBe(false);
    expect(p.rsaVerify(new Uint8Array(0), "sha256", true, new Uint8Array(0), new Uint8Array(0))).toBe(false);
  });

  it("generates fresh keys that work with each other", () => {
    for (const curve of ["x25519", "p256"] as const) {
      const a = p.ecdhGenerate(curve)!, b = p.ecdhGenerate(curve)!;
      expect(a.priv.length).toBe(32);
      expect(a.pub.length).toBe(curve === "p256" ? 65 : 32);
      expect(hex(a.priv)).not.toBe(hex(b.priv));
      expect(hex(p.ecdhShared(curve, a.priv, b.pub)!)).toBe(hex(p.ecdhShared(curve, b.priv, a.pub)!));
    }
    const r1 = new Uint8Array(70000), r2 = new Uint8Array(70000);
    p.randomBytes(r1);
    p.randomBytes(r2);
    expect(hex(r1.subarray(69000))).not.toBe(hex(r2.subarray(69000)));  // past the 65536-byte getRandomValues limit
  });
});

describe("cross-provider agreement", () => {
  const [a, b] = providers as [CryptoProvider, CryptoProvider];
  const pairs = [[a, b], [b, a]] as const;

  it("signatures made by one verify on the other", () => {
    const msg = new TextEncoder().encode("server key exchange params");
    for (const [signer, verifier] of pairs) {
      for (const h of ["sha256", "sha384"] as const) {
        for (let i = 0; i < 8; i++) {  // several, so high-S signatures from OpenSSL occur too
          const kp = signer.ecdsaP256Generate()!;
          const sig = signer.ecdsaP256Sign(kp.priv, h, msg)!;
          expect(sig.length).toBeLessThanOrEqual(72);
          expect(verifier.ecdsaP256Verify(kp.pub, h, msg, sig)).toBe(true);
          expect(verifier.ecdsaP256Verify(kp.pub, h, msg.subarray(1), sig)).toBe(false);
        }
      }
    }
  });

  it("a key pair from one signs on the other", () => {
    const msg = new Uint8Array([7, 7, 7]);
    for (const [maker, user] of pairs) {
      const kp = maker.ecdsaP256Generate()!;
      expect(maker.ecdsaP256Verify(kp.pub, "sha256", msg, user.ecdsaP256Sign(kp.priv, "sha256", msg)!)).toBe(true);
    }
  });

  it("ECDH across providers agrees on both curves", () => {
    for (const curve of ["x25519", "p256"] as const) {
      for (const [x, y] of pairs) {
        const kx = x.ecdhGenerate(curve)!;
        const ky = y.ecdhGenerate(curve)!;
        const s1 = x.ecdhShared(curve, kx.priv, ky.pub)!;
        expect(hex(s1)).toBe(hex(y.ecdhShared(curve, ky.priv, kx.pub)!));
        expect(hex(s1)).toBe(hex(y.ecdhShared(curve, kx.priv, ky.pub)!));
      }
    }
  });

  it("sealed on one opens on the other, for both key sizes", () => {
    for (const alg of ["aes-128-gcm", "aes-256-gcm"] as const) {
      for (const [x, y] of pairs) {
        const keyBytes = new Uint8Array(alg === "aes-128-gcm" ? 16 : 32);
        x.randomBytes(keyBytes);
        const iv = new Uint8Array(12);
        x.randomBytes(iv);
        const aad = new Uint8Array([23, 254, 253, 0, 1]);
        const pt = new Uint8Array(1200);
        x.randomBytes(pt);
        const sealed = x.aeadSeal(x.aeadKeyNew(alg, keyBytes)!, iv, aad, pt)!;
        const yKey = y.aeadKeyNew(alg, keyBytes)!;
        expect(hex(sealed)).toBe(hex(y.aeadSeal(yKey, iv, aad, pt)!));
        expect(hex(y.aeadOpen(yKey, iv, aad, sealed)!)).toBe(hex(pt));
      }
    }
  });

  it("digests and MACs agree on random input", () => {
    const data = new Uint8Array(3001);
    a.randomBytes(data);
    for (const h of ["sha1", "sha256", "sha384", "md5"] as const) {
      expect(hex(a.digest(h, data))).toBe(hex(b.digest(h, data)));
      expect(hex(a.hmac(h, data.subarray(0, 100), data))).toBe(hex(b.hmac(h, data.subarray(0, 100), data)));
    }
    expect(a.crc32c(data)).toBe(b.crc32c(data));
  });
});
