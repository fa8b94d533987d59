// Child entry (run by test/interop/ice-restart-chromium.test.ts through test/helpers/netns.ts, inside
// a private network namespace: loopback only): ICE restarts and renegotiation between our engine
// (Godot API, real UDP on MovableUdpTransport) and a Chromium page's RTCPeerConnection. It only
// drives and records (descriptions both ways, candidates, states, messages, Chromium's selected
// pair); the test file asserts on the record.
import { formatAddress } from "../../../src/net/address.js";
import { inNetns, reportResult } from "../../helpers/netns.js";
import { MovableUdpTransport } from "../../helpers/movable-udp.js";
import { createOurPeer, GodotError, ourLogs, WebRTCPeerConnection } from "../../helpers/our-peer.js";
import { chromiumStack } from "./chromium.js";
import { OurPeer, sleep, until, type OurChannel } from "./godot-side.js";
import type { CoreRemotePeer } from "./remote-peer.js";
import type { RemoteChannel, RemoteStack } from "./types.js";

/** Shorter consent timers than RFC 7675's on our side: DISCONNECTED after 2 s without consent, FAILED after 30 s. */
export const TIMERS = { consentIntervalMs: 500, disconnectedAfterMs: 2000, failedAfterMs: 30000 };
/** Messages sent each way during an outage. */
export const OUTAGE_MESSAGES = 10;

interface EnginePeer {
  restart_ice(): number;
  get_ice_restart_count(): number;
}

export interface Description {
  from: "us" | "chromium";
  type: string;
  sdp: string;
}

export interface ScenarioRecord {
  name: string;
  ms: number;
  error?: string;
  /** Every description in the order it was applied by the other side. */
  descriptions: Description[];
  /** Chromium's local and remote SDP as it holds them at the end. */
  chromiumFinal: { local: string; remote: string; signaling: string };
  candidatesFromUs: string[];
  candidatesFromChromium: string[];
  /** Chromium candidates that overtook the description they belong to on the way here (held until it was applied). */
  overtaking: number;
  ourStates: number[];
  chromiumStates: string[];
  chromiumIce: string[];
  restartCount: number;
  /** Ready states at the end: our channel (Godot numbers) and Chromium's (W3C). */
  channels: { ours: number; chromium: string; sameObject: boolean };
  /** Messages sent during the outage (or the restart) and after it, each way, and what arrived. */
  sent: { toChromium: string[]; toUs: string[] };
  got: { byChromium: string[]; byUs: string[] };
  /** Chromium's selected pair (getStats) before the restart and after it. */
  selectedBefore: { local: string; remote: string; state: string } | null;
  selectedAfter: { local: string; remote: string; state: string } | null;
  ourAddress: { before: string; after: string };
  /** Our movable socket: data (non-STUN) datagrams per remote, on the new binding, after the restart settled. */
  dataAfter?: { sentTo: Record<string, number>; receivedFrom: Record<string, number> };
  timings: Record<string, number>;
  setResults: number[];
  errors: string[];
}

export interface ChromiumRestartReport {
  version: string;
  scenarios: ScenarioRecord[];
  ourLogs: string[];
  chromiumLogs: string[];
  crashes: string[];
}

const dec = new TextDecoder();
const enc = new TextEncoder();

/**
 * Signaling between our Godot peer and the page, as one ordered channel would carry it: calls into the
 * page run one after another; Chromium's candidates that reach us before the description they follow
 * are held until it is applied.
 */
class Link {
  readonly descriptions: Description[] = [];
  readonly candidatesFromUs: string[] = [];
  readonly candidatesFromChromium: string[] = [];
  readonly errors: string[] = [];
  readonly setResults: number[] = [];
  overtaking = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private holding = 0;
  private held: Array<[string, number, string]> = [];

  constructor(readonly us: OurPeer, readonly them: CoreRemotePeer) {
    us.pc.session_description_created.connect((type: string, sdp: string) => {
      const r = us.pc.set_local_description(type, sdp);
      if (r !== GodotError.OK) this.errors.push(`set_local_description(${type}) = ${r}`);
      this.descriptions.push({ from: "us", type, sdp });
      if (type === "offer") {
        void this.page(async () => {
          this.hold();
          try {
            const answer = await them.acceptOffer(sdp);
            this.descriptions.push({ from: "chromium", type: "answer", sdp: answer });
            this.setResults.push(us.setRemote("answer", answer));
          } finally {
            this.release();
          }
        });
      } else {
        void this.page(() => them.acceptAnswer(sdp));
      }
    });
    us.pc.ice_candidate_created.connect((mid: string, index: number, name: string) => {
      this.candidatesFromUs.push(name);
      void this.page(() => them.addCandidate(mid, index, name));
    });
    them.onCandidate((mid, index, line) => {
      this.candidatesFromChromium.push(line);
      if (this.holding > 0) {
        this.overtaking++;
        this.held.push([mid, index, line]);
      } else {
        us.addRemoteCandidate(mid, index, line);
      }
    });
  }

