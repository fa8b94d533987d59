// The TypeScript side of crypto::Provider (native/crypto/provider.h). The
// WebAssembly core imports these primitives; it never implements one itself.
// Every method is synchronous and never throws for bad input: it returns
// null/false instead.

export type HashName = "sha1" | "sha256" | "sha384" | "md5";
export type CurveName = "x25519" | "p256";
export type AeadName = "aes-128-gcm" | "aes-256-gcm";

/** Same numbering as the C++ enums (crypto::Hash, crypto::Curve, crypto::Aead). */
export const HASH_IDS: Record<number, HashName> = { 1: "sha1", 2: "sha256", 3: "sha384", 4: "md5" };
export const CURVE_IDS: Record<number, CurveName> = { 1: "x25519", 2: "p256" };
export const AEAD_IDS: Record<number, AeadName> = { 1: "aes-128-gcm", 2: "aes-256-gcm" };
export const HASH_SIZES: Record<HashName, number> = { sha1: 20, sha256: 32, sha384: 48, md5: 16 };

export interface KeyPair {
  /** 32-byte scalar. */
  priv: Uint8Array;
  /** X25519: 32 bytes; P-256: 65-byte uncompressed point. */
  pub: Uint8Array;
}

/** An AEAD key prepared once; the provider decides what it holds. */
export type AeadKey = object;

export interface CryptoProvider {
  readonly name: string;
  randomBytes(out: Uint8Array): void;
  digest(h: HashName, data: Uint8Array): Uint8Array;
  hmac(h: HashName, key: Uint8Array, data: Uint8Array): Uint8Array;
  aeadKeyNew(alg: AeadName, key: Uint8Array): AeadKey | null;
  /** Optional: the core no longer uses this key (providers holding native contexts free them here). */
  aeadKeyFree?(key: AeadKey): void;
  /** Returns ciphertext || 16-byte tag. */
  aeadSeal(key: AeadKey, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array | null;
  /** Returns the plaintext, or null when the tag does not verify. */
  aeadOpen(key: AeadKey, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null;
  /** Optional: seal into `out` (plaintext length + 16), sparing a copy per record. */
  aeadSealInto?(key: AeadKey, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array): boolean;
  /** Optional: open into `out` (ciphertext length - 16). */
  aeadOpenInto?(key: AeadKey, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, out: Uint8Array): boolean;
  ecdhGenerate(curve: CurveName): KeyPair | null;
  ecdhShared(curve: CurveName, priv: Uint8Array, peerPub: Uint8Array): Uint8Array | null;
  ecdsaP256Generate(): KeyPair | null;
  /** DER signature over hash h of msg. */
  ecdsaP256Sign(priv: Uint8Array, h: HashName, msg: Uint8Array): Uint8Array | null;
  ecdsaP256Verify(pub: Uint8Array, h: HashName, msg: Uint8Array, der: Uint8Array): boolean;
  readonly hasRsa: boolean;
  /** PKCS#1 v1.5 (pss=false) or PSS with salt = hash length, key as DER SubjectPublicKeyInfo. */
  rsaVerify(spkiDer: Uint8Array, h: HashName, pss: boolean, msg: Uint8Array, sig: Uint8Array): boolean;
  crc32(data: Uint8Array): number;
  crc32c(data: Uint8Array): number;
}
