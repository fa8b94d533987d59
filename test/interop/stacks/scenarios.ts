// The interop matrix for one foreign stack, run inside one private network
// namespace (one child process): both directions (we offer / they offer), four
// reliability modes, in-band channels opened by each side (DCEP) and
// negotiated ones, binary and text messages from 1 B to 256 KiB both ways with
// echo both ways, channel close seen across, connection close seen across.
// It only observes and records; the test file asserts on the record.
import { createHash, randomBytes } from "node:crypto";
import { ourSide, createOurPeer, ourLogs, GodotError, type OurSideInfo } from "../../helpers/our-peer.js";
import { OurPeer, sleep, until, type OurChannel } from "./godot-side.js";
import type { RemoteChannel, RemotePeer, RemoteStack } from "./types.js";

export const SIZES = [1, 1024, 16384, 65536, 262144];
export const MODES = [
  { tag: "rel", opts: { ordered: true } },
  { tag: "unord", opts: { ordered: false } },
  { tag: "rtx0", opts: { ordered: false, maxRetransmits: 0 } },
  { tag: "plt100", opts: { maxPacketLifeTime: 100 } },
] as const;
export const NEGOTIATED_BASE_ID = 40;
export const KINDS = ["us", "them", "neg"] as const;
export type Kind = (typeof KINDS)[number];
export const reliable = (tag: string) => tag === "rel" || tag === "unord";

export const hash = (b: Uint8Array) => createHash("sha256").update(b).digest("hex").slice(0, 24);
const utf8 = new TextEncoder();

/** A string whose UTF-8 form is exactly n bytes, mixing 1- to 4-byte characters. */
export function textOfBytes(n: number, seed: number): string {
  const pool = ["a", "Z", "0", " ", "é", "ß", "✓", "€", "語", "😀"];
  let s = "";
  let left = n;
  let x = seed >>> 0 || 1;
  while (left > 0) {
    x = (x * 1103515245 + 12345) >>> 0;
    const c = pool[x % pool.length]!;
    const w = utf8.encode(c).length;
    if (w <= left) {
      s += c;
      left -= w;
    } else {
      s += "x";
      left -= 1;
    }
  }
  return s;
}

/** a=max-message-size of an SDP: 65536 when absent (RFC 8841), Infinity for 0 (no limit). */
export function sdpMaxMessageSize(sdp: string): number {
  const m = /^a=max-message-size:(\d+)/m.exec(sdp);
  if (!m) return 65536;
  const v = Number(m[1]);
  return v === 0 ? Infinity : v;
}
export const sdpSetup = (sdp: string) => /^a=setup:(\w+)/m.exec(sdp)?.[1] ?? "";

export interface FlowRecord {
  channel: string;
  /** "us>them": we put_packet, they receive and echo; "them>us": they send, we receive and echo. */
  dir: "us>them" | "them>us";
  size: number;
  text: boolean;
  attempts: number;
  /** Our put_packet result (us>them) or our echo put_packet result (them>us); -1 when not called. */
  put: number;
  sentHash: string;
  gotHash?: string;
  gotLen?: number;
  gotString?: boolean;
  echoHash?: string;
  echoString?: boolean;
  /** Size above the receiver's a=max-message-size: nothing may be sent. */
  oversize?: boolean;
  /** After an oversize attempt: a sentinel sent next; what the receiver saw meanwhile. */
  sentinelNext?: boolean;
  extraMessages?: number;
  /** The remote refused to send (threw). */
  remoteError?: string;
  /**
   * A partially reliable channel gave a large message up on every attempt (loopback receivers drop
   * datagrams under load: RcvbufErrors). Allowed by the channel's reliability; nothing else may be wrong.
   */
  lostAsAllowed?: boolean;
  error?: string;
  ms: number;
}

export interface ChannelRecord {
  label: string;
  kind: Kind;
  mode: string;
  ours: { id: number; label: string; ordered: boolean; maxRetransmits: number; maxPacketLifeTime: number; protocol: string; negotiated: boolean; state: number } | null;
  theirs: { id: number | null; label: string; ordered: boolean; maxRetransmits: number | null; maxPacketLifeTime: number | null; protocol: string; negotiated: boolean; readyState: string } | null;
}

export interface CloseRecord {
  what: string;
  /** Our get_ready_state()/get_connection_state() right after our close call. */
  localAfter?: number;
  seen: boolean;
  ms: number;
  detail?: string;
}

