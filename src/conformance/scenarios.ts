// The conformance scenarios. Each builds a world (virtual network, virtual
// clock, engine peers through the Godot API), drives it frame by frame, and
// records checks in its trace. Adding one: append to SCENARIOS (see
// docs/conformance.md); names are stable identifiers.
import type { LinkConfig, NatType } from "../net/virtual.js";
import { OK, type ChannelView, type Peer, type World } from "./world.js";

export interface Scenario {
  name: string;
  /** The default link between any two public addresses. */
  link?: LinkConfig;
  body(w: World): Promise<void>;
}

const CONNECTED = 2;
const DISCONNECTED = 3;
const FAILED = 4;
const CLOSED = 5;

const bytes = (n: number, seed: number) => {
  const b = new Uint8Array(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
};

interface PairOptions {
  a?: { nat?: NatType; wasmrtc?: Record<string, unknown>; config?: Record<string, unknown> };
  b?: { nat?: NatType; wasmrtc?: Record<string, unknown>; config?: Record<string, unknown> };
  channels: Array<{ label: string; opts: Record<string, unknown> }>;
  setupLimitMs?: number;
}

/** A offers to B; A creates the channels (negotiated ones on both sides). Waits until every channel is open on both. */
async function pair(w: World, o: PairOptions): Promise<{ a: Peer; b: Peer; ok: boolean }> {
  const mk = (name: string, publicIp: string, privateIp: string, spec: PairOptions["a"]) =>
    w.peer(name, spec?.nat ? privateIp : publicIp, { nat: spec?.nat ? { type: spec.nat, publicIp } : undefined, wasmrtc: spec?.wasmrtc, config: spec?.config });
  const a = mk("A", "203.0.113.10", "192.168.1.10", o.a);
  const b = mk("B", "198.51.100.20", "192.168.2.20", o.b);
  w.wire(a, b);
  for (const c of o.channels) {
    a.channel(c.label, c.opts);
    if (c.opts.negotiated) b.channel(c.label, c.opts);
  }
  w.trace.add(`A create_offer -> ${a.pc.create_offer()}`);
  const allOpen = () => o.channels.every((c) => a.channels.get(c.label)?.open && b.channels.get(c.label)?.open);
  const ok = await w.until(allOpen, o.setupLimitMs ?? 15000);
  return { a, b, ok };
}

const MODES: Array<{ tag: string; opts: Record<string, unknown>; reliable: boolean; ordered: boolean }> = [
  { tag: "reliable", opts: { ordered: true }, reliable: true, ordered: true },
  { tag: "unordered", opts: { ordered: false }, reliable: true, ordered: false },
  { tag: "max-retransmits-0", opts: { ordered: false, maxRetransmits: 0 }, reliable: false, ordered: false },
  { tag: "lifetime-150ms", opts: { ordered: true, maxPacketLifeTime: 150 }, reliable: false, ordered: true },
];

function reliabilityScenario(mode: (typeof MODES)[number], loss: number): Scenario {
  return {
    name: `reliability/${mode.tag}/loss-${Math.round(loss * 100)}`,
    link: { latencyMs: 20, jitterMs: 8, loss, duplicate: 0.02, reorder: true },
    async body(w) {
      const { a, b, ok } = await pair(w, { channels: [{ label: "data", opts: { ...mode.opts, negotiated: true, id: 1 } }], setupLimitMs: 40000 });
      w.check("connected", ok);
      if (!ok) return;
      const tx = a.channels.get("data")!;
      const rx = b.channels.get("data")!;
      const sent: string[] = [];
      const COUNT = 60;
      for (let i = 0; i < COUNT; i++) {
        const m = bytes(100 + ((i * 977) % 5000), i + 1);
        if (tx.send(m) === OK) sent.push(`${m.length}:${hashOf(m)}`);
        if (i % 3 === 2) await w.frame();
      }
      const got = () => rx.received.map((r) => `${r.len}:${r.hash}`);
      await w.until(() => got().length >= sent.length, mode.reliable ? 30000 : 8000);
      const g = got();
      w.check(`all ${COUNT} accepted by put_packet`, sent.length === COUNT);
      if (mode.reliable && mode.ordered) w.check("every message, in order", JSON.stringify(g) === JSON.stringify(sent));
      else if (mode.reliable) w.check("every message (any order)", JSON.stringify([...g].sort()) === JSON.stringify([...sent].sort()));
      else {
        w.check("only sent messages, none twice", g.every((x) => sent.includes(x)) && new Set(g).size === g.length);
        if (mode.ordered) w.check("in order", g.every((x, i) => i === 0 || sent.indexOf(x) > sent.indexOf(g[i - 1]!)));
        // (A lifetime may run out in the send queue even on a clean link: only retransmit limits promise this.)
        if (loss === 0 && mode.opts.maxRetransmits !== undefined) w.check("nothing lost on a clean link", g.length === sent.length);
      }
      w.trace.add(`delivered ${g.length}/${sent.length}`);
    },
  };
}

const hashOf = (m: Uint8Array) => {
  let h = 0x811c9dc5;
  for (let i = 0; i < m.length; i++) h = Math.imul(h ^ m[i]!, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
};

function natScenario(x: NatType, y: NatType, expectConnected: boolean): Scenario {
  return {
    name: `nat/${x}+${y}`,
    link: { latencyMs: 15 },
    async body(w) {
      const { a, b, ok } = await pair(w, { a: { nat: x }, b: { nat: y }, channels: [{ label: "c", opts: { negotiated: true, id: 2 } }], setupLimitMs: 45000 });
      if (expectConnected) {
        w.check("connected through the NATs", ok);
        if (ok) {
          a.channels.get("c")!.send(bytes(500, 7));
          await w.until(() => b.channels.get("c")!.received.length === 1, 2000);
          w.check("data crosses", b.channels.get("c")!.received.length === 1);
        }
      } else {
        w.check("no path without a relay: not connected", !ok);
        await w.until(() => a.state === FAILED && b.state === FAILED, 60000);
        w.check("both end FAILED", a.state === FAILED && b.state === FAILED);
      }
    },
  };
}

/** Both peers use a TURN server on the virtual network (our relay's session logic over UDP). */
function turnScenario(x: NatType, y: NatType, relayOnly: boolean): Scenario {
  return {
    name: `turn/${x}+${y}${relayOnly ? "/relay-only" : ""}`,
    link: { latencyMs: 15 },
    async body(w) {
      const { server, iceServer } = await w.turn("192.0.2.100");
      const policy = relayOnly ? { iceTransportPolicy: "relay" } : {};
      const { a, b, ok } = await pair(w, {
        a: { nat: x, config: { iceServers: [iceServer("A")], ...policy } },
        b: { nat: y, config: { iceServers: [iceServer("B")], ...policy } },
        channels: [{ label: "c", opts: { negotiated: true, id: 2 } }],
        setupLimitMs: 45000,
      });
      w.check("connected", ok);
      if (!ok) return;
      const sent = [bytes(800, 1), bytes(1100, 2), bytes(20, 3)];
      for (const m of sent) a.channels.get("c")!.send(m);
      await w.until(() => b.channels.get("c")!.received.length === 3, 3000);
      w.check("data crosses", JSON.stringify(b.channels.get("c")!.received.map((r) => r.hash)) === JSON.stringify(sent.map(hashOf)));
      const s = server.stats();
      w.trace.add(`turn allocations ${s.allocationsCreated} to-peers ${s.datagramsToPeers} from-peers ${s.datagramsFromPeers}`);
      w.check("both allocated on the TURN server", s.allocationsCreated === 2);
      // Neither side can reach the other directly through two symmetric NATs, nor when told to use relays only.
      if (relayOnly || (x === "symmetric" && y === "symmetric")) w.check("the data went through the relay", s.datagramsToPeers > 0 && s.datagramsFromPeers > 0);
    },
  };
}

/** A loses its path (it moves to a new address, or its way to the TURN server is cut), sees DISCONNECTED and restarts ICE. */
function restartScenario(kind: "move" | "turn-relay-only"): Scenario {
  return {
    name: `ice-restart/${kind}`,
    link: { latencyMs: 10 },
    async body(w) {
      const turn = kind === "turn-relay-only" ? await w.turn("192.0.2.100") : null;
      const cfg = (user: string) => (turn ? { config: { iceServers: [turn.iceServer(user)], iceTransportPolicy: "relay" } } : {});
      const { a, b, ok } = await pair(w, { a: cfg("A"), b: cfg("B"), channels: [{ label: "c", opts: { negotiated: true, id: 3 } }], setupLimitMs: 30000 });
      w.check("connected", ok);
      if (!ok) return;
      let ip = "203.0.113.10";
      const peerIp = turn ? "192.0.2.100" : "198.51.100.20";
      if (kind === "move") {
        ip = "203.0.113.99";
        w.net.moveHost(a.host, ip);
      }
      w.net.setLink(ip, peerIp, { latencyMs: 10, loss: 1 });
      w.trace.add(`A's path is gone (${kind})`);
      const sent = Array.from({ length: 10 }, (_, i) => bytes(100 + 90 * i, 40 + i));
      for (const m of sent) a.channels.get("c")!.send(m);
      w.check("A DISCONNECTED", await w.until(() => a.state === DISCONNECTED, 15000));
      w.check("the channel stays open meanwhile", a.channels.get("c")!.open);
      w.net.setLink(ip, peerIp, { latencyMs: 10 });
      w.trace.add(`A's new path is up; A create_offer -> ${a.pc.create_offer()}`);
      const got = () => b.channels.get("c")!.received;
      w.check("both CONNECTED again and everything sent meanwhile arrived", await w.until(() => a.state === CONNECTED && b.state === CONNECTED && got().length === sent.length, 30000));
      w.check("in order and intact", JSON.stringify(got().map((r) => r.hash)) === JSON.stringify(sent.map(hashOf)));
      w.check("one ICE restart on each side", a.pc.get_ice_restart_count() === 1 && b.pc.get_ice_restart_count() === 1);
      if (turn) w.trace.add(`turn allocations ${turn.server.stats().allocationsCreated}`);
      b.channels.get("c")!.send(bytes(64, 99));
      w.check("data flows back on the new path", await w.until(() => a.channels.get("c")!.received.length === 1, 3000));
    },
  };
}

export const SCENARIOS: Scenario[] = [
  {
    name: "setup",
    link: { latencyMs: 25 },
    async body(w) {
      const { a, b, ok } = await pair(w, {
        channels: [
          { label: "negotiated", opts: { negotiated: true, id: 1 } },
          { label: "in-band", opts: { ordered: true, protocol: "chat" } },
        ],
      });
      w.check("every channel open on both sides", ok);
      if (!ok) return;
      w.check("both CONNECTED", a.state === CONNECTED && b.state === CONNECTED);
      const text = new TextEncoder().encode("hello, conformance ✓");
      a.channels.get("negotiated")!.send(text, true);
      b.channels.get("in-band")!.send(bytes(1000, 3));
      await w.until(() => b.channels.get("negotiated")!.received.length === 1 && a.channels.get("in-band")!.received.length === 1, 2000);
      const r1 = b.channels.get("negotiated")!.received[0];
      w.check("text arrives as text, bytes unchanged", !!r1 && r1.str && r1.hash === hashOf(text));
      const r2 = a.channels.get("in-band")!.received[0];
      w.check("binary arrives as binary", !!r2 && !r2.str && r2.len === 1000);
    },
  },
  ...MODES.flatMap((m) => [0, 0.05, 0.2].map((loss) => reliabilityScenario(m, loss))),
  natScenario("full-cone", "full-cone", true),
  natScenario("port-restricted", "port-restricted", true),
  natScenario("symmetric", "address-restricted", true),
  natScenario("symmetric", "port-restricted", false),
  natScenario("symmetric", "symmetric", false),
  turnScenario("symmetric", "symmetric", false),
  turnScenario("symmetric", "port-restricted", false),
  turnScenario("full-cone", "port-restricted", true),
  {
    name: "consent/loss-and-recovery",
    link: { latencyMs: 10 },
    async body(w) {
      const { a, b, ok } = await pair(w, { channels: [{ label: "c", opts: { negotiated: true, id: 3 } }] });
      w.check("connected", ok);
      if (!ok) return;
      w.net.setLink("203.0.113.10", "198.51.100.20", { latencyMs: 10, loss: 1 });
      w.trace.add("link cut");
      w.check("DISCONNECTED while the path is gone", await w.until(() => a.state === DISCONNECTED && b.state === DISCONNECTED, 15000));
      w.net.setLink("203.0.113.10", "198.51.100.20", { latencyMs: 10 });
      w.trace.add("link restored");
      w.check("CONNECTED again once consent checks pass", await w.until(() => a.state === CONNECTED && b.state === CONNECTED, 15000));
      a.channels.get("c")!.send(bytes(300, 9));
      w.check("data flows after recovery", await w.until(() => b.channels.get("c")!.received.length === 1, 3000));
      w.net.setLink("203.0.113.10", "198.51.100.20", { latencyMs: 10, loss: 1 });
      w.trace.add("link cut for good");
      w.check("FAILED when consent expires", await w.until(() => a.state === FAILED && b.state === FAILED, 60000));
    },
  },
  ...(["A", "B"] as const).map((closer): Scenario => ({
    name: `close/from-${closer}`,
    link: { latencyMs: 10 },
    async body(w) {
      const { a, b, ok } = await pair(w, { channels: [{ label: "x", opts: { ordered: true } }, { label: "y", opts: { negotiated: true, id: 4 } }] });
      w.check("connected", ok);
      if (!ok) return;
      const [me, other] = closer === "A" ? [a, b] : [b, a];
      me.channels.get("x")!.ch.close();
      w.trace.add(`${me.name} closes channel x`);
      w.check("the other side sees the channel close", await w.until(() => other.channels.get("x")!.ch.get_ready_state() === 3, 3000));
      w.check("the other channel stays open", other.channels.get("y")!.open);
      me.close();
      w.check("the other side sees the connection end", await w.until(() => other.state === CLOSED || other.state === FAILED, 5000));
    },
  })),
  {
    name: "slow-reader",
    link: { latencyMs: 10, rateBytesPerSec: 4_000_000, queueBytes: 256 * 1024 },
    async body(w) {
      const { a, b, ok } = await pair(w, { b: { wasmrtc: { receiveWindow: 65536 } }, channels: [{ label: "bulk", opts: { negotiated: true, id: 5 } }] });
      w.check("connected", ok);
      if (!ok) return;
      const tx = a.channels.get("bulk")!;
      const rx: ChannelView = b.channels.get("bulk")!;
      rx.reading = false;
      const sent: string[] = [];
      const sendSome = () => {
        while (sent.length < 40 && tx.ch.get_buffered_amount() < 256 * 1024) {
          const m = bytes(16384, 100 + sent.length);
          if (tx.send(m) !== OK) break;
          sent.push(hashOf(m));
        }
      };
      // Two seconds with a reader that does not read: the window closes, the sender's buffer fills and stays.
      await w.until(() => {
        sendSome();
        return false;
      }, 2000);
      const held = tx.ch.get_buffered_amount();
      w.trace.add(`sender holds ${held} bytes, ${sent.length} messages put, while the reader sleeps`);
      w.check("the sender is held back (bytes wait in its buffer)", held > 128 * 1024 && sent.length < 40);
      w.check("the reader got nothing yet", rx.received.length === 0);
      rx.reading = true;
      await w.until(() => {
        sendSome();
        return rx.received.length === 40;
      }, 20000);
      w.check("everything arrives, in order, once the reader reads", JSON.stringify(rx.received.map((r) => r.hash)) === JSON.stringify(sent));
      w.check("all 40 messages were sent", sent.length === 40);
    },
  },
  {
    name: "buffered-amount-low",
    link: { latencyMs: 10, rateBytesPerSec: 2_000_000, queueBytes: 512 * 1024 },
    async body(w) {
      const { a, b, ok } = await pair(w, { channels: [{ label: "c", opts: { negotiated: true, id: 6 } }] });
      w.check("connected", ok);
      if (!ok) return;
      const tx = a.channels.get("c")!;
      for (let i = 0; i < 8; i++) tx.send(bytes(65536, 200 + i));
      const seen: number[] = [tx.ch.get_buffered_amount()];
      let crossings = 0;
      const LOW = 65536;
      await w.until(() => {
        const v = tx.ch.get_buffered_amount();
        if (v !== seen[seen.length - 1]) {
          if (seen[seen.length - 1]! > LOW && v <= LOW) crossings++;
          seen.push(v);
          w.trace.add(`A buffered ${v}`);
        }
        return v === 0 && b.channels.get("c")!.received.length === 8;
      }, 20000);
      // put_packet hands the first congestion window to SCTP at once: at most 10 packets' worth has left.
      w.check("starts at the bytes put, less the first window", seen[0]! <= 8 * 65536 && seen[0]! >= 8 * 65536 - 10 * 1200);
      w.check("only falls", seen.every((v, i) => i === 0 || v < seen[i - 1]!));
      w.check("crosses the low mark once and reaches 0", crossings === 1 && seen[seen.length - 1] === 0);
      w.check("the receiver got all 8", b.channels.get("c")!.received.length === 8);
    },
  },
  {
    name: "max-message-size",
    link: { latencyMs: 10 },
    async body(w) {
      const { a, b, ok } = await pair(w, { b: { wasmrtc: { maxMessageSize: 16384 } }, channels: [{ label: "c", opts: { negotiated: true, id: 7 } }] });
      w.check("connected", ok);
      if (!ok) return;
      const tx = a.channels.get("c")!;
      w.check("a message of the remote's max-message-size is accepted", tx.send(bytes(16384, 1)) === OK);
      w.check("one byte more is refused", tx.send(bytes(16385, 2)) !== OK);
      w.check("a small one after it is accepted", tx.send(bytes(10, 3)) === OK);
      await w.until(() => b.channels.get("c")!.received.length === 2, 3000);
      const r = b.channels.get("c")!.received.map((x) => x.len);
      w.check("the receiver got exactly the accepted ones", JSON.stringify(r) === JSON.stringify([16384, 10]));
    },
  },
  restartScenario("move"),
  restartScenario("turn-relay-only"),
];
