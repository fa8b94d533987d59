// Browser defaults (pages and workers): @noble crypto (synchronous, as the
// engine needs), the real clock, and no UDP — the engine reaches peers through
// a wasmrtc relay (initialize({ wasmrtc: { relay } })).
import { NobleCryptoProvider } from "../crypto/noble.js";
import type { CryptoProvider } from "../crypto/provider.js";
import { RealClock } from "../net/clock.js";
import { setEngineRuntime } from "../godot/engine_extension.js";
import { Engine } from "./engine.js";

let loaded: Engine | null = null;
let loading: Promise<Engine> | null = null;

export interface BrowserEngineOptions {
  /** Where wasmrtc.wasm is (default: beside the browser entry; bundlers: the URL they give the asset). */
  wasmUrl?: string | URL;
  wasmBinary?: Uint8Array | ArrayBuffer;
  crypto?: CryptoProvider;
}

/**
 * Fetches and compiles the engine once. Godot's API is synchronous, so a page
 * awaits this before the first `initialize()` of a WebRTCPeerConnectionEngine.
 */
export function loadBrowserEngine(opts: BrowserEngineOptions = {}): Promise<Engine> {
  if (loaded) return Promise.resolve(loaded);
  loading ??= Engine.load({ crypto: opts.crypto ?? new NobleCryptoProvider(), wasmUrl: opts.wasmUrl, wasmBinary: opts.wasmBinary })
    .then((e) => (loaded = e))
    .catch((e) => {
      loading = null;
      throw e;
    });
  return loading;
}

/** The engine loadBrowserEngine() loaded, if it has. */
export const browserEngine = (): Engine | null => loaded;

const clock = new RealClock();
setEngineRuntime({
  engine: () => {
    if (!loaded) throw new Error("the engine is not loaded yet: await loadBrowserEngine() before initialize()");
    return loaded;
  },
  transport: () => {
    throw new Error("a page has no UDP: pass initialize({ wasmrtc: { relay: { url, username, credential } } })");
  },
  clock: () => clock,
});