export interface ConnectionRecord {
  stack: string;
  weOffer: boolean;
  offer: string;
  answer: string;
  signalResults: Record<string, number>;
  setupMs: number;
  allOpen: boolean;
  notOpen: string[];
  ourStates: number[];
  remoteStates: string[];
  localCandidates: number;
  remoteCandidateResults: number[];
  ourSdpMaxMessageSize: number;
  remoteSdpMaxMessageSize: number;
  remoteSctpMaxMessageSize: number | null;
  ourSetup: string;
  remoteSetup: string;
  channels: ChannelRecord[];
  flows: FlowRecord[];
  closes: CloseRecord[];
  afterCloseStillWorks: { ok: boolean; detail?: string };
  errors: string[];
  remoteErrors: string[];
  ms: number;
}

export interface StackReport {
  stack: string;
  version: string;
  ourSide: OurSideInfo;
  connections: ConnectionRecord[];
  ourLogs: string[];
  /** Uncaught exceptions / unhandled rejections in the child (a stack crashing on what we sent). */
  crashes?: string[];
  /** Set when the child stopped waiting and reported what it had. */
  cutShort?: string;
  ms: number;
}

const channelOpts = (kind: Kind, i: number) => {
  const m = MODES[i]!;
  const o: Record<string, unknown> = { ...m.opts };
  if (kind === "neg") {
    o.negotiated = true;
    o.id = NEGOTIATED_BASE_ID + i;
  } else {
    o.protocol = `p-${kind}-${m.tag}`;
  }
  return o;
};

const trace = (...a: unknown[]) => {
  if (process.env.WASMRTC_INTEROP_TRACE) process.stderr.write(`[interop ${Date.now() % 1000000}] ${a.map(String).join(" ")}\n`);
};

const labelOf = (kind: Kind, tag: string) => `${kind}:${tag}`;

/** Waits for a message with one of the given hashes on a receiver, from position `from` on. */
async function waitHash(list: { data: Uint8Array }[], from: number, hashes: string[], timeoutMs: number) {
  const end = Date.now() + timeoutMs;
  let i = from;
  for (;;) {
    for (; i < list.length; i++) {
      const h = hash(list[i]!.data);
      if (hashes.includes(h)) return { index: i, msg: list[i] as { data: Uint8Array; isString: boolean }, hash: h };
    }
    if (Date.now() >= end) return null;
    await sleep(2);
  }
}

