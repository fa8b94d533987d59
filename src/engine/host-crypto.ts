// The import object for module "wasmrtc_crypto" (wasm/host_crypto.cc): thin
// adapters from (pointer, length) pairs in wasm memory to a CryptoProvider.
// Views are taken fresh per call because memory may grow between calls.
import { AEAD_IDS, CURVE_IDS, HASH_IDS, type AeadKey, type CryptoProvider } from "../crypto/provider.js";

type Fn = (...args: number[]) => number | void;

export function createCryptoImports(provider: CryptoProvider, memory: () => Uint8Array): Record<string, Fn> {
  const keys = new Map<number, AeadKey>();
  let nextKey = 1;
  const view = (ptr: number, len: number): Uint8Array => memory().subarray(ptr, ptr + len);
  const put = (ptr: number, bytes: Uint8Array): void => memory().set(bytes, ptr);
  // Nothing may throw into the module: a failure is a zero return.
  const guard = (f: () => number): number => {
    try {
      return f();
    } catch {
      return 0;
    }
  };
  return {
    random(ptr, len) {
      provider.randomBytes(view(ptr, len));
    },
    digest(h, ptr, len, out) {
      return guard(() => {
        const name = HASH_IDS[h];
        if (!name) return 0;
        put(out, provider.digest(name, view(ptr, len)));
        return 1;
      });
    },
    hmac(h, kptr, klen, dptr, dlen, out) {
      return guard(() => {
        const name = HASH_IDS[h];
        if (!name) return 0;
        put(out, provider.hmac(name, view(kptr, klen).slice(), view(dptr, dlen)));
        return 1;
      });
    },
    aead_key_new(alg, kptr, klen) {
      return guard(() => {
        const name = AEAD_IDS[alg];
        const key = name ? provider.aeadKeyNew(name, view(kptr, klen).slice()) : null;
        if (!key) return 0;
        const id = nextKey++;
        keys.set(id, key);
        return id;
      });
    },
    aead_key_free(id) {
      const key = keys.get(id);
      keys.delete(id);
      if (key) provider.aeadKeyFree?.(key);
    },
    aead_seal(id, nptr, nlen, aptr, alen, pptr, plen, out) {
      return guard(() => {
        const key = keys.get(id);
        if (!key) return 0;
        if (provider.aeadSealInto) {
          return provider.aeadSealInto(key, view(nptr, nlen), view(aptr, alen), view(pptr, plen), view(out, plen + 16)) ? 1 : 0;
        }
        const sealed = provider.aeadSeal(key, view(nptr, nlen), view(aptr, alen), view(pptr, plen));
        if (!sealed) return 0;
        put(out, sealed);
        return 1;
      });
    },
    aead_open(id, nptr, nlen, aptr, alen, cptr, clen, out) {
      return guard(() => {
        const key = keys.get(id);
        if (!key) return 0;
        if (provider.aeadOpenInto) {
          if (clen < 16) return 0;
          return provider.aeadOpenInto(key, view(nptr, nlen), view(aptr, alen), view(cptr, clen), view(out, clen - 16)) ? 1 : 0;
        }
        const opened = provider.aeadOpen(key, view(nptr, nlen), view(aptr, alen), view(cptr, clen));
        if (!opened) return 0;
        put(out, opened);
        return 1;
      });
    },
    ecdh_generate(curve, privOut, pubOut) {
      return guard(() => {
        const name = CURVE_IDS[curve];
        const kp = name ? provider.ecdhGenerate(name) : null;
        if (!kp) return 0;
        put(privOut, kp.priv);
        put(pubOut, kp.pub);
        return 1;
      });
    },
    ecdh_shared(curve, priv, privLen, pub, pubLen, out) {
      return guard(() => {
        const name = CURVE_IDS[curve];
        const s = name ? provider.ecdhShared(name, view(priv, privLen).slice(), view(pub, pubLen).slice()) : null;
        if (!s) return 0;
        put(out, s);
        return 1;
      });
    },
    ecdsa_generate(privOut, pubOut) {
      return guard(() => {
        const kp = provider.ecdsaP256Generate();
        if (!kp) return 0;
        put(privOut, kp.priv);
        put(pubOut, kp.pub);
        return 1;
      });
    },
    ecdsa_sign(priv, privLen, h, msg, msgLen, out, outCap) {
      return guard(() => {
        const name = HASH_IDS[h];
        const der = name ? provider.ecdsaP256Sign(view(priv, privLen).slice(), name, view(msg, msgLen)) : null;
        if (!der || der.length > outCap) return 0;
        put(out, der);
        return der.length;
      });
    },
    ecdsa_verify(pub, pubLen, h, msg, msgLen, sig, sigLen) {
      return guard(() => {
        const name = HASH_IDS[h];
        return name && provider.ecdsaP256Verify(view(pub, pubLen).slice(), name, view(msg, msgLen), view(sig, sigLen))
          ? 1 : 0;
      });
    },
    has_rsa() {
      return provider.hasRsa ? 1 : 0;
    },
    rsa_verify(spki, spkiLen, h, pss, msg, msgLen, sig, sigLen) {
      return guard(() => {
        const name = HASH_IDS[h];
        return name && provider.rsaVerify(view(spki, spkiLen).slice(), name, pss !== 0, view(msg, msgLen), view(sig, sigLen))
          ? 1 : 0;
      });
    },
  };
}
