// One scenario's world: a virtual clock, a seeded virtual network, and Godot
// peers on the engine (each its own engine instance, its own seeded random
// stream). Every frame it polls the peers, as a game loop would, and writes
// what they show into the trace; the network writes every datagram's fate.
import type { CryptoProvider } from "../crypto/provider.js";
import { Engine } from "../engine/engine.js";
import { ChannelState, type WebRTCDataChannel } from "../godot/data_channel.js";
import { WebRTCPeerConnectionEngine } from "../godot/engine_extension.js";
import { Error as GodotError } from "../godot/error.js";
import { set_log_sink } from "../godot/log.js";
import { addressKey, formatAddress, type NetAddress } from "../net/address.js";
import { VirtualClock } from "../net/clock.js";
import { VirtualNetwork, type LinkConfig, type NatType } from "../net/virtual.js";
import type { WasmrtcConfig } from "../godot/engine_extension.js";
import { DeterministicCryptoProvider, SeededStream } from "./deterministic-crypto.js";
import { createRelayCredentials } from "../relay/credentials.js";
import { createTurnUdpServer, type TurnUdpServer } from "../relay/turn-udp.js";
import { fnv1a, Trace } from "./trace.js";

export interface WorldOptions {
  module: WebAssembly.Module;
  seed: string;
  /** Deterministic primitives (hashes, AES-GCM): native where the runtime has them. */
  baseCrypto: () => CryptoProvider;
  keepLines?: boolean;
}

export const FRAME_MS = 5;
/** The TURN servers' secret and their idea of "now" (fixed: credentials must be the same bytes in every run). */
const TURN_SECRET = "conformance-turn-secret";
const TURN_WALL_CLOCK = Date.UTC(2030, 0, 1);

const u32 = (s: string) => Number.parseInt(fnv1a(new TextEncoder().encode(s)), 16) >>> 0;

export class ChannelView {
  received: Array<{ len: number; hash: string; str: boolean; data: Uint8Array }> = [];
  reading = true;
  private lastState: number;
  constructor(readonly peer: Peer, readonly label: string, readonly ch: WebRTCDataChannel) {
    this.lastState = ch.get_ready_state();
  }
  observe(): void {
    const s = this.ch.get_ready_state();
    if (s !== this.lastState) {
      this.lastState = s;
      this.peer.world.trace.add(`${this.peer.name} ch ${this.label} state ${s}`);
    }
    for (let i = 0; this.reading && i < 1000 && this.ch.get_available_packet_count() > 0; i++) {
      const data = this.ch.get_packet();
      const str = this.ch.was_string_packet();
      const hash = fnv1a(data);
      this.received.push({ len: data.length, hash, str, data });
      this.peer.world.trace.add(`${this.peer.name} ch ${this.label} recv ${data.length} ${hash} ${str ? "s" : "b"}`);
    }
  }
  get open(): boolean {
    return this.ch.get_ready_state() === ChannelState.STATE_OPEN;
  }
  /** put_packet, traced with its result. */
  send(data: Uint8Array, text = false): number {
    this.ch.write_mode = text ? 0 : 1;  // WRITE_MODE_TEXT = 0, WRITE_MODE_BINARY = 1
    const r = this.ch.put_packet(data);
    this.peer.world.trace.add(`${this.peer.name} ch ${this.label} put ${data.length} ${fnv1a(data)} ${text ? "s" : "b"} -> ${r}`);
    return r;
  }
}

export class Peer {
  readonly pc = new WebRTCPeerConnectionEngine();
  readonly channels = new Map<string, ChannelView>();
  readonly host;
  private last = [-1, -1, -1];

  constructor(readonly world: World, readonly name: string, readonly ip: string, nat: { type: NatType; publicIp: string } | undefined,
    wasmrtc: WasmrtcConfig, config: Record<string, unknown> = {}) {
    this.host = world.net.addHost(ip, nat);
    const engine = Engine.instantiate(world.opts.module, {
      crypto: new DeterministicCryptoProvider(`${world.opts.seed}\n${world.name}\n${name}`, world.opts.baseCrypto()),
      log: (level, m) => world.trace.add(`${name} engine-log ${level} ${m}`),
    });
    const err = this.pc.initialize({ iceServers: [], ...config, wasmrtc: { ...wasmrtc, engine, transport: this.host, clock: world.clock, inputMode: "immediate" } });
    world.trace.add(`${name} initialize ${ip}${nat ? ` behind ${nat.type} ${nat.publicIp}` : ""} -> ${err}`);
    this.pc.data_channel_received.connect((ch) => {
      const label = ch.get_label();
      world.trace.add(`${name} channel-received ${label} id=${ch.get_id()} ordered=${ch.is_ordered()} rtx=${ch.get_max_retransmits()} life=${ch.get_max_packet_life_time()} proto=${ch.get_protocol()}`);
      this.channels.set(label, new ChannelView(this, label, ch));
    });
  }

  channel(label: string, opts: Record<string, unknown>): ChannelView {
    const ch = this.pc.create_data_channel(label, opts);
    this.world.trace.add(`${this.name} create_data_channel ${label} ${JSON.stringify(opts)} -> ${ch ? "ok" : "null"}`);
    if (!ch) throw new Error(`${this.name}: create_data_channel ${label} refused`);
    const v = new ChannelView(this, label, ch);
    this.channels.set(label, v);
    return v;
  }

