// Engine connections on the virtual network for multiplayer tests: every peer
// its own host, one clock, Godot's demo signaling wired straight through.
import "../../src/index.js";  // the Node entry: where the .wasm is
import { NodeCryptoProvider } from "../../src/crypto/node.js";
import { Engine } from "../../src/engine/engine.js";
import { WebRTCPeerConnectionEngine } from "../../src/godot/engine_extension.js";
import type { WebRTCPeerConnection } from "../../src/godot/peer_connection.js";
import { VirtualClock } from "../../src/net/clock.js";
import { VirtualNetwork } from "../../src/net/virtual.js";

let engine: Engine | null = null;
export async function loadEngine(): Promise<Engine> {
  engine ??= await Engine.load({ crypto: new NodeCryptoProvider() });
  return engine;
}

export class Net {
  readonly clock = new VirtualClock();
  readonly net = new VirtualNetwork(this.clock, { seed: 11, defaultLink: { latencyMs: 5 } });
  private hosts = 0;
  constructor(readonly engine: Engine) {}

  /** A fresh, initialized engine connection on a host of its own. */
  connection(): WebRTCPeerConnection {
    const pc = new WebRTCPeerConnectionEngine();
    const host = this.net.addHost(`10.0.${Math.floor(++this.hosts / 250)}.${(this.hosts % 250) + 1}`);
    pc.initialize({ wasmrtc: { engine: this.engine, transport: host, clock: this.clock, inputMode: "immediate" } });
    return pc;
  }

  /** Signaling as Godot's minimal demo: descriptions and candidates straight into the other side. Returns an unwire function. */
  wire(a: WebRTCPeerConnection, b: WebRTCPeerConnection): () => void {
    const fns = [
      (t: string, s: string) => { a.set_local_description(t, s); b.set_remote_description(t, s); },
      (t: string, s: string) => { b.set_local_description(t, s); a.set_remote_description(t, s); },
      (m: string, i: number, c: string) => b.add_ice_candidate(m, i, c),
      (m: string, i: number, c: string) => a.add_ice_candidate(m, i, c),
    ] as const;
    a.session_description_created.connect(fns[0]);
    b.session_description_created.connect(fns[1]);
    a.ice_candidate_created.connect(fns[2]);
    b.ice_candidate_created.connect(fns[3]);
    return () => {
      a.session_description_created.disconnect(fns[0]);
      b.session_description_created.disconnect(fns[1]);
      a.ice_candidate_created.disconnect(fns[2]);
      b.ice_candidate_created.disconnect(fns[3]);
    };
  }

  /** Frames of 5 ms: poll everything given, then let time pass; microtasks run between frames. */
  async run(poll: () => void, done: () => boolean, limitMs = 10000): Promise<boolean> {
    const end = this.clock.now() + limitMs;
    while (this.clock.now() < end) {
      poll();
      if (done()) return true;
      this.clock.advance(5);
      for (let i = 0; i < 8; i++) await null;
    }
    poll();
    return done();
  }
}
