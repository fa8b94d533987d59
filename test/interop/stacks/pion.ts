// pion/webrtc (Go; 3.1.56 from Debian's sources) as a remote peer: one child
// process running the echo peer of test/interop/pion/echo (built by
// test/interop/pion/build.mjs), driven with JSON lines on stdin/stdout. Every
// peer of the stack lives in that one process; its events have the shape of
// the W3C core's (w3c-core.ts), so CoreRemotePeer drives it like the others.
//
// Pion's log goes to the child's stderr: kept in `logs` (the last 4000 lines
// or more); its warnings and errors are copied to our stderr (prefixed
// "[pion] "), every line with WASMRTC_PION_VERBOSE=1. PION_LOG_* from the
// environment select what pion logs (PION_LOG_DEBUG=all, PION_LOG_TRACE=sctp);
// without any, warnings of the sctp scope are on, so a packet pion cannot
// parse shows up.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { ensurePionEcho } from "../pion/build.mjs";
import { CoreRemotePeer, type CoreBackend } from "./remote-peer.js";
import type { CoreEvent } from "./w3c-core.js";
import type { RemoteCreateOptions, RemotePeer, RemoteStack } from "./types.js";

export interface PionStack extends RemoteStack {
  /** Pion's log lines (stderr of the echo peer), oldest first. */
  readonly logs: string[];
  /** Lines pion wrote that match a pattern. */
  grepLogs(re: RegExp): string[];
  readonly binary: string;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; what: string };

/** Methods of CoreRemotePeer's backend, as requests of the echo peer. */
function request(method: string, args: unknown[]): Record<string, unknown> {
  switch (method) {
    case "createChannel":
      return { op: method, spec: args[0] };
    case "acceptOffer":
    case "acceptAnswer":
      return { op: method, sdp: args[0] };
    case "addCandidate":
      return { op: method, mid: args[0], index: args[1], line: args[2] };
    case "send":
      return { op: method, key: args[0], ...(args[1] as object) };
    case "setEcho":
      return { op: method, key: args[0], on: args[1] };
    case "info":
    case "bufferedAmount":
    case "closeChannel":
      return { op: method, key: args[0] };
    default:  // createOffer, maxMessageSize, state, close
      return { op: method };
  }
}

export async function pionStack(opts: { binary?: string; env?: Record<string, string> } = {}): Promise<PionStack> {
  const binary = opts.binary ?? process.env.WASMRTC_PION_ECHO ?? ensurePionEcho((l) => process.stderr.write(`${l}\n`));
  const hasPionLog = Object.keys(process.env).some((k) => k.startsWith("PION_LOG_"));
  const child: ChildProcessWithoutNullStreams = spawn(binary, [], {
    env: { ...process.env, ...(hasPionLog ? {} : { PION_LOG_WARN: "sctp" }), ...opts.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const logs: string[] = [];
  const verbose = process.env.WASMRTC_PION_VERBOSE === "1";
  createInterface({ input: child.stderr }).on("line", (l) => {
    logs.push(l);
    if (logs.length > 8000) logs.splice(0, 4000);
    if (verbose || / (WARNING|ERROR): /.test(l)) process.stderr.write(`[pion] ${l}\n`);
  });
  let exited: string | null = null;
  const pending = new Map<number, Pending>();
  const peers = new Map<number, CoreRemotePeer>();
  const early = new Map<number, CoreEvent[]>();
  child.on("exit", (code, signal) => {
    exited = `pion echo peer exited (${signal ?? code})`;
    for (const p of pending.values()) p.reject(new Error(`${exited} during ${p.what}`));
    pending.clear();
  });
  child.stdin.on("error", () => {});
  createInterface({ input: child.stdout, crlfDelay: Infinity }).on("line", (line) => {
    if (!line.trim()) return;
    let m: Record<string, any>;  // eslint-disable-line @typescript-eslint/no-explicit-any
    try {
      m = JSON.parse(line);
    } catch {
      logs.push(`(stdout, not JSON) ${line.slice(0, 500)}`);
      return;
    }
    if (typeof m.id === "number") {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (!p) return;
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`pion ${p.what}: ${m.error}`));
      return;
    }
    const peerId = m.peer as number;
    let ev = m as unknown as CoreEvent;
    if (m.t === "message") {
      const data = m.b64 ? new Uint8Array(Buffer.from(m.b64 as string, "base64")) : new Uint8Array(m.len as number);
      ev = { t: "message", key: m.key, isString: m.isString, data, at: m.at };
    }
    const peer = peers.get(peerId);
    if (peer) peer.handleEvent(ev);
    else early.set(peerId, [...(early.get(peerId) ?? []), ev]);
  });
  let nextId = 1;
  const call = (msg: Record<string, unknown>, what: string): Promise<any> => {  // eslint-disable-line @typescript-eslint/no-explicit-any
    if (exited) return Promise.reject(new Error(`${exited}; ${what} not sent`));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject, what });
      child.stdin.write(`${JSON.stringify({ id, ...msg })}\n`);
    });
  };
  const version = String(await call({ op: "version" }, "version"));
  let nextPeer = 1;
  return {
    name: "pion",
    version,
    binary,
    logs,
    grepLogs: (re) => logs.filter((l) => re.test(l)),
    async create(o: RemoteCreateOptions = {}): Promise<RemotePeer> {
      const id = nextPeer++;
      await call({ op: "create", peer: id }, "create");
      const backend: CoreBackend = {
        call: (method, ...args) => call({ ...request(method, args), peer: id }, method),
        payload: (d) => (typeof d === "string" ? { text: d } : { b64: Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString("base64") }),
      };
      const peer = new CoreRemotePeer("pion", backend);
      peers.set(id, peer);
      for (const ev of early.get(id) ?? []) peer.handleEvent(ev);
      early.delete(id);
      for (const spec of o.channels ?? []) await peer.createChannel(spec);
      return peer;
    },
    async shutdown() {
      if (exited) return;
      const gone = new Promise<void>((r) => child.once("exit", () => r()));
      child.stdin.write(`${JSON.stringify({ op: "exit" })}\n`);
      child.stdin.end();
      const t = setTimeout(() => child.kill("SIGKILL"), 4000);
      await gone;
      clearTimeout(t);
    },
  };
}
