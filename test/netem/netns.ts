// Two private network namespaces joined by an impaired link, for real UDP
// under bad networks (as root; netemUnavailable() says why not otherwise).
//
//   ns A (10.99.0.1, dev tn0) <-> relay (user-space netem) <-> ns B (10.99.0.2, dev tn0)
//
// The kernel here has no sch_netem (CONFIG_NET_SCH_NETEM is not set: `tc
// qdisc add dev X root netem ...` fails with "Specified qdisc kind is
// unknown"), so loss, delay, jitter, reordering and duplication are done by
// test/netem/relay.c, a small C program built on first use into build/netem/:
// it holds one TUN device in each namespace and moves IP packets between them
// as netem would. The rest is the kernel's: the MTU (`ip link set mtu`) and a
// rate limit (`tc qdisc add dev tn0 root tbf`) on each side's device. A TUN
// device instead of a veth pair: the two ends are still in different
// namespaces, every datagram crosses the relay (a veth pair would need a
// third namespace and a user-space bridge to get the same).
//
// Node children run in a namespace with `ip netns exec NS unshare --pid
// --fork --kill-child --mount-proc node FILE`: killing the child ends all it
// started. Names are unique per run (wrtcnetem-PID-N-a/b); cleanupLeftovers()
// removes those of runs whose process is gone (crashed or killed), and every
// link is removed on close(), on process exit, and when the relay (which dies
// with its parent) goes.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants, existsSync, mkdirSync, readFileSync, readdirSync, renameSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "../..");
export const PREFIX = "wrtcnetem";
export const DEV = "tn0";
export const IP_A = "10.99.0.1";
export const IP_B = "10.99.0.2";

/** One direction's impairments (netem's words). */
export interface Impairment {
  /** Packets dropped, %. */
  loss?: number;
  delayMs?: number;
  /** Uniform in [-jitter, +jitter] ms on top of the delay. */
  jitterMs?: number;
  /** % of packets that skip the delay and so overtake the others (netem's "reorder"). */
  reorder?: number;
  /** % of packets delivered twice. */
  duplicate?: number;
  /** Packets the relay holds at most (netem's limit, default 1000). */
  limit?: number;
  /** Rate limit of the sending side's device (kernel tc tbf), Mbit/s. */
  rateMbit?: number;
}

export interface LinkSpec {
  /** A -> B; `both` applies to each direction unless a2b/b2a say otherwise. */
  a2b?: Impairment;
  b2a?: Impairment;
  both?: Impairment;
  /** MTU of both devices (ip link set mtu). Default 1500. */
  mtu?: number;
  seed?: number;
}

export interface DirStats {
  packets: number;
  bytes: number;
  lost: number;
  overLimit: number;
  duplicated: number;
  reordered: number;
  delivered: number;
  deliveredBytes: number;
  /** IPv4 fragments seen: a datagram bigger than the MTU was sent. */
  fragments: number;
  /** Largest IP packet seen. */
  maxLen: number;
  maxHeld: number;
  /** Packets under 200 bytes (SACKs, FORWARD-TSNs, heartbeats: no DATA of size). */
  small: number;
}
export interface RelayStats {
  a2b: DirStats;
  b2a: DirStats;
}

export interface UdpCounters {
  InDatagrams: number;
  OutDatagrams: number;
  RcvbufErrors: number;
  SndbufErrors: number;
  InErrors: number;
}

const run = (cmd: string, args: string[], allowFail = false): string => {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 10000 });
  if (r.status !== 0 && !allowFail) {
    throw new Error(`${cmd} ${args.join(" ")}: ${r.error ?? ""}${r.stderr}`.trim());
  }
  return r.stdout ?? "";
};

const which = (name: string): string | null => {
  for (const dir of (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":").concat(["/usr/sbin", "/sbin"])) {
    const f = join(dir, name);
    try {
      accessSync(f, constants.X_OK);
      return f;
    } catch {
      /* next */
    }
  }
  return null;
};

/** Why links cannot be made here (null: they can). */
export function netemUnavailable(): string | null {
  if (process.platform !== "linux") return "not Linux";
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return "not root (ip netns and TUN devices need it)";
  if (!existsSync("/dev/net/tun")) return "no /dev/net/tun";
  for (const tool of ["ip", "tc", "unshare"]) if (!which(tool)) return `no ${tool} (Debian iproute2 / util-linux)`;
  if (!which("cc") && !which("gcc")) return "no C compiler for test/netem/relay.c";
  return null;
}

