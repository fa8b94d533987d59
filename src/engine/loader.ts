// Loads the standalone WebAssembly module ourselves: bytes from `fs` in Node,
// `fetch` in browsers, or given by the caller. No emscripten JS glue, so the
// same code works from ESM, CJS and bundlers.
import type { CryptoProvider } from "../crypto/provider.js";
import { createCryptoImports } from "./host-crypto.js";

/** level: 0 debug, 1 info, 2 warning, 3 error; layer: "core", "ice", "dtls", "sctp", "dcep", "peer", "turn", "stun". */
export type LogFn = (level: number, message: string, layer: string) => void;

export const LOG_LAYERS = ["core", "ice", "dtls", "sctp", "dcep", "peer", "turn", "stun"] as const;
export type LogLayerName = (typeof LOG_LAYERS)[number];
export const LOG_LEVELS = ["debug", "info", "warning", "error", "none"] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

let engineLogSink: LogFn | null = null;
/** Where the engine's log lines go when an engine was loaded without its own `log` (default: warnings and errors on the console). */
export function setEngineLogSink(sink: LogFn | null): void {
  engineLogSink = sink;
}

export interface LoadOptions {
  /** The module bytes; when absent they are read from beside the package entry. */
  wasmBinary?: Uint8Array | ArrayBuffer;
  /** Where to fetch/read the module from when `wasmBinary` is absent. */
  wasmUrl?: string | URL;
  crypto: CryptoProvider;
  log?: LogFn;
}

/** Exports of the module that the TypeScript side calls (see wasm/abi.cc). */
export interface EngineExports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  wr_alloc(size: number): number;
  wr_free(ptr: number): void;
  [name: string]: unknown;
}

export interface EngineInstance {
  readonly exports: EngineExports;
  readonly memory: WebAssembly.Memory;
  /** A view of all of wasm memory, refreshed when memory has grown. */
  u8(): Uint8Array;
  dv(): DataView;
  alloc(size: number): number;
  free(ptr: number): void;
  /** Copies bytes into freshly allocated wasm memory; caller frees. */
  copyIn(bytes: Uint8Array): number;
  readString(ptr: number, len: number): string;
  /** Receives NSS key log lines while set (see Engine.setKeyLog). */
  keylog: ((line: string) => void) | null;
}

const ENOSYS = 52;
const textDecoder = new TextDecoder();

function defaultLog(level: number, message: string, layer: string): void {
  if (engineLogSink) {
    engineLogSink(level, message, layer);
    return;
  }
  if (level >= 3) console.error(`[wasmrtc] ${message}`);
  else if (level === 2) console.warn(`[wasmrtc] ${message}`);
}

/** Reads the module's bytes from a location; the Node entry installs one for file: URLs and paths. */
export type ModuleReader = (url: string | URL) => Promise<Uint8Array | ArrayBuffer>;
let fileReader: ModuleReader | null = null;

/** Lets the Node entry read file: URLs and paths (the browser build never contains node:fs). */
export function setModuleFileReader(reader: ModuleReader | null): void {
  fileReader = reader;
}

const isWasm = (b: Uint8Array | ArrayBuffer) => {
  const u = b instanceof Uint8Array ? b : new Uint8Array(b);
  return u.length >= 4 && u[0] === 0 && u[1] === 0x61 && u[2] === 0x73 && u[3] === 0x6d;
};