async function runChannelFlows(rec: ConnectionRecord, ours: OurChannel, theirs: RemoteChannel, mode: string, ourMms: number, remoteMms: number, deadline: number) {
  const tries = reliable(mode) ? 1 : 4;
  const waitMs = reliable(mode) ? 10000 : 1500;
  let seed = 1;
  // After a message that never arrives the channel is not trusted any more (an
  // ordered stream stays blocked): the rest is recorded as skipped, not waited for.
  let broken = "";
  const skip = (f: FlowRecord) => {
    if (!broken && Date.now() > deadline) broken = "the connection's time budget ran out";
    if (!broken) return false;
    f.error = `skipped: ${broken}`;
    return true;
  };
  const check = (f: FlowRecord, needEcho: boolean) => {
    if (f.error || f.remoteError || (f.put !== GodotError.OK && f.dir === "us>them")) return;
    const lost = f.gotHash !== f.sentHash || (needEcho && f.echoHash !== f.sentHash);
    if (lost && !reliable(mode) && f.size >= 65536 && (f.gotHash === undefined || f.gotHash === f.sentHash)) {
      f.lostAsAllowed = true;  // the channel goes on: the next message must still arrive
      return;
    }
    if (f.gotHash !== f.sentHash) broken = `${f.size} B ${f.text ? "text" : "binary"} ${f.dir} never arrived`;
    else if (needEcho && f.echoHash !== f.sentHash) broken = `the echo of ${f.size} B ${f.text ? "text" : "binary"} ${f.dir} never arrived`;
  };
  // us > them: they echo.
  await theirs.setEcho(true);
  for (const size of SIZES) {
    for (const text of [false, true]) {
      const t0 = Date.now();
      const f: FlowRecord = { channel: ours.label, dir: "us>them", size, text, attempts: 0, put: -1, sentHash: "", ms: 0 };
      rec.flows.push(f);
      trace(ours.label, f.dir, size, text);
      if (skip(f)) continue;
      if (size > remoteMms) {
        // Must be refused by put_packet, and nothing may reach the remote.
        const payload = text ? utf8.encode(textOfBytes(size, seed++)) : randomBytes(size);
        f.oversize = true;
        f.sentHash = hash(payload);
        const before = theirs.received.length;
        f.attempts = 1;
        f.put = ours.send(payload, text);
        const sentinel = utf8.encode(`sentinel-${ours.label}-${size}-${text}`);
        const sp = ours.send(sentinel, true);
        const got = sp === GodotError.OK ? await waitHash(theirs.received, before, [hash(sentinel)], waitMs) : null;
        await sleep(50);
        f.sentinelNext = got !== null && got.index === before;
        f.extraMessages = theirs.received.length - before - (got ? 1 : 0);
        if (!got) broken = "the sentinel after an oversize put_packet never arrived";
        // drain the sentinel echo
        await waitHash(ours.received, 0, [hash(sentinel)], 2000);
        f.ms = Date.now() - t0;
        continue;
      }
      for (let a = 0; a < tries; a++) {
        const payload = text ? utf8.encode(textOfBytes(size, seed++)) : randomBytes(size);
        const h = hash(payload);
        const fromThem = theirs.received.length;
        const fromUs = ours.received.length;
        f.attempts = a + 1;
        f.sentHash = h;
        f.put = ours.send(payload, text);
        if (f.put !== GodotError.OK) break;
        const got = await waitHash(theirs.received, fromThem, [h], waitMs);
        if (!got) continue;
        f.gotHash = got.hash;
        f.gotLen = got.msg.data.length;
        f.gotString = got.msg.isString;
        const echo = await waitHash(ours.received, fromUs, [h], waitMs);
        if (!echo) continue;
        f.echoHash = echo.hash;
        f.echoString = echo.msg.isString;
        break;
      }
      f.ms = Date.now() - t0;
      check(f, true);
      trace(JSON.stringify(f));
    }
  }
  await theirs.setEcho(false);
  await sleep(20);
  // them > us: we echo.
  ours.echo = true;
  for (const size of SIZES) {
    for (const text of [false, true]) {
      const t0 = Date.now();
      const f: FlowRecord = { channel: ours.label, dir: "them>us", size, text, attempts: 0, put: -1, sentHash: "", ms: 0 };
      rec.flows.push(f);
      trace(ours.label, f.dir, size, text);
      if (skip(f)) continue;
      if (size > ourMms) {
        f.oversize = true;  // our SDP forbids it: the remote is not asked to send
        f.ms = 0;
        continue;
      }
      for (let a = 0; a < tries; a++) {
        const s = text ? textOfBytes(size, seed++) : randomBytes(size);
        const bytes = typeof s === "string" ? utf8.encode(s) : new Uint8Array(s);
        const h = hash(bytes);
        const fromUs = ours.received.length;
        const fromThem = theirs.received.length;
        const echoesBefore = ours.echoResults.length;
        f.attempts = a + 1;
        f.sentHash = h;
        try {
          await theirs.send(typeof s === "string" ? s : bytes);
        } catch (e) {
          f.remoteError = String((e as Error)?.message ?? e);
          break;
        }
        const got = await waitHash(ours.received, fromUs, [h], waitMs);
        if (!got) continue;
        f.gotHash = got.hash;
        f.gotLen = got.msg.data.length;
        f.gotString = got.msg.isString;
        f.put = ours.echoResults[echoesBefore + (got.index - fromUs)] ?? -1;
        if (size > remoteMms) break;  // our echo must have been refused (f.put)
        const echo = await waitHash(theirs.received, fromThem, [h], waitMs);
        if (!echo) continue;
        f.echoHash = echo.hash;
        f.echoString = echo.msg.isString;
        break;
      }
      f.ms = Date.now() - t0;
      check(f, size <= remoteMms);
      trace(JSON.stringify(f));
    }
  }
  ours.echo = false;
}

export interface ScenarioOptions {
  /** Reliable channels exercised at the same time (the partially reliable ones always go one at a time). */
  concurrency: number;
  /** Time budget of the whole run (ms); each connection gets its share, the rest is recorded as skipped. */
  budgetMs?: number;
}