  /** Runs a call into the page after every earlier one. */
  page<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.catch((e) => this.errors.push(`page call: ${String(e)}`));
    return p;
  }

  private hold(): void {
    this.holding++;
  }
  private release(): void {
    if (--this.holding > 0) return;
    for (const c of this.held.splice(0)) this.us.addRemoteCandidate(...c);
  }

  /** Chromium offers (after pc.restartIce() if asked); `beforeApply` runs just before we apply the offer. */
  async chromiumOffers(restart: boolean, beforeApply?: () => void): Promise<void> {
    if (restart) await this.page(() => this.them.invoke("restartIce"));
    await this.page(async () => {
      this.hold();
      try {
        const offer = await this.them.createOffer();
        beforeApply?.();
        this.descriptions.push({ from: "chromium", type: "offer", sdp: offer });
        this.setResults.push(this.us.setRemote("offer", offer));
      } finally {
        this.release();
      }
    });
    // Our answer goes out from session_description_created in a later poll(); wait for Chromium to take it.
    const answers = () => this.descriptions.filter((d) => d.from === "us" && d.type === "answer").length;
    const want = answers() + 1;
    await until(() => answers() >= want, 5000);
    await this.chain;
  }

  /** Waits for every call into the page queued so far. */
  settle(): Promise<unknown> {
    return this.chain;
  }
}

interface Pair {
  name: string;
  us: OurPeer;
  them: CoreRemotePeer;
  link: Link;
  net: MovableUdpTransport;
  ch: OurChannel;
  rch: RemoteChannel;
  chObject: unknown;
  rec: ScenarioRecord;
  t0: number;
}

async function connect(stack: RemoteStack, name: string, weOffer: boolean): Promise<Pair> {
  const t0 = Date.now();
  const net = new MovableUdpTransport();
  const pc = await createOurPeer({ iceServers: [], wasmrtc: { transport: net, bind: ["127.0.0.1"], ...TIMERS } });
  const us = new OurPeer(pc).start();
  const ch = us.createChannel("game", { id: 1, negotiated: true });
  const them = (await stack.create({ channels: [{ label: "game", negotiated: true, id: 1 }] })) as CoreRemotePeer;
  const rch = them.channels.get("game")!;
  const link = new Link(us, them);
  const rec: ScenarioRecord = {
    name, ms: 0, descriptions: link.descriptions, chromiumFinal: { local: "", remote: "", signaling: "" },
    candidatesFromUs: link.candidatesFromUs, candidatesFromChromium: link.candidatesFromChromium, overtaking: 0,
    ourStates: us.states, chromiumStates: them.states, chromiumIce: them.iceStates, restartCount: -1,
    channels: { ours: -1, chromium: "", sameObject: false }, sent: { toChromium: [], toUs: [] }, got: { byChromium: [], byUs: [] },
    selectedBefore: null, selectedAfter: null, ourAddress: { before: "", after: "" }, timings: {}, setResults: link.setResults,
    errors: link.errors,
  };
  if (weOffer) {
    const r = pc.create_offer();
    if (r !== GodotError.OK) throw new Error(`create_offer() = ${r}`);
  } else {
    await link.chromiumOffers(false);
  }
  const ok = await until(() => ch.isOpen() && rch.isOpen() && pc.get_connection_state() === WebRTCPeerConnection.STATE_CONNECTED &&
    them.iceStates.at(-1) === "connected", 15000);
  if (!ok) throw new Error(`${name}: not connected (ours ${us.states}, chromium ${them.states} / ${them.iceStates})`);
  rec.timings.connect = Date.now() - t0;
  rec.ourAddress.before = formatAddress(net.socket.local);
  rec.selectedBefore = await them.invoke("selectedPair");
  return { name, us, them, link, net, ch, rch, chObject: ch.ch, rec, t0 };
}

