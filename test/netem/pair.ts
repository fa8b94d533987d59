// One run across an impaired link: a link (netns.ts), the drive end in
// namespace A and the echo end in B (peer-child.mjs, or chromium-child.mjs
// for Chromium), signaling relayed through this process, both ends' results,
// the relay's counters and each namespace's UDP counters. The link is gone
// when runPair returns or throws.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLink, type LinkSpec, type NetemLink, type RelayStats, type UdpCounters, here } from "./netns.js";

export type Stack = "ours" | "ndc" | "chromium";

export interface ModeSpec {
  label: string;
  init: { ordered?: boolean; maxRetransmits?: number; maxPacketLifeTime?: number };
}

export const MODES: ModeSpec[] = [
  { label: "reliable", init: {} },
  { label: "unordered", init: { ordered: false } },
  { label: "maxRetransmits0", init: { ordered: false, maxRetransmits: 0 } },
  { label: "maxPacketLifeTime100", init: { maxPacketLifeTime: 100 } },
];
export const isPartial = (m: ModeSpec) => m.init.maxRetransmits !== undefined || m.init.maxPacketLifeTime !== undefined;

export type Task =
  | { kind: "matrix"; modes: ModeSpec[]; count: number; maxSize: number; bound: number; quietMs: number }
  | { kind: "throughput"; seconds: number; msgSize: number; bound: number };

export interface EndConfig {
  stack: Stack;
  receiveWindow?: number;
}

export interface ChannelRecord {
  label: string;
  ordered: boolean;
  delivered: number;
  bytes: number;
  duplicates: number;
  corrupt: number;
  outOfOrder: number;
  beyond: number;
  firstAt: number | null;
  lastAt: number | null;
  maxGapMs: number;
}

export interface EndResult {
  stack: Stack;
  role: "drive" | "echo";
  info: string;
  state: string;
  marks: Record<string, number>;
  connectedAt: number | null;
  openAt: number | null;
  doneAt: number | null;
  records: ChannelRecord[];
  sent: Array<{ label: string; sent: number; bytes: number; lastSendAt: number | null }>;
  errors: string[];
  logs: string[];
  budgetExceeded?: boolean;
  throughput?: { bytes: number; seconds: number; mbit: number; bestSecondMbit: number; secondHalfMbit: number };
}

export interface PairResult {
  name: string;
  drive?: EndResult;
  echo?: EndResult;
  relay?: RelayStats;
  udp?: { a: UdpCounters; b: UdpCounters };
  qdisc?: { a: ReturnType<NetemLink["qdiscStats"]>; b: ReturnType<NetemLink["qdiscStats"]> };
  ms: number;
  /** Why the run did not finish (timeout, a child gone). */
  problem?: string;
  stderr: { a: string; b: string };
}

const CHILD = join(here, "peer-child.mjs");
const CHROMIUM_CHILD = join(here, "chromium-child.mjs");

export async function runPair(name: string, link: LinkSpec, drive: EndConfig, echo: EndConfig, task: Task,
  budgetMs: number): Promise<PairResult> {
  const start = Date.now();
  const l: NetemLink = await createLink(link);
  const res: PairResult = { name, ms: 0, stderr: { a: "", b: "" } };
  // Each Chromium end's temporary profile under a directory of its own, removed below even if the browser was killed.
  const tmpDirs: string[] = [];
  const child = (e: EndConfig): { file: string; env: Record<string, string> } => {
    if (e.stack !== "chromium") return { file: CHILD, env: {} };
    const dir = mkdtempSync(join(tmpdir(), "wasmrtc-netem-chromium-"));
    tmpDirs.push(dir);
    return { file: CHROMIUM_CHILD, env: { TMPDIR: dir } };
  };
  try {
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const results: Partial<Record<"drive" | "echo", EndResult>> = {};
    let gotAll!: () => void;
    const allReported = new Promise<void>((r) => (gotAll = r));
    const onResult = (role: "drive" | "echo", r: EndResult) => {
      results[role] = r;
      if (Object.keys(results).length === 2) gotAll();
      if (role === "drive") done();  // drive ran out of budget
    };
    const args = (role: "drive" | "echo", e: EndConfig, ip: string) => [JSON.stringify({ ...e, role, ip, task, budgetMs })];
    const ca = child(drive);
    const cb = child(echo);
    const a = l.spawnNode("a", ca.file, {
      args: args("drive", drive, l.ipA),
      env: ca.env,
      onMessage: (m) => {
        if (m.sig) b.send({ sig: m.sig });
        if (m.done) done();
        if (m.result) onResult("drive", m.result as EndResult);
      },
    });
    const b = l.spawnNode("b", cb.file, {
      args: args("echo", echo, l.ipB),
      env: cb.env,
      onMessage: (m) => {
        if (m.sig) a.send({ sig: m.sig });
        if (m.result) onResult("echo", m.result as EndResult);
      },
    });
    const gone = (c: typeof a) => c.exited.then((code) => `${c.side === "a" ? "drive" : "echo"} end exited (${code}) early`);
    const hard = new Promise<string>((r) => setTimeout(() => r(`no end after ${budgetMs + 4000} ms`), budgetMs + 4000).unref());
    const first = await Promise.race([finished.then(() => null), gone(a), gone(b), hard]);
    if (first) res.problem = first;
    a.send({ cmd: "report" });
    b.send({ cmd: "report" });
    const why = await Promise.race([allReported.then(() => null),
      new Promise<string>((r) => setTimeout(() => r("no report within 3 s"), 3000).unref())]);
    if (why) res.problem = [res.problem, why].filter(Boolean).join("; ");
    res.drive = results.drive;
    res.echo = results.echo;
    res.relay = await l.stats().catch(() => undefined);
    res.udp = { a: l.udpCounters("a"), b: l.udpCounters("b") };
    res.qdisc = { a: l.qdiscStats("a"), b: l.qdiscStats("b") };
    a.send({ cmd: "exit" });
    b.send({ cmd: "exit" });
    await Promise.race([Promise.all([a.exited, b.exited]), new Promise((r) => setTimeout(r, 1000))]);
    res.stderr = { a: a.stderr.slice(-3000), b: b.stderr.slice(-3000) };
  } finally {
    await l.close();
    for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
    res.ms = Date.now() - start;
  }
  return res;
}