  get state(): number {
    return this.pc.get_connection_state();
  }

  observe(): void {
    const now = [this.pc.get_connection_state(), this.pc.get_gathering_state(), this.pc.get_signaling_state()];
    const names = ["connection", "gathering", "signaling"];
    now.forEach((v, i) => {
      if (v !== this.last[i]) this.world.trace.add(`${this.name} ${names[i]} ${v}`);
    });
    this.last = now;
    for (const c of this.channels.values()) c.observe();
  }

  close(): void {
    this.world.trace.add(`${this.name} close`);
    this.pc.close();
  }
}

export class World {
  readonly clock = new VirtualClock(0);
  readonly net: VirtualNetwork;
  readonly trace: Trace;
  readonly peers: Peer[] = [];
  readonly checks: Array<{ what: string; ok: boolean }> = [];

  constructor(readonly opts: WorldOptions, readonly name: string, defaultLink: LinkConfig = { latencyMs: 10 }) {
    this.net = new VirtualNetwork(this.clock, { seed: u32(`${opts.seed}\n${name}`), defaultLink });
    this.trace = new Trace(() => this.clock.now(), opts.keepLines);
    const fmt = (a: NetAddress) => formatAddress(a);
    this.net.tap = (kind, from, to, data) => this.trace.datagram(kind, fmt(from), fmt(to), data);
    void addressKey;
  }

  peer(name: string, ip: string, opts: { nat?: { type: NatType; publicIp: string }; wasmrtc?: WasmrtcConfig; config?: Record<string, unknown> } = {}): Peer {
    const p = new Peer(this, name, ip, opts.nat, opts.wasmrtc ?? {}, opts.config);
    this.peers.push(p);
    return p;
  }

  /** Godot's minimal demo signaling: each side's signals straight into the other's methods (inside poll()). */
  wire(a: Peer, b: Peer): void {
    const link = (x: Peer, y: Peer) => {
      x.pc.session_description_created.connect((type, sdp) => {
        this.trace.add(`${x.name} session_description_created ${type} ${fnv1a(new TextEncoder().encode(sdp))}`);
        const r1 = x.pc.set_local_description(type, sdp);
        const r2 = y.pc.set_remote_description(type, sdp);
        this.trace.add(`${x.name} set_local ${r1} ${y.name} set_remote ${r2}`);
      });
      x.pc.ice_candidate_created.connect((mid, index, cand) => {
        const r = y.pc.add_ice_candidate(mid, index, cand);
        this.trace.add(`${x.name} candidate ${mid} ${index} ${cand} -> ${y.name} ${r}`);
      });
    };
    link(a, b);
    link(b, a);
  }

  /** One game frame: poll every peer, observe, then let FRAME_MS of virtual time pass. */
  async frame(): Promise<void> {
    for (const p of this.peers) {
      p.pc.poll();
      p.observe();
    }
    this.clock.advance(FRAME_MS);
    // Socket binding and gathering are promises: let their microtasks run (no timers involved).
    for (let i = 0; i < 8; i++) await null;
  }

  /** Frames until `cond` holds or `limitMs` of virtual time passed; returns whether it held. */
  async until(cond: () => boolean, limitMs: number): Promise<boolean> {
    const end = this.clock.now() + limitMs;
    while (this.clock.now() < end) {
      if (cond()) return true;
      await this.frame();
    }
    return cond();
  }

  async wait(ms: number): Promise<void> {
    await this.until(() => false, ms);
  }

  /**
   * A TURN server (our relay's session logic over UDP) on a public virtual
   * host; returns it and the iceServers entry for a peer named `user`.
   */
  async turn(ip: string): Promise<{ server: TurnUdpServer; iceServer: (user: string) => Record<string, unknown> }> {
    const stream = new SeededStream(`${this.opts.seed}\n${this.name}\nturn`);
    const server = await createTurnUdpServer({
      transport: this.net.addHost(ip), clock: this.clock, listen: { ip, port: 3478 }, secret: TURN_SECRET, realm: "conformance",
      policy: { check: () => null }, wallClock: () => TURN_WALL_CLOCK, randomBytes: (n) => stream.bytes(n),
    });
    this.turns.push(server);
    return {
      server,
      iceServer: (user) => {
        const c = createRelayCredentials(TURN_SECRET, user, 3600, TURN_WALL_CLOCK);
        return { urls: [`turn:${ip}:3478`], username: c.username, credential: c.credential };
      },
    };
  }
  private readonly turns: TurnUdpServer[] = [];

  check(what: string, ok: boolean): void {
    this.checks.push({ what, ok });
    this.trace.add(`check ${ok ? "ok" : "FAILED"} ${what}`);
  }

  /** Runs a scenario body with Godot's log lines in the trace, and closes every peer afterwards. */
  async run(body: (w: World) => Promise<void>): Promise<void> {
    set_log_sink((level, m) => this.trace.add(`log ${level} ${m}`));
    try {
      await body(this);
    } finally {
      for (const p of this.peers) p.pc.close();
      for (const t of this.turns) t.close();
      set_log_sink(null);
    }
  }
}

export const OK = GodotError.OK;