/** Sends n messages each way, tagged; both sides keep what they receive in `rec.got`. */
function sendBoth(p: Pair, tag: string, n: number): void {
  for (let i = 0; i < n; i++) {
    const toChromium = `us ${tag} ${i}`;
    const toUs = `chromium ${tag} ${i}`;
    p.rec.sent.toChromium.push(toChromium);
    p.rec.sent.toUs.push(toUs);
    const r = p.ch.send(enc.encode(toChromium), false);
    if (r !== GodotError.OK) p.rec.errors.push(`put_packet(${toChromium}) = ${r}`);
    void p.rch.send(toUs).catch((e) => p.rec.errors.push(`chromium send(${toUs}): ${String(e)}`));
  }
}

const allArrived = (p: Pair) =>
  p.rch.received.length >= p.rec.sent.toChromium.length && p.ch.received.length >= p.rec.sent.toUs.length;

/** Every message so far arrived both ways, our peer CONNECTED, Chromium's ICE connected. */
async function waitRecovered(p: Pair, what: string, ms: number, since?: number): Promise<void> {
  // With `since`: when (ms after it) our side was CONNECTED, Chromium's ICE connected and every message in.
  const mark = (key: string, cond: boolean) => {
    if (since !== undefined && cond && p.rec.timings[key] === undefined) p.rec.timings[key] = Date.now() - since;
    return cond;
  };
  const ok = await until(() => [
    mark(`${what}: ours CONNECTED`, p.us.pc.get_connection_state() === WebRTCPeerConnection.STATE_CONNECTED),
    mark(`${what}: Chromium ICE connected`, p.them.iceStates.at(-1) === "connected"),
    mark(`${what}: all at Chromium`, p.rch.received.length >= p.rec.sent.toChromium.length),
    mark(`${what}: all here`, p.ch.received.length >= p.rec.sent.toUs.length),
  ].every(Boolean), ms);
  if (!ok) {
    throw new Error(`${p.name}: ${what}: not recovered within ${ms} ms (ours ${p.us.states}, chromium ${p.them.states} / ${p.them.iceStates}; ` +
      `got ${p.rch.received.length}/${p.rec.sent.toChromium.length} at Chromium, ${p.ch.received.length}/${p.rec.sent.toUs.length} here)`);
  }
}

async function finish(p: Pair): Promise<void> {
  // A last exchange after the restart settled: both ways, the same channels.
  await sleep(300);
  const b = p.net.socket.current;
  const sentBefore = new Map([...b.sentTo].map(([k, v]) => [k, v.data]));
  const recvBefore = new Map([...b.receivedFrom].map(([k, v]) => [k, v.data]));
  sendBoth(p, "after", 5);
  await waitRecovered(p, "after the restart", 5000);
  const delta = (now: Map<string, { data: number }>, then: Map<string, number>) =>
    Object.fromEntries([...now].map(([k, v]) => [k, v.data - (then.get(k) ?? 0)]).filter(([, n]) => (n as number) > 0));
  p.rec.dataAfter = { sentTo: delta(b.sentTo, sentBefore), receivedFrom: delta(b.receivedFrom, recvBefore) };
  p.rec.selectedAfter = await p.them.invoke("selectedPair");
  p.rec.chromiumFinal = await p.them.invoke("descriptions");
}

function close(p: Pair): void {
  p.rec.got.byChromium = p.rch.received.map((m) => dec.decode(m.data));
  p.rec.got.byUs = p.ch.received.map((m) => dec.decode(m.data));
  p.rec.overtaking = p.link.overtaking;
  p.rec.restartCount = (p.us.pc as unknown as EnginePeer).get_ice_restart_count();
  p.rec.channels = { ours: p.ch.ch.get_ready_state(), chromium: p.rch.isOpen() ? "open" : p.rch.isClosed() ? "closed" : "?", sameObject: p.ch.ch === p.chObject };
  p.rec.ourAddress.after = formatAddress(p.net.socket.local);
  p.rec.ms = Date.now() - p.t0;
  p.us.stop();
  p.us.pc.close();
  void p.them.close().catch(() => {});
}

type Scenario = (stack: RemoteStack, rec: (p: Pair) => void) => Promise<void>;

/** (a) Chromium: restartIce(), createOffer, setLocalDescription; we answer. */
const chromiumRestarts: Scenario = async (stack, keep) => {
  const p = await connect(stack, "chromium restarts", true);
  keep(p);
  const t = Date.now();
  sendBoth(p, "during", 5);
  await p.link.chromiumOffers(true);
  sendBoth(p, "answered", 5);
  await waitRecovered(p, "restart", 10000);
  p.rec.timings.restart = Date.now() - t;
  await finish(p);
};