let relayBinary: string | null = null;
/** Compiles relay.c into build/netem/relay-HASH once (cached across runs by the source's hash). */
export function buildRelay(): string {
  if (relayBinary) return relayBinary;
  const src = join(here, "relay.c");
  const hash = createHash("sha256").update(readFileSync(src)).digest("hex").slice(0, 12);
  const dir = join(repoRoot, "build", "netem");
  const out = join(dir, `relay-${hash}`);
  if (!existsSync(out)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    run(which("cc") ?? "gcc", ["-O2", "-Wall", "-o", tmp, src]);
    renameSync(tmp, out);  // atomic: parallel runs never see half a binary
  }
  relayBinary = out;
  return out;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** Ends every process inside namespace `ns` (all of them are ours: the namespace is) and deletes it. */
function removeNamespace(ns: string): void {
  for (const line of run("ip", ["netns", "pids", ns], true).split("\n")) {
    const pid = Number(line.trim());
    if (pid > 0) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  }
  run("ip", ["netns", "del", ns], true);
}

const listNamespaces = (): string[] => {
  try {
    return readdirSync("/run/netns");
  } catch {
    return [];
  }
};

/** Removes namespaces left by earlier runs whose process is gone. Returns their names. */
export function cleanupLeftovers(): string[] {
  const removed: string[] = [];
  for (const ns of listNamespaces()) {
    const m = new RegExp(`^${PREFIX}-(\\d+)-\\d+-[ab]$`).exec(ns);
    if (!m || alive(Number(m[1]))) continue;
    removeNamespace(ns);
    removed.push(ns);
  }
  return removed;
}

const open = new Set<NetemLink>();
process.on("exit", () => {
  for (const l of open) l.closeSync();
});

export interface ChildOptions {
  args?: string[];
  env?: Record<string, string>;
  /** Each line the child prints on stdout that parses as JSON. */
  onMessage?: (msg: Record<string, unknown>) => void;
  /** Copy stderr to ours as it comes (also with WASMRTC_NETEM_VERBOSE=1). */
  echoStderr?: boolean;
}

export class NetnsChild {
  stdout = "";
  stderr = "";
  readonly exited: Promise<number | null>;
  constructor(readonly side: "a" | "b", readonly proc: ChildProcessWithoutNullStreams, opts: ChildOptions) {
    let buf = "";
    const echo = opts.echoStderr || process.env.WASMRTC_NETEM_VERBOSE === "1";
    proc.stdout.setEncoding("utf8").on("data", (d: string) => {
      this.stdout += d;
      buf += d;
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (!line.startsWith("{")) continue;
        try {
          opts.onMessage?.(JSON.parse(line) as Record<string, unknown>);
        } catch {
          /* not ours */
        }
      }
    });
    proc.stderr.setEncoding("utf8").on("data", (d: string) => {
      this.stderr += d;
      if (this.stderr.length > 400000) this.stderr = this.stderr.slice(-200000);
      if (echo) process.stderr.write(d.replace(/^/gm, `[${side}] `));
    });
    proc.stdin.on("error", () => {});
    this.exited = new Promise((r) => proc.on("close", (code) => r(code)));
  }
  send(msg: unknown): void {
    if (this.proc.stdin.writable) this.proc.stdin.write(`${JSON.stringify(msg)}\n`);
  }
  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGKILL");
  }
}

let counter = 0;

export class NetemLink {
  readonly nsA: string;
  readonly nsB: string;
  readonly ipA = IP_A;
  readonly ipB = IP_B;
  private relay: ChildProcessWithoutNullStreams | null = null;
  private relayLines: string[] = [];
  private relayWaiters: Array<(l: string) => void> = [];
  private children: NetnsChild[] = [];
  private closed = false;
  lastStats: RelayStats | null = null;

  constructor(readonly spec: LinkSpec) {
    const id = `${PREFIX}-${process.pid}-${++counter}`;
    this.nsA = `${id}-a`;
    this.nsB = `${id}-b`;
  }

  ns(side: "a" | "b"): string {
    return side === "a" ? this.nsA : this.nsB;
  }
  ip(side: "a" | "b"): string {
    return side === "a" ? this.ipA : this.ipB;
  }