async function readModuleBytes(opts: LoadOptions): Promise<Uint8Array | ArrayBuffer> {
  if (opts.wasmBinary) return opts.wasmBinary;
  const urls = opts.wasmUrl ? [opts.wasmUrl] : defaultUrls;
  if (urls.length === 0) throw new Error("wasmrtc: no wasmBinary given and no default module location set");
  let lastError: unknown;
  for (const u of urls) {
    const href = String(u);
    try {
      let bytes: Uint8Array | ArrayBuffer;
      if (href.startsWith("file:") || (!/^[a-z][a-z0-9+.-]*:/i.test(href) && fileReader)) {
        if (!fileReader) throw new Error(`wasmrtc: cannot read ${href} here (file URLs need the Node entry)`);
        bytes = await fileReader(u);
      } else {
        const res = await fetch(u);
        if (!res.ok) throw new Error(`wasmrtc: cannot fetch ${href}: HTTP ${res.status}`);
        bytes = await res.arrayBuffer();
      }
      if (!isWasm(bytes)) {
        // A dev server that answers every unknown path with index.html (Vite with pre-bundled deps) lands here.
        throw new Error(`wasmrtc: ${href} is not a WebAssembly module (wrong URL?). With a bundler, pass ` +
          "wasmUrl (e.g. Vite: import wasmUrl from 'wasmrtc/wasmrtc.wasm?url'), or exclude wasmrtc from Vite's optimizeDeps");
      }
      return bytes;
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

let defaultUrls: Array<string | URL> = [];
/** Lets an entry point say where the .wasm lives; in Node the first that exists is used. */
export function setDefaultWasmUrl(...urls: Array<string | URL>): void {
  defaultUrls = urls;
}

let cachedModule: { bytes: unknown; module: WebAssembly.Module } | undefined;

export async function loadEngine(opts: LoadOptions): Promise<EngineInstance> {
  let module: WebAssembly.Module;
  if (cachedModule && (opts.wasmBinary === undefined || cachedModule.bytes === opts.wasmBinary)) {
    module = cachedModule.module;
  } else {
    const bytes = await readModuleBytes(opts);
    module = await WebAssembly.compile(bytes as BufferSource);
    cachedModule = { bytes: opts.wasmBinary, module };
  }
  return instantiateEngine(module, opts);
}

/**
 * Synchronous load for hosts that allow synchronous compilation (Node): the
 * Godot API is synchronous, so its first initialize() may need the engine at once.
 * `readSync` reads the module bytes from a location when `wasmBinary` is absent.
 */
export function loadEngineSync(opts: LoadOptions, readSync: (url: string | URL) => Uint8Array): EngineInstance {
  let module: WebAssembly.Module | undefined;
  if (cachedModule && (opts.wasmBinary === undefined || cachedModule.bytes === opts.wasmBinary)) {
    module = cachedModule.module;
  } else {
    let bytes: Uint8Array | ArrayBuffer | undefined = opts.wasmBinary;
    let lastError: unknown = new Error("wasmrtc: no wasmBinary given and no default module location set");
    for (const u of bytes ? [] : opts.wasmUrl ? [opts.wasmUrl] : defaultUrls) {
      try {
        bytes = readSync(u);
        break;
      } catch (e) {
        lastError = e;
      }
    }
    if (!bytes) throw lastError;
    module = new WebAssembly.Module(bytes as BufferSource);
    cachedModule = { bytes: opts.wasmBinary, module };
  }
  return instantiateEngine(module, opts);
}

export function instantiateEngine(module: WebAssembly.Module, opts: LoadOptions): EngineInstance {
  const log = opts.log ?? defaultLog;
  let memory: WebAssembly.Memory | undefined;
  let view = new Uint8Array(0);
  let dataView = new DataView(new ArrayBuffer(0));
  const u8 = (): Uint8Array => {
    if (view.buffer !== memory!.buffer) {
      view = new Uint8Array(memory!.buffer);
      dataView = new DataView(memory!.buffer);
    }
    return view;
  };
  const dv = (): DataView => {
    u8();
    return dataView;
  };
  const readString = (ptr: number, len: number): string => textDecoder.decode(u8().subarray(ptr, ptr + len));

  let inst: EngineInstance | null = null;
  const host: Record<string, (...args: number[]) => number | void> = {
    log(level: number, layer: number, ptr: number, len: number) {
      log(level, readString(ptr, len), LOG_LAYERS[layer] ?? "core");
    },
    keylog(ptr: number, len: number) {
      inst?.keylog?.(readString(ptr, len));
    },
  };
  const env: Record<string, (...args: number[]) => number | void> = {
    emscripten_notify_memory_growth() {
      u8();
    },
  };
  const imports: WebAssembly.Imports = {
    wasmrtc_host: host,
    wasmrtc_crypto: createCryptoImports(opts.crypto, u8) as WebAssembly.ModuleImports,
    env,
    wasi_snapshot_preview1: {
      proc_exit(code: number) {
        throw new Error(`wasmrtc: module called exit(${code})`);
      },
    },
  };
  // Any other import the toolchain adds (fd_write and friends) is a stub: the
  // core does no IO. An unknown import from our own modules is a build error.
  for (const imp of WebAssembly.Module.imports(module)) {
    const ns = (imports[imp.module] ??= {}) as Record<string, unknown>;
    if (imp.kind === "function" && !(imp.name in ns)) {
      if (imp.module === "wasmrtc_host" || imp.module === "wasmrtc_crypto") {
        throw new Error(`wasmrtc: host does not provide ${imp.module}.${imp.name}`);
      }
      ns[imp.name] = () => ENOSYS;
    }
  }
  const instance = new WebAssembly.Instance(module, imports);
  const exports = instance.exports as unknown as EngineExports;
  memory = exports.memory;
  exports._initialize();
  const alloc = (size: number): number => {
    const p = exports.wr_alloc(size);
    if (!p) throw new Error("wasmrtc: out of memory");
    return p;
  };
  inst = {
    exports,
    memory,
    keylog: null,
    u8,
    dv,
    alloc,
    free: (ptr: number) => exports.wr_free(ptr),
    copyIn(bytes: Uint8Array): number {
      const p = alloc(Math.max(1, bytes.length));
      u8().set(bytes, p);
      return p;
    },
    readString,
  };
  return inst;
}
