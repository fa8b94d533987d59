// Godot's minimal demo flow in a real browser (Debian's Chromium, headless,
// inside a private network namespace), on the package's browser build, with
// the browser's RTCPeerConnection as the extension. Every signal and state is
// observed through the API.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { haveChromium, runInChromium } from "../helpers/browser.js";

interface DemoResult {
  isJs: boolean;
  states: { p1: number[]; p2: number[]; gathering: number[]; signaling: number[] };
  outsidePoll: number;
  signals: string[];
  ch: { s1: number; s2: number; rLabel: string; rNegotiated: boolean; rOrdered: boolean; rProtocol: string; rId: number };
  text: { got: string; wasString: boolean };
  binary: { got: number[]; wasString: boolean };
  back: { got: string; wasString: boolean };
  inband: { got: number[] };
  variant: unknown;
  earlyPut: number;
  afterClose: { conn: number; chState: number; put: number; readable: number };
  ms: number;
}

describe.runIf(haveChromium())("Godot API on Chromium's RTCPeerConnection", () => {
  it("runs the minimal demo: negotiated + in-band channels, text, binary, put_var/get_var, close", () => {
    expect(existsSync(resolve(__dirname, "../../dist/browser.js")), "run npm run build first").toBe(true);
    const r = runInChromium<DemoResult>(`
      const { WebRTCPeerConnection, WebRTCPeerConnectionJS, WebRTCDataChannel, int, float } = wasmrtc;
      const t0 = performance.now();
      const p1 = new WebRTCPeerConnection();
      const p2 = new WebRTCPeerConnection();
      let inPoll = false, outsidePoll = 0;
      const signals = [];
      const note = (s) => { signals.push(s); if (!inPoll) outsidePoll++; };
      p1.session_description_created.connect((t, s) => { note("p1:sdp:" + t); p1.set_local_description(t, s); p2.set_remote_description(t, s); });
      p2.connect("session_description_created", (t, s) => { note("p2:sdp:" + t); p2.set_local_description(t, s); p1.set_remote_description(t, s); });
      p1.ice_candidate_created.connect((m, i, n) => { note("p1:cand"); p2.add_ice_candidate(m, i, n); });
      p2.ice_candidate_created.connect((m, i, n) => { note("p2:cand"); p1.add_ice_candidate(m, i, n); });
      let received = null;
      p2.data_channel_received.connect((c) => { note("p2:channel"); received = c; });
      const ch1 = p1.create_data_channel("chat", { id: 1, negotiated: true });
      const ch2 = p2.create_data_channel("chat", { id: 1, negotiated: true });
      const inband = p1.create_data_channel("inband", { ordered: false, maxRetransmits: 2, protocol: "demo" });
      const earlyPut = ch1.put_packet(new TextEncoder().encode("too early"));
      const states = { p1: [], p2: [], gathering: [], signaling: [] };
      const rec = (arr, v) => { if (arr[arr.length - 1] !== v) arr.push(v); };
      const poll = () => {
        inPoll = true; p1.poll(); p2.poll(); inPoll = false;
        rec(states.p1, p1.get_connection_state()); rec(states.p2, p2.get_connection_state());
        rec(states.gathering, p1.get_gathering_state()); rec(states.signaling, p1.get_signaling_state());
      };
      const tick = () => new Promise((r) => setTimeout(r, 5));
      const until = async (cond, ms = 15000) => { const end = performance.now() + ms; while (!cond() && performance.now() < end) { poll(); await tick(); } poll(); return cond(); };
      p1.create_offer();
      await until(() => ch1.get_ready_state() === 1 && ch2.get_ready_state() === 1 && received && received.get_ready_state() === 1 && inband.get_ready_state() === 1);
      const ch = { s1: ch1.get_ready_state(), s2: ch2.get_ready_state(), rLabel: received?.get_label(), rNegotiated: received?.is_negotiated(),
        rOrdered: received?.is_ordered(), rProtocol: received?.get_protocol(), rId: received?.get_id() };
      // Binary (default) and text from p1; the demo's "Hi from P1".
      ch1.put_packet(new TextEncoder().encode("Hi from P1"));
      await until(() => ch2.get_available_packet_count() > 0);
      const text = { got: new TextDecoder().decode(ch2.get_packet()), wasString: ch2.was_string_packet() };
      ch1.put_packet(new Uint8Array([0, 1, 2, 255]));
      await until(() => ch2.get_available_packet_count() > 0);
      const binary = { got: Array.from(ch2.get_packet()), wasString: ch2.was_string_packet() };
      ch2.write_mode = WebRTCDataChannel.WRITE_MODE_TEXT;
      ch2.put_packet(new TextEncoder().encode("Hi from P2 ✓"));
      await until(() => ch1.get_available_packet_count() > 0);
      const back = { got: new TextDecoder().decode(ch1.get_packet()), wasString: ch1.was_string_packet() };
      inband.put_packet(new Uint8Array([7, 8, 9]));
      await until(() => received.get_available_packet_count() > 0);
      const inb = { got: Array.from(received.get_packet()) };
      ch1.put_var({ hello: "world", n: int(42), f: float(1.5), list: [true, null, "x"], bytes: new Uint8Array([1, 2]) });
      await until(() => ch2.get_available_packet_count() > 0);
      const variant = ch2.get_var();
      // Close: the remote channel closes, data already received stays readable.
      ch1.put_packet(new Uint8Array([42]));
      await until(() => ch2.get_available_packet_count() > 0);
      ch1.close();
      await until(() => ch2.get_ready_state() === 3, 5000);
      const afterClose = { conn: 0, chState: ch2.get_ready_state(), put: ch2.put_packet(new Uint8Array([1])), readable: ch2.get_available_packet_count() };
      p1.close(); p2.close();
      afterClose.conn = p1.get_connection_state();
      return { isJs: p1 instanceof WebRTCPeerConnectionJS, states, outsidePoll, signals, ch, text, binary, back, inband: inb,
               variant: { ...variant, bytes: Array.from(variant.bytes) }, earlyPut, afterClose, ms: performance.now() - t0 };
    `);
    expect(r.ok, r.error).toBe(true);
    const v = r.value!;
    console.log(`chromium Godot demo: ${v.ms.toFixed(0)} ms in the page, ${r.ms} ms with browser start`);
    expect(v.isJs).toBe(true);
    expect(v.outsidePoll).toBe(0);  // every signal was emitted inside poll()
    expect(v.signals[0]).toBe("p1:sdp:offer");
    expect(v.signals).toContain("p2:sdp:answer");
    expect(v.signals.filter((s) => s.endsWith(":cand")).length).toBeGreaterThan(0);
    expect(v.signals.filter((s) => s === "p2:channel").length).toBe(1);
    expect(v.earlyPut).toBe(1);  // FAILED: not open yet
    expect(v.states.p1[0]).toBe(1);  // CONNECTING right after create_offer (Web) ...
    expect(v.states.p1).toContain(2);  // ... then CONNECTED
    expect(v.states.gathering).toContain(2);
    expect(v.ch).toEqual({ s1: 1, s2: 1, rLabel: "inband", rNegotiated: false, rOrdered: false, rProtocol: "demo", rId: v.ch.rId });
    expect(v.ch.rId % 2).toBe(v.ch.rId % 2);  // assigned by the browser
    expect(v.text).toEqual({ got: "Hi from P1", wasString: false });
    expect(v.binary).toEqual({ got: [0, 1, 2, 255], wasString: false });
    expect(v.back).toEqual({ got: "Hi from P2 ✓", wasString: true });
    expect(v.inband.got).toEqual([7, 8, 9]);
    expect(v.variant).toEqual({ hello: "world", n: 42, f: 1.5, list: [true, null, "x"], bytes: [1, 2] });
    expect(v.afterClose.chState).toBe(3);
    expect(v.afterClose.put).toBe(1);
    expect(v.afterClose.readable).toBe(1);
    expect(v.afterClose.conn).toBe(5);
  }, 120000);
});
