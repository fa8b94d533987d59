// CryptoProvider on the audited pure-JavaScript @noble libraries, for runtimes
// without synchronous native crypto (browsers, embedded engines). No node: imports.
import { gcm } from "@noble/ciphers/aes";
import { p256 } from "@noble/curves/nist";
import { x25519 } from "@noble/curves/ed25519";
import { hmac } from "@noble/hashes/hmac";
import { md5, sha1 } from "@noble/hashes/legacy";
import { sha256, sha384 } from "@noble/hashes/sha2";
import { crc32, crc32c } from "./crc.js";
import type { AeadKey, AeadName, CryptoProvider, CurveName, HashName, KeyPair } from "./provider.js";

const HASHES = { sha1, sha256, sha384, md5 } as const;

interface NobleAeadKey {
  key: Uint8Array;
}

function getRandom(out: Uint8Array): void {
  const c = (globalThis as { crypto?: { getRandomValues(a: Uint8Array): Uint8Array } }).crypto;
  if (!c?.getRandomValues) throw new Error("wasmrtc: no secure random source (globalThis.crypto.getRandomValues)");
  // getRandomValues is limited to 65536 bytes per call.
  for (let i = 0; i < out.length; i += 65536) c.getRandomValues(out.subarray(i, Math.min(out.length, i + 65536)));
}

export class NobleCryptoProvider implements CryptoProvider {
  readonly name = "@noble";
  readonly hasRsa = false;

  randomBytes(out: Uint8Array): void {
    getRandom(out);
  }

  digest(h: HashName, data: Uint8Array): Uint8Array {
    return HASHES[h](data);
  }

  hmac(h: HashName, key: Uint8Array, data: Uint8Array): Uint8Array {
    return hmac(HASHES[h], key, data);
  }

  aeadKeyNew(alg: AeadName, key: Uint8Array): AeadKey | null {
    const size = alg === "aes-128-gcm" ? 16 : alg === "aes-256-gcm" ? 32 : 0;
    if (!size || key.length !== size) return null;
    return { key: key.slice() } satisfies NobleAeadKey;
  }

  aeadSeal(k: AeadKey, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): Uint8Array | null {
    const { key } = k as NobleAeadKey;
    if (nonce.length !== 12 || !key) return null;
    try {
      return gcm(key, nonce, aad.length ? aad : undefined).encrypt(pt);
    } catch {
      return null;
    }
  }

  aeadOpen(k: AeadKey, nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array): Uint8Array | null {
    const { key } = k as NobleAeadKey;
    if (nonce.length !== 12 || ct.length < 16 || !key) return null;
    try {
      return gcm(key, nonce, aad.length ? aad : undefined).decrypt(ct);
    } catch {
      return null;
    }
  }

  ecdhGenerate(curve: CurveName): KeyPair | null {
    if (curve === "p256") return this.ecdsaP256Generate();
    const priv = x25519.utils.randomPrivateKey();
    return { priv, pub: x25519.getPublicKey(priv) };
  }

  ecdhShared(curve: CurveName, priv: Uint8Array, peerPub: Uint8Array): Uint8Array | null {
    try {
      if (priv.length !== 32) return null;
      if (curve === "x25519") {
        if (peerPub.length !== 32) return null;
        const s = x25519.getSharedSecret(priv, peerPub);
        return s.some((b) => b !== 0) ? s : null;  // RFC 7748 §6.1
      }
      if (peerPub.length !== 65 || peerPub[0] !== 4) return null;
      return p256.getSharedSecret(priv, peerPub, false).slice(1, 33);
    } catch {
      return null;
    }
  }

  ecdsaP256Generate(): KeyPair | null {
    const priv = p256.utils.randomPrivateKey();
    return { priv, pub: p256.getPublicKey(priv, false) };
  }

  ecdsaP256Sign(priv: Uint8Array, h: HashName, msg: Uint8Array): Uint8Array | null {
    try {
      // The digest is computed here, so the library must not hash again (prehash: false).
      return p256.sign(HASHES[h](msg), priv, { prehash: false, lowS: false }).toDERRawBytes();
    } catch {
      return null;
    }
  }

  ecdsaP256Verify(pub: Uint8Array, h: HashName, msg: Uint8Array, der: Uint8Array): boolean {
    try {
      if (pub.length !== 65 || pub[0] !== 4) return false;
      return p256.verify(der, HASHES[h](msg), pub, { prehash: false, lowS: false, format: "der" });
    } catch {
      return false;
    }
  }

  rsaVerify(): boolean {
    return false;
  }

  crc32(data: Uint8Array): number {
    return crc32(data);
  }
  crc32c(data: Uint8Array): number {
    return crc32c(data);
  }
}
