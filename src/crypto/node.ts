// CryptoProvider on node:crypto (OpenSSL inside Node).
import * as nc from "node:crypto";
import { crc32, crc32c } from "./crc.js";
import type { AeadKey, AeadName, CryptoProvider, CurveName, HashName, KeyPair } from "./provider.js";

const P256_SPKI_PREFIX = Buffer.from("3059301306072a8648ce3d020106082a8648ce3d030107034200", "hex");
const X25519_SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");
const X25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");

interface NodeAeadKey {
  alg: AeadName;
  key: nc.KeyObject;
}

const AEAD_KEY_SIZES: Record<string, number> = { "aes-128-gcm": 16, "aes-256-gcm": 32 };

const b64u = (b: Uint8Array): string => Buffer.from(b).toString("base64url");
const fromB64u = (s: string | undefined): Uint8Array => new Uint8Array(Buffer.from(s ?? "", "base64url"));

function pad32(b: Uint8Array): Uint8Array {
  if (b.length === 32) return b;
  const out = new Uint8Array(32);
  out.set(b.subarray(Math.max(0, b.length - 32)), 32 - Math.min(32, b.length));
  return out;
}

function p256Private(priv: Uint8Array): nc.KeyObject | null {
  try {
    // node:crypto needs x/y with d in JWK: derive them through ECDH.
    const ecdh = nc.createECDH("prime256v1");
    ecdh.setPrivateKey(priv);
    const pub = ecdh.getPublicKey();
    return nc.createPrivateKey({
      key: { kty: "EC", crv: "P-256", d: b64u(priv), x: b64u(pub.subarray(1, 33)), y: b64u(pub.subarray(33, 65)) },
      format: "jwk",
    });
  } catch {
    return null;
  }
}

function p256Public(pub: Uint8Array): nc.KeyObject | null {
  if (pub.length !== 65 || pub[0] !== 4) return null;
  try {
    return nc.createPublicKey({ key: Buffer.concat([P256_SPKI_PREFIX, pub]), format: "der", type: "spki" });
  } catch {
    return null;
  }
}

/** A bounded map: parsing a key into a KeyObject costs more than the operation it serves. */
class KeyCache {
  private readonly m = new Map<string, nc.KeyObject>();
  constructor(private readonly max: number) {}
  get(k: string): nc.KeyObject | undefined {
    return this.m.get(k);
  }
  set(k: string, v: nc.KeyObject): void {
    if (this.m.size >= this.max) this.m.delete(this.m.keys().next().value as string);
    this.m.set(k, v);
  }
  take(k: string): nc.KeyObject | undefined {
    const v = this.m.get(k);
    if (v) this.m.delete(k);
    return v;
  }
}
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

export class NodeCryptoProvider implements CryptoProvider {
  readonly name: string = "node:crypto";
  readonly hasRsa = true;
  /** The certificate key signs every handshake; a peer's certificate key verifies each of its handshakes. */
  private readonly signKeys = new KeyCache(64);
  private readonly verifyKeys = new KeyCache(256);
  /** Ephemeral X25519 keys from generation to their one use. */
  private readonly ephemeral = new KeyCache(256);

  randomBytes(out: Uint8Array): void {
    nc.randomFillSync(out);
  }

  digest(h: HashName, data: Uint8Array): Uint8Array {
    return new Uint8Array(nc.createHash(h).update(data).digest());
  }

  hmac(h: HashName, key: Uint8Array, data: Uint8Array): Uint8Array {
    return new Uint8Array(nc.createHmac(h, key).update(data).digest());
  }

  aeadKeyNew(alg: AeadName, key: Uint8Array): AeadKey | null {
    const size = AEAD_KEY_SIZES[alg];
    if (!size || key.length !== size) return null;
    // One prepared KeyObject per key: createCipheriv then skips key parsing.
    return { alg, key: nc.createSecretKey(key) } satisfies NodeAeadKey;
  }

  aeadSeal(k: AeadKey, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): Uint8Array | null {
    const out = new Uint8Array(pt.length + 16);
    return this.aeadSealInto(k, nonce, aad, pt, out) ? out : null;
  }

  aeadSealInto(k: AeadKey, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array, out: Uint8Array): boolean {
    const { alg, key } = k as NodeAeadKey;
    if (nonce.length !== 12 || !key || out.length < pt.length + 16) return false;
    try {
      const c = nc.createCipheriv(alg, key, nonce, { authTagLength: 16 });
      if (aad.length) c.setAAD(aad);
      out.set(c.update(pt), 0);
      c.final();
      out.set(c.getAuthTag(), pt.length);
      return true;
    } catch {
      return false;
    }
  }

