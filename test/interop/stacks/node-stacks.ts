// werift, @roamhq/wrtc and node-datachannel as remote peers in this process,
// each configured to use only 127.0.0.1 (werift skips loopback unless told; see docs/architecture.md, testing).
import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { CoreRemotePeer, type CoreBackend } from "./remote-peer.js";
import { w3cPeerCore, type CoreEvent, type W3CCore } from "./w3c-core.js";
import type { RemoteCreateOptions, RemotePeer, RemoteStack, StackName } from "./types.js";

const require = createRequire(import.meta.url);

function pkgVersion(name: string): string {
  try {
    // Not every package exports ./package.json; find it beside the resolved entry.
    let dir = dirname(require.resolve(name));
    for (let i = 0; i < 8; i++, dir = dirname(dir)) {
      const f = join(dir, "package.json");
      if (!existsSync(f)) continue;
      const pkg = JSON.parse(readFileSync(f, "utf8")) as { name?: string; version?: string };
      if (pkg.name === name) return pkg.version ?? "?";
    }
    return "?";
  } catch {
    return "?";
  }
}

interface NodeStackDef {
  pkg: string;
  load(): Promise<new (cfg?: unknown) => unknown>;
  config: Record<string, unknown>;
  sendable(u8: Uint8Array): unknown;
}

const copy = (u8: Uint8Array) => new Uint8Array(u8);  // own ArrayBuffer, offset 0

const DEFS: Record<Exclude<StackName, "chromium" | "pion">, NodeStackDef> = {
  werift: {
    pkg: "werift",
    load: async () => (await import("werift")).RTCPeerConnection as never,
    // werift skips loopback interfaces unless told.
    config: { iceServers: [], iceAdditionalHostAddresses: ["127.0.0.1"] },
    sendable: (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength),
  },
  wrtc: {
    pkg: "@roamhq/wrtc",
    load: async () => require("@roamhq/wrtc").RTCPeerConnection,
    config: { iceServers: [] },
    sendable: copy,
  },
  "node-datachannel": {
    pkg: "node-datachannel",
    load: async () => {
      if (process.env.WASMRTC_NDC_LOG) {
        const lib = await import("node-datachannel");
        lib.initLogger(process.env.WASMRTC_NDC_LOG as never, (level: string, msg: string) => process.stderr.write(`[ndc ${level}] ${msg}\n`));
      }
      return (await import("node-datachannel/polyfill")).RTCPeerConnection as never;
    },
    config: { iceServers: [], bindAddress: "127.0.0.1" },
    sendable: copy,
  },
};

/** The RTCPeerConnection class of a Node stack (for the benchmark and fixtures). */
export async function loadNodeRTC(name: Exclude<StackName, "chromium" | "pion">) {
  const def = DEFS[name];
  return { PC: await def.load(), config: def.config, sendable: def.sendable, version: pkgVersion(def.pkg) };
}

export async function nodeStack(name: Exclude<StackName, "chromium" | "pion">): Promise<RemoteStack> {
  const def = DEFS[name];
  const PC = await def.load();
  const t0 = Date.now();
  const peers: W3CCore[] = [];
  return {
    name,
    version: `${def.pkg} ${pkgVersion(def.pkg)}`,
    async create(opts: RemoteCreateOptions = {}): Promise<RemotePeer> {
      let peer: CoreRemotePeer | null = null;
      const queued: CoreEvent[] = [];
      const core = w3cPeerCore({
        PC,
        config: { ...def.config },
        emit: (ev) => (peer ? peer.handleEvent(ev) : queued.push(ev)),
        now: () => Date.now() - t0,
        sendable: def.sendable,
        fromB64: (s) => new Uint8Array(Buffer.from(s, "base64")),
      });
      peers.push(core);
      const backend: CoreBackend = {
        call: async (m, ...args) => (core as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[m]!(...args),
        payload: (d) => (typeof d === "string" ? { text: d } : { bytes: d }),
      };
      peer = new CoreRemotePeer(name, backend);
      for (const ev of queued) peer.handleEvent(ev);
      for (const spec of opts.channels ?? []) await peer.createChannel(spec);
      return peer;
    },
    async shutdown() {
      for (const p of peers) await p.close().catch(() => {});
    },
  };
}
