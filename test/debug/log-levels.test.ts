// Log levels per layer: the core builds a line only when its layer's threshold
// lets it through, and each line says its layer. Two engine peers on the
// virtual network, one engine per peer, each with its own sink.
import { describe, expect, it } from "vitest";
import "../../src/index.js";
import { NodeCryptoProvider } from "../../src/crypto/node.js";
import { Engine } from "../../src/engine/engine.js";
import { WebRTCPeerConnectionEngine } from "../../src/godot/engine_extension.js";
import { VirtualClock } from "../../src/net/clock.js";
import { VirtualNetwork } from "../../src/net/virtual.js";

async function connect(configure: (a: Engine, b: Engine) => void) {
  const lines: Array<{ who: string; level: number; layer: string; message: string }> = [];
  const mk = (who: string) => Engine.load({ crypto: new NodeCryptoProvider(), log: (level, message, layer) => lines.push({ who, level, layer, message }) });
  const [ea, eb] = [await mk("a"), await mk("b")];
  configure(ea, eb);
  const clock = new VirtualClock();
  const net = new VirtualNetwork(clock, { seed: 4, defaultLink: { latencyMs: 5 } });
  const a = new WebRTCPeerConnectionEngine();
  const b = new WebRTCPeerConnectionEngine();
  a.initialize({ wasmrtc: { engine: ea, transport: net.addHost("10.0.0.1"), clock, inputMode: "immediate" } });
  b.initialize({ wasmrtc: { engine: eb, transport: net.addHost("10.0.0.2"), clock, inputMode: "immediate" } });
  a.session_description_created.connect((t, s) => { a.set_local_description(t, s); b.set_remote_description(t, s); });
  b.session_description_created.connect((t, s) => { b.set_local_description(t, s); a.set_remote_description(t, s); });
  a.ice_candidate_created.connect((m, i, c) => b.add_ice_candidate(m, i, c));
  b.ice_candidate_created.connect((m, i, c) => a.add_ice_candidate(m, i, c));
  const ch = a.create_data_channel("x", { negotiated: true, id: 1 })!;
  b.create_data_channel("x", { negotiated: true, id: 1 });
  a.create_offer();
  for (let i = 0; i < 400 && ch.get_ready_state() !== 1; i++) {
    a.poll();
    b.poll();
    clock.advance(5);
    for (let k = 0; k < 8; k++) await null;
  }
  expect(ch.get_ready_state()).toBe(1);
  a.close();
  b.close();
  return lines;
}

describe("log levels per layer", () => {
  it("by default only warnings and errors are built: a clean connection logs nothing", async () => {
    expect(await connect(() => undefined)).toEqual([]);
  });

  it("ice=info and dtls=debug: ICE state changes and the selected pair, DTLS connected; no ICE debug lines", async () => {
    const lines = await connect((a, b) => {
      for (const e of [a, b]) {
        expect(e.setLogLevel("ice", "info")).toBe(true);
        expect(e.setLogLevel("dtls", "debug")).toBe(true);
      }
    });
    const ice = lines.filter((l) => l.layer === "ice");
    expect(ice.every((l) => l.level >= 1)).toBe(true);  // no debug (local candidates) at info
    expect(ice.some((l) => / checking$/.test(l.message))).toBe(true);
    expect(ice.some((l) => / selected pair 10\.0\.0\.\d:\d+ -> 10\.0\.0\.\d:\d+$/.test(l.message))).toBe(true);
    expect(ice.some((l) => / connected$/.test(l.message))).toBe(true);
    const dtls = lines.filter((l) => l.layer === "dtls");
    expect(dtls.map((l) => l.message.replace(/ as (client|server)/, " as X")).sort()).toEqual([
      "DTLS: connected as X, suite 0xc02b, group 29, 0 retransmissions",
      "DTLS: connected as X, suite 0xc02b, group 29, 0 retransmissions",
    ]);
    expect(lines.filter((l) => l.layer !== "ice" && l.layer !== "dtls")).toEqual([]);
  });

  it("all=debug includes the local candidates; per-engine, so the other engine stays quiet", async () => {
    const lines = await connect((a) => {
      expect(a.setLogLevel("all", "debug")).toBe(true);
    });
    expect(lines.every((l) => l.who === "a")).toBe(true);
    expect(lines.some((l) => l.layer === "ice" && l.level === 0 && / local candidate candidate:/.test(l.message))).toBe(true);
  });

  it("bad layers and levels are refused; a spec reports what it could not apply", async () => {
    const e = await Engine.load({ crypto: new NodeCryptoProvider() });
    expect(e.setLogLevel("nope" as never, "debug")).toBe(false);
    expect(e.setLogLevel("ice", "loud" as never)).toBe(false);
    expect(e.applyLogSpec("ice=debug, dtls=info,x=y,sctp")).toEqual(["x=y", "sctp"]);
    expect(e.applyLogSpec("all=none")).toEqual([]);
  });
});