  aeadOpenInto(k: AeadKey, nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array, out: Uint8Array): boolean {
    const { alg, key } = k as NodeAeadKey;
    if (nonce.length !== 12 || ct.length < 16 || !key || out.length < ct.length - 16) return false;
    try {
      const d = nc.createDecipheriv(alg, key, nonce, { authTagLength: 16 });
      if (aad.length) d.setAAD(aad);
      d.setAuthTag(ct.subarray(ct.length - 16));
      const body = d.update(ct.subarray(0, ct.length - 16));
      d.final();  // throws when the tag does not match: nothing reaches the caller then
      out.set(body, 0);
      return true;
    } catch {
      return false;
    }
  }

  aeadOpen(k: AeadKey, nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array): Uint8Array | null {
    if (ct.length < 16) return null;
    const out = new Uint8Array(ct.length - 16);
    return this.aeadOpenInto(k, nonce, aad, ct, out) ? out : null;
  }

  ecdhGenerate(curve: CurveName): KeyPair | null {
    if (curve === "p256") return this.ecdsaP256Generate();
    const { privateKey, publicKey } = nc.generateKeyPairSync("x25519");
    const jwk = privateKey.export({ format: "jwk" });
    const priv = fromB64u(jwk.d);
    this.ephemeral.set(hex(priv), privateKey);
    return { priv, pub: fromB64u(publicKey.export({ format: "jwk" }).x) };
  }

  ecdhShared(curve: CurveName, priv: Uint8Array, peerPub: Uint8Array): Uint8Array | null {
    if (priv.length !== 32) return null;
    try {
      if (curve === "x25519") {
        if (peerPub.length !== 32) return null;
        const privateKey = this.ephemeral.take(hex(priv)) ??
          nc.createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, priv]), format: "der", type: "pkcs8" });
        const publicKey = nc.createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, peerPub]), format: "der", type: "spki" });
        const s = new Uint8Array(nc.diffieHellman({ privateKey, publicKey }));
        // RFC 7748 §6.1: refuse the all-zero output of a low-order point.
        return s.some((b) => b !== 0) ? s : null;
      }
      if (peerPub.length !== 65 || peerPub[0] !== 4) return null;
      const ecdh = nc.createECDH("prime256v1");
      ecdh.setPrivateKey(priv);
      return new Uint8Array(ecdh.computeSecret(peerPub));
    } catch {
      return null;
    }
  }

  ecdsaP256Generate(): KeyPair | null {
    const ecdh = nc.createECDH("prime256v1");
    ecdh.generateKeys();
    return { priv: pad32(new Uint8Array(ecdh.getPrivateKey())), pub: new Uint8Array(ecdh.getPublicKey()) };
  }

  ecdsaP256Sign(priv: Uint8Array, h: HashName, msg: Uint8Array): Uint8Array | null {
    if (priv.length !== 32) return null;
    const id = hex(priv);
    let key = this.signKeys.get(id);
    if (!key) {
      key = p256Private(priv) ?? undefined;
      if (!key) return null;
      this.signKeys.set(id, key);
    }
    return new Uint8Array(nc.sign(h, msg, { key, dsaEncoding: "der" }));
  }

  ecdsaP256Verify(pub: Uint8Array, h: HashName, msg: Uint8Array, der: Uint8Array): boolean {
    const id = hex(pub);
    let key = this.verifyKeys.get(id);
    if (!key) {
      key = p256Public(pub) ?? undefined;
      if (!key) return false;
      this.verifyKeys.set(id, key);
    }
    try {
      return nc.verify(h, msg, { key, dsaEncoding: "der" }, der);
    } catch {
      return false;
    }
  }

  rsaVerify(spkiDer: Uint8Array, h: HashName, pss: boolean, msg: Uint8Array, sig: Uint8Array): boolean {
    try {
      const key = nc.createPublicKey({ key: Buffer.from(spkiDer), format: "der", type: "spki" });
      if (key.asymmetricKeyType !== "rsa") return false;
      return nc.verify(h, msg, pss
        ? { key, padding: nc.constants.RSA_PKCS1_PSS_PADDING, saltLength: nc.constants.RSA_PSS_SALTLEN_DIGEST }
        : { key, padding: nc.constants.RSA_PKCS1_PADDING }, sig);
    } catch {
      return false;
    }
  }

  crc32(data: Uint8Array): number {
    return crc32(data);
  }
  crc32c(data: Uint8Array): number {
    return crc32c(data);
  }
}