  private nextRelayLine(timeoutMs = 5000): Promise<string> {
    const l = this.relayLines.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error("relay: no answer")), timeoutMs);
      this.relayWaiters.push((line) => (clearTimeout(t), res(line)));
    });
  }

  async open(): Promise<this> {
    open.add(this);
    const { spec } = this;
    const dir = (d?: Impairment): Impairment => ({ ...spec.both, ...d });
    const opts = (d: Impairment) =>
      [
        d.loss ? `loss=${d.loss}` : "",
        d.delayMs ? `delay=${d.delayMs}` : "",
        d.jitterMs ? `jitter=${d.jitterMs}` : "",
        d.reorder ? `reorder=${d.reorder}` : "",
        d.duplicate ? `dup=${d.duplicate}` : "",
        d.limit ? `limit=${d.limit}` : "",
      ].filter(Boolean).join(",") || "none=0";
    const a2b = dir(spec.a2b);
    const b2a = dir(spec.b2a);
    try {
      for (const ns of [this.nsA, this.nsB]) {
        run("ip", ["netns", "add", ns]);
        run("ip", ["-n", ns, "link", "set", "lo", "up"]);
      }
      this.relay = spawn(buildRelay(), [this.nsA, this.nsB, DEV, opts(a2b), opts(b2a), String(spec.seed ?? 1)], {
        stdio: ["pipe", "pipe", "pipe"],
      });
      let buf = "";
      let err = "";
      this.relay.stdout.setEncoding("utf8").on("data", (d: string) => {
        buf += d;
        for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          const w = this.relayWaiters.shift();
          if (w) w(line);
          else this.relayLines.push(line);
        }
      });
      this.relay.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
      this.relay.stdin.on("error", () => {});
      this.relay.on("close", (code) => {
        for (const w of this.relayWaiters.splice(0)) w(`relay exited (${code}): ${err.trim()}`);
        if (!this.closed) this.closeSync();
      });
      const ready = await this.nextRelayLine().catch(() => `relay did not start: ${err}`);
      if (ready !== "ready") throw new Error(`relay: ${ready}`);
      const mtu = String(spec.mtu ?? 1500);
      for (const [ns, local, remote, d] of [[this.nsA, IP_A, IP_B, a2b], [this.nsB, IP_B, IP_A, b2a]] as const) {
        run("ip", ["-n", ns, "addr", "add", local, "peer", `${remote}/32`, "dev", DEV]);
        // A long device queue: a relay that the scheduler holds back for a moment must not make losses of its own.
        run("ip", ["-n", ns, "link", "set", DEV, "mtu", mtu, "txqueuelen", "10000", "up"]);
        if (d.rateMbit) {
          // Kernel token bucket on the sender's device: at most `rate`, 15 kB bursts, 100 ms of queue (then dropped).
          run("ip", ["netns", "exec", ns, "tc", "qdisc", "add", "dev", DEV, "root", "tbf", "rate", `${d.rateMbit}mbit`,
            "burst", "15000", "latency", "100ms"]);
        }
      }
      return this;
    } catch (e) {
      this.closeSync();
      throw e;
    }
  }

  /** Runs `node FILE ...args` inside side's namespace (its own PID namespace too). */
  spawnNode(side: "a" | "b", file: string, opts: ChildOptions = {}): NetnsChild {
    if (this.closed) throw new Error("link closed");
    const proc = spawn("ip", ["netns", "exec", this.ns(side), "unshare", "--pid", "--fork", "--kill-child", "--mount-proc",
      process.execPath, file, ...(opts.args ?? [])], {
      cwd: repoRoot,
      env: { ...process.env, ...opts.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const child = new NetnsChild(side, proc, opts);
    this.children.push(child);
    return child;
  }

  /** The relay's counters so far. */
  async stats(): Promise<RelayStats> {
    if (!this.relay || this.closed) {
      if (this.lastStats) return this.lastStats;
      throw new Error("relay gone");
    }
    this.relay.stdin.write("stats\n");
    this.lastStats = JSON.parse(await this.nextRelayLine()) as RelayStats;
    return this.lastStats;
  }

  /** /proc/net/snmp's Udp line inside side's namespace (RcvbufErrors: datagrams the receiver's socket dropped). */
  udpCounters(side: "a" | "b"): UdpCounters {
    const text = run("ip", ["netns", "exec", this.ns(side), "cat", "/proc/net/snmp"]);
    const lines = text.split("\n").filter((l) => l.startsWith("Udp:"));
    const keys = lines[0]!.split(/\s+/).slice(1);
    const vals = lines[1]!.split(/\s+/).slice(1).map(Number);
    return Object.fromEntries(keys.map((k, i) => [k, vals[i]])) as unknown as UdpCounters;
  }

  /** The kernel qdiscs of side's device (tc -s): packets sent and dropped (a rate limit's tail drops show here, not in the relay). */
  qdiscStats(side: "a" | "b"): Array<{ kind: string; packets: number; drops: number; overlimits: number; backlog: number }> {
    const text = run("ip", ["netns", "exec", this.ns(side), "tc", "-s", "-j", "qdisc", "show", "dev", DEV], true);
    try {
      return (JSON.parse(text) as Array<Record<string, number & string>>).map((q) => ({
        kind: q.kind, packets: q.packets, drops: q.drops, overlimits: q.overlimits, backlog: q.backlog,
      }));
    } catch {
      return [];
    }
  }

  /** Ends the children and the relay and deletes both namespaces. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.relay && this.relay.exitCode === null) await this.stats().catch(() => null);
    this.closeSync();
  }

  closeSync(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.children) c.kill();
    if (this.relay && this.relay.exitCode === null) this.relay.kill("SIGKILL");
    removeNamespace(this.nsA);
    removeNamespace(this.nsB);
    open.delete(this);
  }
}

/** Makes a link (cleanupLeftovers() first is wise once per run). */
export async function createLink(spec: LinkSpec = {}): Promise<NetemLink> {
  return await new NetemLink(spec).open();
}