async function runConnection(stack: RemoteStack, weOffer: boolean, opts: ScenarioOptions, out: ConnectionRecord[], deadline: number): Promise<void> {
  const t0 = Date.now();
  const ours = new OurPeer(await createOurPeer()).start();
  const remote: RemotePeer = await stack.create();
  const rec: ConnectionRecord = {
    stack: stack.name, weOffer, offer: "", answer: "", signalResults: {}, setupMs: -1, allOpen: false, notOpen: [],
    ourStates: ours.states, remoteStates: remote.states, localCandidates: 0, remoteCandidateResults: ours.addCandidateResults,
    ourSdpMaxMessageSize: 0, remoteSdpMaxMessageSize: 0, remoteSctpMaxMessageSize: null, ourSetup: "", remoteSetup: "",
    channels: [], flows: [], closes: [], afterCloseStillWorks: { ok: false }, errors: ours.errors,
    remoteErrors: (remote as unknown as { errors: string[] }).errors ?? [], ms: 0,
  };
  out.push(rec);  // visible to the caller even if the run is cut short
  try {
    for (let i = 0; i < MODES.length; i++) {
      const tag = MODES[i]!.tag;
      ours.createChannel(labelOf("us", tag), channelOpts("us", i));
      await remote.createChannel({ label: labelOf("them", tag), ...channelOpts("them", i) });
      ours.createChannel(labelOf("neg", tag), channelOpts("neg", i));
      await remote.createChannel({ label: labelOf("neg", tag), ...channelOpts("neg", i) });
    }
    trace("channels created; signaling, weOffer", weOffer);
    const tSignal = Date.now();
    const sig = await ours.signal(remote, weOffer);
    rec.offer = sig.offer;
    rec.answer = sig.answer;
    rec.signalResults = sig.results;
    const ourSdp = weOffer ? sig.offer : sig.answer;
    const theirSdp = weOffer ? sig.answer : sig.offer;
    rec.ourSdpMaxMessageSize = sdpMaxMessageSize(ourSdp);
    rec.remoteSdpMaxMessageSize = sdpMaxMessageSize(theirSdp);
    rec.ourSetup = sdpSetup(ourSdp);
    rec.remoteSetup = sdpSetup(theirSdp);
    const labels = KINDS.flatMap((k) => MODES.map((m) => labelOf(k, m.tag)));
    const allOpen = () => labels.every((l) => ours.channels.get(l)?.isOpen() && remote.channels.get(l)?.isOpen());
    rec.allOpen = await until(allOpen, 20000);
    rec.setupMs = Date.now() - tSignal;
    trace("open:", rec.allOpen, rec.setupMs, "ms");
    rec.notOpen = labels.filter((l) => !(ours.channels.get(l)?.isOpen() && remote.channels.get(l)?.isOpen()))
      .map((l) => `${l}(ours ${ours.channels.get(l)?.ch.get_ready_state() ?? "none"}, theirs ${remote.channels.get(l)?.isOpen() ?? "none"})`);
    rec.localCandidates = ours.localCandidates;
    rec.remoteSctpMaxMessageSize = await (remote as unknown as { maxMessageSize(): Promise<number | null> }).maxMessageSize();
    for (const k of KINDS) {
      for (const m of MODES) {
        const l = labelOf(k, m.tag);
        const o = ours.channels.get(l)?.ch;
        const t = remote.channels.get(l);
        rec.channels.push({
          label: l, kind: k, mode: m.tag,
          ours: o ? { id: o.get_id(), label: o.get_label(), ordered: o.is_ordered(), maxRetransmits: o.get_max_retransmits(), maxPacketLifeTime: o.get_max_packet_life_time(), protocol: o.get_protocol(), negotiated: o.is_negotiated(), state: o.get_ready_state() } : null,
          theirs: t ? await t.info() : null,
        });
      }
    }
    if (!rec.allOpen) throw new Error(`channels not open: ${rec.notOpen.join(", ")}`);

    // Messages: reliable channels in parallel, then the partially reliable ones one at a time.
    const pairs = labels.map((l) => ({ l, mode: l.split(":")[1]!, ours: ours.channels.get(l)!, theirs: remote.channels.get(l)! }));
    const rel = pairs.filter((p) => reliable(p.mode));
    const lanes = Array.from({ length: Math.max(1, Math.min(opts.concurrency, rel.length)) }, async () => {
      for (let p = rel.shift(); p; p = rel.shift()) await runChannelFlows(rec, p.ours, p.theirs, p.mode, rec.ourSdpMaxMessageSize, rec.remoteSdpMaxMessageSize, deadline);
    });
    await Promise.all(lanes);
    for (const p of pairs.filter((q) => !reliable(q.mode))) {
      await runChannelFlows(rec, p.ours, p.theirs, p.mode, rec.ourSdpMaxMessageSize, rec.remoteSdpMaxMessageSize, deadline);
    }

    // Channel close, seen across.
    const closeOurs = async (l: string) => {
      const c = ours.channels.get(l)!;
      const t = Date.now();
      c.ch.close();
      const localAfter = c.ch.get_ready_state();
      const r = remote.channels.get(l)!;
      const seen = await until(() => r.isClosed(), 5000);
      rec.closes.push({ what: `we close ${l}`, localAfter, seen, ms: Date.now() - t });
    };
    await closeOurs("us:rel");
    await closeOurs("neg:rel");
    {
      const l = "them:rel";
      const t = Date.now();
      await remote.channels.get(l)!.close();
      const seen = await until(() => ours.channels.get(l)!.isClosed(), 5000);
      rec.closes.push({ what: `they close ${l}`, seen, ms: Date.now() - t, detail: `our states ${ours.channels.get(l)!.states.join(",")}` });
    }
    // Other channels keep working after those stream resets.
    {
      const o = ours.channels.get("us:unord")!;
      const t = remote.channels.get("us:unord")!;
      const a = utf8.encode("still here");
      const fromT = t.received.length;
      const fromO = o.received.length;
      const put = o.send(a, false);
      const got = await waitHash(t.received, fromT, [hash(a)], 5000);
      await t.send("and here");
      const back = await waitHash(o.received, fromO, [hash(utf8.encode("and here"))], 5000);
      rec.afterCloseStillWorks = { ok: put === GodotError.OK && !!got && !!back, detail: `put ${put}, they got ${!!got}, we got ${!!back}` };
    }

    // Connection close, seen across.
    const open = labels.filter((l) => !["us:rel", "neg:rel", "them:rel"].includes(l));
    if (weOffer) {
      const t = Date.now();
      ours.pc.close();
      const localAfter = ours.pc.get_connection_state();
      const gone = (s: string) => ["closed", "failed", "disconnected"].includes(s);
      const seen = await until(() => open.every((l) => remote.channels.get(l)!.isClosed()) || gone(remote.connectionState()), 10000);
      rec.closes.push({
        what: "we close the connection", localAfter, seen, ms: Date.now() - t,
        detail: `remote state ${remote.connectionState()}; remote channels closed ${open.filter((l) => remote.channels.get(l)!.isClosed()).length}/${open.length}`,
      });
      await remote.close();
    } else {
      const t = Date.now();
      await remote.close();
      const seen = await until(() => open.every((l) => ours.channels.get(l)!.isClosed()) || [3, 4, 5].includes(ours.pc.get_connection_state()), 10000);
      rec.closes.push({
        what: "they close the connection", seen, ms: Date.now() - t,
        detail: `our state ${ours.pc.get_connection_state()}; our channels closed ${open.filter((l) => ours.channels.get(l)!.isClosed()).length}/${open.length}`,
      });
      ours.pc.close();
    }
  } catch (e) {
    rec.errors.push(`scenario: ${String((e as Error)?.stack ?? e)}`);
    try {
      ours.pc.close();
      await remote.close();
    } catch {
      // already gone
    }
  } finally {
    ours.tick();
    ours.stop();
    rec.ms = Date.now() - t0;
  }
}

/**
 * Fills `report` as it goes (so a caller that gives up waiting still has
 * everything recorded so far) and resolves with it.
 */
export async function runStackScenarios(stack: RemoteStack, opts: ScenarioOptions = { concurrency: 6 }, report?: StackReport): Promise<StackReport> {
  const t0 = Date.now();
  const r: StackReport = report ?? ({} as StackReport);
  Object.assign(r, { stack: stack.name, version: stack.version, ourSide: await ourSide(), connections: [], ourLogs, ms: 0 });
  const only = process.env.WASMRTC_INTEROP_ONLY;  // "we-offer" | "they-offer", for debugging one direction
  const dirs = [true, false].filter((w) => !only || only === (w ? "we-offer" : "they-offer"));
  const end = t0 + (opts.budgetMs ?? 80000);
  for (let i = 0; i < dirs.length; i++) {
    const deadline = Date.now() + (end - Date.now()) / (dirs.length - i) - 3000;  // keep time for the close checks
    await runConnection(stack, dirs[i]!, opts, r.connections, deadline);
  }
  r.ms = Date.now() - t0;
  return r;
}
