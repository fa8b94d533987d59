// The conformance mode's crypto: every random value the engine asks for (ICE
// credentials and tie breakers, SCTP tags and TSNs, DTLS randoms, certificate
// and ECDHE keys) comes from one stream seeded by the run's seed, and ECDSA
// signatures are deterministic (RFC 6979, @noble/curves). Deterministic
// primitives (hashes, HMAC, AES-GCM, ECDH, verification) come from a base
// provider, which may be native: their bytes are the same everywhere.
// Never use this outside tests: its "randomness" is public.
import { chacha20 } from "@noble/ciphers/chacha";
import { mapHashToField } from "@noble/curves/abstract/modular";
import { x25519 } from "@noble/curves/ed25519";
import { p256 } from "@noble/curves/nist";
import { sha256 } from "@noble/hashes/sha2";
import { NobleCryptoProvider } from "../crypto/noble.js";
import type { AeadKey, AeadName, CryptoProvider, CurveName, HashName, KeyPair } from "../crypto/provider.js";

const BLOCK = 4096;

/** A ChaCha20 keystream under sha256(label || seed): the same bytes in every runtime. */
export class SeededStream {
  private readonly key: Uint8Array;
  private counter = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  readonly nonce = new Uint8Array(12);

  constructor(seed: string) {
    this.key = sha256(new TextEncoder().encode(`wasmrtc conformance stream\n${seed}`));
  }

  fill(out: Uint8Array): void {
    let off = 0;
    while (off < out.length) {
      if (this.pos >= this.buf.length) {
        this.buf = chacha20(this.key, this.nonce, new Uint8Array(BLOCK), undefined, this.counter);
        this.counter += BLOCK / 64;
        this.pos = 0;
      }
      const n = Math.min(out.length - off, this.buf.length - this.pos);
      out.set(this.buf.subarray(this.pos, this.pos + n), off);
      this.pos += n;
      off += n;
    }
  }

  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    this.fill(b);
    return b;
  }
}

export class DeterministicCryptoProvider implements CryptoProvider {
  readonly name: string;
  /** Off everywhere: whether RSA verification exists changes the DTLS hello, and @noble has none. */
  readonly hasRsa = false;
  private readonly stream: SeededStream;
  /** How many random bytes the engine took (part of the trace). */
  randomBytesTaken = 0;

  constructor(seed: string, private readonly base: CryptoProvider = new NobleCryptoProvider()) {
    this.stream = new SeededStream(seed);
    this.name = `deterministic (${base.name})`;
  }

  randomBytes(out: Uint8Array): void {
    this.randomBytesTaken += out.length;
    this.stream.fill(out);
  }

  ecdsaP256Generate(): KeyPair | null {
    const priv = mapHashToField(this.stream.bytes(48), p256.CURVE.n);
    return { priv, pub: p256.getPublicKey(priv, false) };
  }

  ecdhGenerate(curve: CurveName): KeyPair | null {
    if (curve === "p256") return this.ecdsaP256Generate();
    const priv = this.stream.bytes(32);
    return { priv, pub: x25519.getPublicKey(priv) };
  }

  ecdsaP256Sign(priv: Uint8Array, h: HashName, msg: Uint8Array): Uint8Array | null {
    try {
      // RFC 6979: k from the key and the digest; no extra entropy.
      return p256.sign(this.base.digest(h, msg), priv, { prehash: false, lowS: false, extraEntropy: false }).toDERRawBytes();
    } catch {
      return null;
    }
  }

  digest(h: HashName, data: Uint8Array): Uint8Array {
    return this.base.digest(h, data);
  }
  hmac(h: HashName, key: Uint8Array, data: Uint8Array): Uint8Array {
    return this.base.hmac(h, key, data);
  }
  aeadKeyNew(alg: AeadName, key: Uint8Array): AeadKey | null {
    return this.base.aeadKeyNew(alg, key);
  }
  aeadKeyFree(key: AeadKey): void {
    this.base.aeadKeyFree?.(key);
  }
  aeadSeal(key: AeadKey, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): Uint8Array | null {
    return this.base.aeadSeal(key, nonce, aad, pt);
  }
  aeadOpen(key: AeadKey, nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array): Uint8Array | null {
    return this.base.aeadOpen(key, nonce, aad, ct);
  }
  aeadSealInto(key: AeadKey, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array, out: Uint8Array): boolean {
    if (this.base.aeadSealInto) return this.base.aeadSealInto(key, nonce, aad, pt, out);
    const s = this.base.aeadSeal(key, nonce, aad, pt);
    if (!s || s.length > out.length) return false;
    out.set(s);
    return true;
  }
  aeadOpenInto(key: AeadKey, nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array, out: Uint8Array): boolean {
    if (this.base.aeadOpenInto) return this.base.aeadOpenInto(key, nonce, aad, ct, out);
    const o = this.base.aeadOpen(key, nonce, aad, ct);
    if (!o || o.length > out.length) return false;
    out.set(o);
    return true;
  }
  ecdhShared(curve: CurveName, priv: Uint8Array, peerPub: Uint8Array): Uint8Array | null {
    return this.base.ecdhShared(curve, priv, peerPub);
  }
  ecdsaP256Verify(pub: Uint8Array, h: HashName, msg: Uint8Array, der: Uint8Array): boolean {
    return this.base.ecdsaP256Verify(pub, h, msg, der);
  }
  rsaVerify(): boolean {
    return false;
  }
  crc32(data: Uint8Array): number {
    return this.base.crc32(data);
  }
  crc32c(data: Uint8Array): number {
    return this.base.crc32c(data);
  }
}
