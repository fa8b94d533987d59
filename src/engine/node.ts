// Node defaults: node:crypto, UDP sockets, the real clock, and the .wasm that
// ships beside this file in dist/.
import { NodeCryptoProvider } from "../crypto/node.js";
import { DenoOpenSslCryptoProvider } from "../crypto/deno-openssl.js";
import { NodeUdpTransport } from "../net/udp.js";
import { RealClock } from "../net/clock.js";
import type { Clock } from "../net/clock.js";
import type { Transport } from "../net/transport.js";
import type { CryptoProvider } from "../crypto/provider.js";
import { Engine } from "./engine.js";
import { Endpoint, type EndpointOptions } from "./endpoint.js";
import { setDefaultWasmUrl, setModuleFileReader } from "./loader.js";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

// Beside the bundle in dist/; when running from the source tree (tests), the build output.
setDefaultWasmUrl(new URL("./wasmrtc.wasm", import.meta.url), new URL("../../dist/wasmrtc.wasm", import.meta.url));
setModuleFileReader((u) => {
  const h = String(u);
  return readFile(h.startsWith("file:") ? fileURLToPath(h) : h);
});

/**
 * The crypto the Node entry uses: node:crypto, and in Deno its AES-GCM records
 * from OpenSSL over FFI when that loads (WASMRTC_DENO_CRYPTO=node turns it off).
 */
export function defaultNodeCrypto(): CryptoProvider {
  const env = typeof process !== "undefined" ? process.env?.WASMRTC_DENO_CRYPTO : undefined;
  return (env !== "node" && DenoOpenSslCryptoProvider.tryCreate()) || new NodeCryptoProvider();
}

let shared: Promise<Engine> | undefined;

/** WASMRTC_LOG="ice=debug,dtls=info" (or "all=debug") sets the core's log levels of the process's engine. */
function applyEnvLogSpec(e: Engine): void {
  const spec = typeof process !== "undefined" ? process.env?.WASMRTC_LOG : undefined;
  if (!spec) return;
  const bad = e.applyLogSpec(spec);
  if (bad.length) console.warn(`wasmrtc: WASMRTC_LOG: cannot apply ${bad.join(", ")} (layers: ice dtls sctp dcep peer turn stun core all; levels: debug info warning error none)`);
}
let sharedSync: Engine | undefined;

/**
 * The process-wide engine, loaded synchronously (Node compiles WebAssembly
 * synchronously): what the synchronous Godot API uses on its first call.
 */
export function loadNodeEngineSync(): Engine {
  if (!sharedSync) {
    sharedSync = Engine.loadSync({ crypto: defaultNodeCrypto() }, (u) => {
      const h = String(u);
      return readFileSync(h.startsWith("file:") ? fileURLToPath(h) : h);
    });
    shared ??= Promise.resolve(sharedSync);
    applyEnvLogSpec(sharedSync);
  }
  return sharedSync;
}

/** The process-wide engine instance with node:crypto. */
export function loadNodeEngine(opts: { crypto?: CryptoProvider; wasmBinary?: Uint8Array } = {}): Promise<Engine> {
  if (opts.crypto || opts.wasmBinary) {
    return Engine.load({ crypto: opts.crypto ?? new NodeCryptoProvider(), wasmBinary: opts.wasmBinary });
  }
  shared ??= Engine.load({ crypto: defaultNodeCrypto() }).then((e) => {
    applyEnvLogSpec(e);
    return e;
  });
  return shared;
}

export interface NodeEndpointOptions extends Partial<Omit<EndpointOptions, "engine" | "transport" | "clock">> {
  engine?: Engine;
  transport?: Transport;
  clock?: Clock;
}

/** An endpoint on real UDP sockets with the real clock. */
export async function createNodeEndpoint(opts: NodeEndpointOptions = {}): Promise<Endpoint> {
  const engine = opts.engine ?? (await loadNodeEngine());
  return Endpoint.create({
    ...opts,
    engine,
    transport: opts.transport ?? new NodeUdpTransport(),
    clock: opts.clock ?? new RealClock(),
  });
}
