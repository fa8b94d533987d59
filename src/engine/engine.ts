// One WebAssembly instance hosts any number of endpoints (handles). This class
// owns the instance and the scratch buffers in wasm memory that carry packed
// datagram records across the boundary.
import type { CryptoProvider } from "../crypto/provider.js";
import { LOG_LAYERS, LOG_LEVELS, instantiateEngine, loadEngine, loadEngineSync, type EngineInstance, type LogFn, type LogLayerName, type LogLevelName } from "./loader.js";

export interface EngineOptions {
  crypto: CryptoProvider;
  wasmBinary?: Uint8Array | ArrayBuffer;
  wasmUrl?: string | URL;
  log?: LogFn;
}

/** The C ABI of wasm/abi.cc. Times are microseconds as f64; handles are u32. */
export interface EngineAbi {
  wr_endpoint_new(cfgPtr: number, cfgLen: number): number;
  wr_endpoint_free(h: number): number;
  wr_endpoint_input(h: number, nowUs: number, ptr: number, len: number): number;
  wr_endpoint_timeout(h: number, nowUs: number): number;
  wr_endpoint_poll(h: number, outPtr: number, cap: number): number;
  wr_endpoint_next_deadline(h: number): number;
  wr_endpoint_stun_request(h: number, nowUs: number, socket: number, family: number, port: number, ipPtr: number): number;
  wr_endpoint_count(): number;
  wr_endpoint_stats(h: number, outPtr: number): number;
  wr_ice_new(h: number, nowUs: number, cfgPtr: number, cfgLen: number): number;
  wr_ice_add_host(h: number, id: number, socket: number, family: number, port: number, ipPtr: number): number;
  wr_ice_add_server(h: number, id: number, kind: number, family: number, port: number, ipPtr: number,
    user: number, userLen: number, pass: number, passLen: number): number;
}

export const OUTPUT_CAPACITY = 256 * 1024;

export class Engine {
  readonly abi: EngineAbi;
  /** Scratch areas in wasm memory, reused by every call. */
  inPtr: number;
  inCap: number;
  outPtr: number;
  outCap = OUTPUT_CAPACITY;
  readonly scratchPtr: number;

  private constructor(readonly wasm: EngineInstance) {
    this.abi = wasm.exports as unknown as EngineAbi;
    this.inCap = 64 * 1024;
    this.inPtr = wasm.alloc(this.inCap);
    this.outPtr = wasm.alloc(this.outCap);
    this.scratchPtr = wasm.alloc(256);
  }

  static async load(opts: EngineOptions): Promise<Engine> {
    return new Engine(await loadEngine(opts));
  }

  /** A fresh instance of an already compiled module (own memory, own certificate): synchronous everywhere. */
  static instantiate(module: WebAssembly.Module, opts: Omit<EngineOptions, "wasmBinary" | "wasmUrl">): Engine {
    return new Engine(instantiateEngine(module, opts));
  }

  /** Synchronous load where the host allows it (Node); `readSync` reads the module bytes. */
  static loadSync(opts: EngineOptions, readSync: (url: string | URL) => Uint8Array): Engine {
    return new Engine(loadEngineSync(opts, readSync));
  }

  /** Makes sure the input scratch area holds at least `bytes`. */
  ensureInput(bytes: number): void {
    if (bytes <= this.inCap) return;
    let cap = this.inCap;
    while (cap < bytes) cap *= 2;
    this.wasm.free(this.inPtr);
    this.inPtr = this.wasm.alloc(cap);
    this.inCap = cap;
  }

  /** Grows the output area so one record of `bytes` fits (a message up to the max-message-size). */
  ensureOutput(bytes: number): void {
    if (bytes <= this.outCap) return;
    let cap = this.outCap;
    while (cap < bytes) cap *= 2;
    this.wasm.free(this.outPtr);
    this.outPtr = this.wasm.alloc(cap);
    this.outCap = cap;
  }

  /**
   * What the core logs, per layer ("ice", "dtls", "sctp", "dcep", "peer", "turn",
   * "stun", "core", or "all"): lines below `level` are not even built. Default
   * "warning". Returns false for an unknown layer or level.
   */
  setLogLevel(layer: LogLayerName | "all", level: LogLevelName): boolean {
    const lv = LOG_LEVELS.indexOf(level);
    const layers = layer === "all" ? LOG_LAYERS.map((_, i) => i) : [LOG_LAYERS.indexOf(layer as LogLayerName)];
    if (lv < 0 || layers.some((l) => l < 0)) return false;
    const set = (this.abi as unknown as { wr_set_log_level?: (layer: number, level: number) => void }).wr_set_log_level;
    for (const l of layers) set?.(l, lv);
    return true;
  }

  /** Applies a spec such as "ice=debug,dtls=info" (or "all=debug"), e.g. from WASMRTC_LOG. Returns what it could not apply. */
  applyLogSpec(spec: string): string[] {
    const bad: string[] = [];
    for (const part of spec.split(",").map((x) => x.trim()).filter(Boolean)) {
      const [layer, level] = part.split("=") as [string, string | undefined];
      if (!level || !this.setLogLevel(layer as LogLayerName, level as LogLevelName)) bad.push(part);
    }
    return bad;
  }

  /**
   * Debugging: every DTLS handshake of this engine writes one NSS key log line
   * ("CLIENT_RANDOM <client random> <master secret>") to `sink`, so Wireshark
   * can decrypt a capture. null turns it off. Anyone with these lines can read
   * the traffic: never in production.
   */
  setKeyLog(sink: ((line: string) => void) | null): void {
    this.wasm.keylog = sink;
    (this.abi as unknown as { wr_set_keylog?: (on: number) => void }).wr_set_keylog?.(sink ? 1 : 0);
  }

  /** Number of live endpoint handles inside the module (leak checks). */
  endpointCount(): number {
    return this.abi.wr_endpoint_count();
  }
}