/** (b) We: restart_ice() + create_offer(); Chromium answers. */
const weRestart: Scenario = async (stack, keep) => {
  const p = await connect(stack, "we restart", false);
  keep(p);
  const t = Date.now();
  const pc = p.us.pc as unknown as EnginePeer & typeof p.us.pc;
  p.rec.setResults.push(pc.restart_ice(), pc.create_offer());
  sendBoth(p, "during", 5);
  await until(() => p.link.descriptions.filter((d) => d.from === "chromium" && d.type === "answer").length === 1, 5000);
  await p.link.settle();
  sendBoth(p, "answered", 5);
  await waitRecovered(p, "restart", 10000);
  p.rec.timings.restart = Date.now() - t;
  await finish(p);
};

/** (c) Chromium offers again without restartIce(): a renegotiation that changes nothing. */
const chromiumRenegotiates: Scenario = async (stack, keep) => {
  const p = await connect(stack, "chromium renegotiates", true);
  keep(p);
  const t = Date.now();
  await p.link.chromiumOffers(false);
  sendBoth(p, "answered", 5);
  await waitRecovered(p, "renegotiation", 10000);
  p.rec.timings.restart = Date.now() - t;
  await finish(p);
};

/** (d) Our peer has an outage and moves (127.0.0.1 → 127.0.0.2, a new port); both sides see it; one side restarts. */
function outageAndMove(who: "we offer" | "chromium restarts", weOfferedFirst: boolean): Scenario {
  return async (stack, keep) => {
    const p = await connect(stack, `outage and move, ${who}`, weOfferedFirst);
    keep(p);
    const t = Date.now();
    p.net.setBlackhole(true);
    sendBoth(p, "outage", OUTAGE_MESSAGES);
    const down = await until(() => p.us.pc.get_connection_state() === WebRTCPeerConnection.STATE_DISCONNECTED &&
      p.them.iceStates.at(-1) === "disconnected", 15000);
    p.rec.timings.bothDisconnected = Date.now() - t;
    p.rec.timings.oursDisconnectedFirst = p.us.pc.get_connection_state() === WebRTCPeerConnection.STATE_DISCONNECTED ? 1 : 0;
    if (!down) throw new Error(`${p.name}: not both disconnected (ours ${p.us.states}, chromium ${p.them.states} / ${p.them.iceStates})`);
    await p.net.socket.move({ ip: "127.0.0.2" });
    const tr = Date.now();
    if (who === "we offer") {
      p.net.setBlackhole(false);
      p.rec.setResults.push(p.us.pc.create_offer());
    } else {
      await p.link.chromiumOffers(true, () => p.net.setBlackhole(false));
    }
    await waitRecovered(p, "restart", 15000, tr);
    p.rec.timings.restart = Date.now() - tr;
    await finish(p);
  };
}

const SCENARIOS: Scenario[] = [
  chromiumRestarts,
  weRestart,
  chromiumRenegotiates,
  outageAndMove("we offer", false),
  outageAndMove("chromium restarts", true),
];

const crashes: string[] = [];
const record = (e: unknown) => crashes.push(String((e as { stack?: string })?.stack ?? e).slice(0, 2000));
process.on("uncaughtException", record);
process.on("unhandledRejection", record);

await reportResult(async () => {
  if (!inNetns()) throw new Error("refusing to run outside a private network namespace");
  const stack = await chromiumStack();
  const report: ChromiumRestartReport = { version: stack.version, scenarios: [], ourLogs, chromiumLogs: [], crashes };
  try {
    for (const s of SCENARIOS) {
      let pair: Pair | null = null;
      try {
        await s(stack, (p) => (pair = p));
      } catch (e) {
        const p = pair as Pair | null;
        if (p) p.rec.error = String((e as { stack?: string })?.stack ?? e);
        else report.scenarios.push({ error: String((e as { stack?: string })?.stack ?? e) } as ScenarioRecord);
      }
      const p = pair as Pair | null;
      if (p) {
        close(p);
        report.scenarios.push(p.rec);
      }
    }
    report.chromiumLogs = ((stack as unknown as { logs?: string[] }).logs ?? []).slice(-100);
    return JSON.parse(JSON.stringify({ ...report, ourLogs: ourLogs.slice(-200) }));
  } finally {
    await Promise.race([stack.shutdown(), new Promise((r) => setTimeout(r, 3000))]);
  }
});
