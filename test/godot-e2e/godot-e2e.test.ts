// "Godot as Godot users know it", end to end: the webrtc_signaling demo's
// flows (multiplayer_client.gd: SignalingClient + SignalingMultiplayer driving
// a WebRTCMultiplayerPeer) with mixed peers in one private network namespace,
// all signaling through our server as the demo does. Godot cannot run here, so
// node-datachannel (libdatachannel, what Godot Native's webrtc-native wraps)
// behind WebRTCPeerConnectionJS stands in for Godot Native, and Chromium's own
// RTCPeerConnection behind WebRTCPeerConnectionJS in a page (dist/browser.js)
// for Godot Web; our engine in Node is the third kind. harness.ts runs the
// scenarios and returns what every peer recorded; this file checks it:
//   1. a mesh of four (2 engine, node-datachannel, Chromium): peer_connected
//      once per peer, only with every channel open; a packet per pair on every
//      transfer mode and on a channels_config channel, a broadcast and an
//      all-but, each read with the right get_packet_peer/channel/mode and bytes;
//   2. a server (engine, SceneMultiplayerRaw, server_relay) and three clients
//      (Chromium, node-datachannel, engine): ADD_PEER announcements, send_bytes
//      to a client / 0 / −N / the server through the relay, every wire packet's
//      framing, channel and mode; the host leaving (server_disconnected, 4000);
//   3. seal: lobby_sealed, a fifth join refused (4000 "Lobby is sealed"), the
//      sockets closed after the configured timeout (1000 "Seal complete"), the
//      mesh still carrying packets afterwards.
import { existsSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { canUnshare, repoRoot, runNodeInNetns } from "../helpers/netns.js";
import { CHANNELS_CONFIG, RELIABLE, deliveries, modeOf, type Delivery, type Send } from "./plan.js";

const HARNESS = resolve(__dirname, "harness.ts");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const STATE_CONNECTED = 2;  // WebRTCPeerConnection.STATE_CONNECTED
const CONNECTION_CONNECTED = 2;
const CONNECTION_DISCONNECTED = 0;

interface Ev { t: number; what: string; id?: number; mesh?: boolean; code?: number; reason?: string; channels?: number; allOpen?: boolean; state?: number; err?: number }
interface Rx { t: number; from: number; channel?: number; mode?: number; err?: number; hex: string }
interface Report {
  name: string; kind: string; id: number; lobby: string; sig: { code: number; reason: string; t: number } | null; offers: number; pcKinds: string[];
  events: Ev[]; received: Rx[]; wire: Rx[]; sends: Array<Send & { t: number; err: number }>;
  status: number; peers: number[]; scenePeers: number[] | null; sceneDropped: number; sealed: boolean; signalingState: number;
  /** Per member id: signaling messages each way and the first candidates ("out MID INDEX LINE" / "in …"). */
  links: Record<string, { offerOut: number; answerOut: number; candOut: number; offerIn: number; answerIn: number; candIn: number; cands: string[] }>;
  error?: string;
}
interface Scenario {
  ms: number; error?: string; lobby: string; ids: Record<string, number>; kinds: Record<string, string>; host: string;
  sends: Send[]; reports: Record<string, Report>; notes: Record<string, any>;
}
interface HarnessOut {
  scenarios: { mesh: Scenario; relay: Scenario; seal: Scenario };
  pageStartMs: number;
  page: { ok: boolean; error?: string; value?: { userAgent: string; logs: string[]; defaultExtension: string | null }; logs?: string[] };
  nodeLogs: string[];
  signalingStats: Record<string, unknown>;
  sealCloseMs: number;
}

const int32le = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b.toString("hex");
};
/** SceneMultiplayer framing, written out by hand from Godot's scene_multiplayer.cpp (not from our encoder). */
const RAW = (hex: string) => "03" + hex;
const SYS_ADD_PEER = (id: number) => "0701" + int32le(id);
const SYS_RELAY = (id: number, inner: string) => "0703" + int32le(id) + inner;

const key = (d: { from: number; channel?: number; mode?: number; hex: string }, withMode = true) =>
  withMode ? `${d.from}|c${d.channel}|m${d.mode}|${d.hex}` : `${d.from}|${d.hex}`;
const sorted = (a: string[]) => [...a].sort();
const idx = (evs: Ev[], pred: (e: Ev) => boolean) => evs.findIndex(pred);
const others = (s: Scenario, name: string) => Object.keys(s.ids).filter((n) => n !== name && s.ids[n] !== undefined);

let out: HarnessOut | undefined;
let failure = "";

describe.runIf(existsSync(CHROMIUM) && canUnshare())("Godot's webrtc_signaling demo flows, engine + node-datachannel (Godot Native) + Chromium (Godot Web)", () => {
  beforeAll(async () => {
    expect(existsSync(resolve(repoRoot, "dist/browser.js")), "run npm run build:ts first (the page loads dist/browser.js)").toBe(true);
    const r = await runNodeInNetns<HarnessOut>(HARNESS, { timeoutMs: 85000, env: { WASMRTC_REPO: repoRoot } });
    if (!r.ok || !r.value) failure = `harness: ${r.error ?? ""} ${r.stderr.slice(-3000)}`;
    else if (!r.value.page.ok) failure = `page: ${r.value.page.error} ${JSON.stringify(r.value.page.logs ?? []).slice(0, 3000)}`;
    out = r.value;
    if (process.env.GODOT_E2E_DUMP) writeFileSync(process.env.GODOT_E2E_DUMP, JSON.stringify(r, null, 1));
    if (out) {
      console.log(`godot-e2e: ${r.ms} ms in all (namespace, bundling, Chromium ${out.pageStartMs} ms to start)`);
      for (const [name, s] of Object.entries(out.scenarios)) {
        // From the host's start to the last peer_connected anywhere: the lobby and every connection of it.
        const start = s.reports[s.host]?.events?.[0]?.t ?? 0;
        const formed = Math.max(...Object.values(s.reports).flatMap((r) => (r.events ?? []).filter((e) => e.what === "mp_peer_connected").map((e) => e.t)));
        console.log(`  ${name}: ${s.ms} ms${Number.isFinite(formed) ? ` (formed ${formed - start} ms after the host started)` : ""}${s.error ? ` — FAILED: ${s.error.split("\n")[0]}` : ""}`);
      }
      const relay = out.scenarios.relay;
      for (const c of Object.keys(relay.ids).filter((n) => n !== relay.host)) {
        const evs = relay.reports[c]?.events ?? [];
        const first = evs.find((e) => e.what === "scene_peer_disconnected" || e.what === "sig_disconnected");
        console.log(`  relay, host left: ${c} heard it first from ${first?.what === "sig_disconnected" ? "the signaling (4000)" : first ? "WebRTC (peer_disconnected)" : "nowhere"}`);
      }
      const logs = [...out.nodeLogs.map((l) => `node ${l}`), ...(out.page.value?.logs ?? []).map((l) => `page ${l}`)];
      if (logs.length) console.log(`  logs:\n    ${logs.slice(0, 40).join("\n    ")}`);
    }
  }, 95000);

  const scenario = (name: keyof HarnessOut["scenarios"]) => {
    expect(failure, failure).toBe("");
    const s = out!.scenarios[name];
    expect(s.error, s.error).toBeUndefined();
    for (const [n, r] of Object.entries(s.reports)) expect(r.error, `${n}: ${r.error}`).toBeUndefined();
    return s;
  };

  /** The peer read exactly these packets, each with its source id, channel, mode and bytes (and no error). */
  function expectPackets(rep: Report, expected: Delivery[], withMode = true) {
    for (const r of rep.received) expect(r.err ?? 0, `${rep.name}: get_packet_error`).toBe(0);
    expect(sorted(rep.received.map((r) => key(r, withMode))), `${rep.name}: packets`).toEqual(sorted(expected.map((d) => key(d, withMode))));
  }

  /** Ordered channels (reliable and ordered on channel 0) keep each source's send order. */
  function expectOrder(rep: Report, expected: Delivery[]) {
    const seq = new Map(expected.map((d) => [key(d), d.seq]));
    const streams = new Map<string, number[]>();
    for (const r of rep.received) {
      if (r.channel !== 0 || r.mode === 0) continue;
      const k = `${r.from}|${r.mode}`;
      streams.set(k, [...(streams.get(k) ?? []), seq.get(key(r))!]);
    }
    for (const [k, v] of streams) expect(v, `${rep.name}: order of ${k}`).toEqual([...v].sort((a, b) => a - b));
  }

  /** multiplayer_client.gd's signaling: ID first, the members already there, JOIN; then who came after. Higher ids offer. */
  function expectDemoSignaling(s: Scenario, mesh: boolean) {
    const names = Object.keys(s.ids);
    const ids = Object.values(s.ids);
    expect(s.ids[s.host]).toBe(1);
    expect(new Set(ids).size).toBe(names.length);
    for (const id of ids) expect(id >= 1 && id <= 2147483647).toBe(true);
    const before = (n: string) => {
      const evs = s.reports[n]!.events;
      const joined = idx(evs, (e) => e.what === "sig_lobby_joined");
      return new Set(evs.slice(0, joined).filter((e) => e.what === "sig_peer_connected").map((e) => e.id!));
    };
    for (const n of names) {
      const r = s.reports[n]!;
      const sig = r.events.filter((e) => e.what.startsWith("sig_"));
      expect(sig[0], `${n}: first signal`).toMatchObject({ what: "sig_connected", id: s.ids[n], mesh });
      expect(sig.filter((e) => e.what === "sig_lobby_joined"), `${n}: lobby_joined once`).toHaveLength(1);
      expect(sig.filter((e) => e.what === "sig_peer_disconnected"), n).toEqual([]);
      const seen = sig.filter((e) => e.what === "sig_peer_connected").map((e) => e.id!);
      // Mesh: everyone sees everyone; client/server: the host sees the clients, a client only the host.
      const want = mesh || n === s.host ? others(s, n).map((o) => s.ids[o]!) : [1];
      expect(sorted(seen.map(String)), `${n}: announced peers`).toEqual(sorted(want.map(String)));
      if (n !== s.host) expect(before(n).has(1), `${n}: the host is announced in the join reply`).toBe(true);
      // The demo: create_offer() towards every member whose id is lower.
      expect(r.offers, `${n}: offers made`).toBe(want.filter((id) => id < s.ids[n]!).length);
      expect(r.pcKinds, `${n}: connections`).toEqual(want.map(() => (r.kind === "engine" ? "engine" : "js")));
    }
    if (mesh) {
      // One join order for everyone: of each pair, exactly one learnt of the other in its join reply.
      for (const a of names) for (const b of names) if (a < b) expect(Number(before(a).has(s.ids[b]!)) + Number(before(b).has(s.ids[a]!)), `${a}/${b}`).toBe(1);
    }
  }

  /** WebRTCMultiplayerPeer: peer_connected once per connection, from poll(), only when it is CONNECTED with every channel open. */
  function expectPeerConnected(s: Scenario, name: string, want: number[]) {
    const evs = s.reports[name]!.events;
    const pc = evs.filter((e) => e.what === "mp_peer_connected");
    expect(sorted(pc.map((e) => String(e.id))), `${name}: peer_connected`).toEqual(sorted(want.map(String)));
    for (const e of pc) {
      expect(e, `${name}: peer_connected(${e.id})`).toMatchObject({ allOpen: true, channels: 3 + CHANNELS_CONFIG.length, state: STATE_CONNECTED });
      expect(idx(evs, (x) => x.what === "sig_peer_connected" && x.id === e.id), `${name}: announced before connected`).toBeLessThan(evs.indexOf(e));
    }
  }

  describe("1. a mesh of four: two engine peers, node-datachannel, Chromium", () => {
    it("forms as the demo does: ids, announcements in the server's order, the higher id offers", () => {
      const s = scenario("mesh");
      expect(Object.values(s.kinds).sort()).toEqual(["browser", "engine", "engine", "ndc"]);
      expectDemoSignaling(s, true);
    });

    it("peer_connected fires once for each of the three others, only once all four channels are open; nothing disconnects", () => {
      const s = scenario("mesh");
      for (const n of Object.keys(s.ids)) {
        expectPeerConnected(s, n, others(s, n).map((o) => s.ids[o]!));
        const r = s.reports[n]!;
        expect(r.events.filter((e) => /disconnected|error/.test(e.what)), n).toEqual([]);
        expect(r.status).toBe(CONNECTION_CONNECTED);
        expect(r.peers).toEqual(others(s, n).map((o) => s.ids[o]!).sort((a, b) => a - b));
      }
    });

    it("every packet arrives once, with the right get_packet_peer, get_packet_channel, get_packet_mode and bytes: each mode, the channels_config channel, broadcast, all-but", () => {
      const s = scenario("mesh");
      // Per ordered pair: reliable, unreliable-ordered, unreliable, channel 1; per peer: a broadcast and an all-but-one.
      expect(s.sends).toHaveLength(4 * (3 * 4 + 2));
      const ds = deliveries(s.ids, s.sends);
      expect(ds).toHaveLength(4 * 3 * 4 + 4 * 3 + 4 * 2);
      for (const n of Object.keys(s.ids)) {
        const r = s.reports[n]!;
        expect(r.sends.map((x) => x.err), `${n}: put_packet`).toEqual(r.sends.map(() => 0));
        const mine = ds.filter((d) => d.to === n);
        expectPackets(r, mine);
        expectOrder(r, mine);
        // Every (source, channel, mode) combination was seen: 3 sources × (3 modes on channel 0 + channel 1).
        const combos = new Set(r.received.map((x) => `${x.from}|${x.channel}|${x.mode}`));
        for (const o of others(s, n)) {
          for (const [c, m] of [[0, 2], [0, 1], [0, 0], [1, CHANNELS_CONFIG[0]!]]) expect(combos.has(`${s.ids[o]}|${c}|${m}`), `${n} from ${o} c${c} m${m}`).toBe(true);
        }
      }
    });
  });

  describe("2. a server (engine, SceneMultiplayerRaw, server_relay) and three clients: Chromium, node-datachannel, engine", () => {
    const clients = (s: Scenario) => Object.keys(s.ids).filter((n) => n !== s.host);

    it("signals as the demo's client/server lobby: create_server on the host, create_client elsewhere; clients see only the host", () => {
      const s = scenario("relay");
      expect(s.kinds[s.host]).toBe("engine");
      expect(clients(s).map((c) => s.kinds[c]).sort()).toEqual(["browser", "engine", "ndc"]);
      expectDemoSignaling(s, false);
      expectPeerConnected(s, s.host, clients(s).map((c) => s.ids[c]!));
      for (const c of clients(s)) expectPeerConnected(s, c, [1]);
    });

    it("ADD_PEER from the server gives every client the other two: connected_to_server, peer_connected(1), then the others", () => {
      const s = scenario("relay");
      const host = s.reports[s.host]!;
      expect(sorted(host.events.filter((e) => e.what === "scene_peer_connected").map((e) => String(e.id)))).toEqual(sorted(clients(s).map((c) => String(s.ids[c]))));
      expect(host.events.filter((e) => e.what === "scene_connected_to_server")).toEqual([]);
      for (const c of clients(s)) {
        const evs = s.reports[c]!.events.filter((e) => e.what.startsWith("scene_") && e.what !== "scene_peer_disconnected" && e.what !== "scene_server_disconnected");
        const rest = clients(s).filter((o) => o !== c).map((o) => s.ids[o]!);
        expect(evs.slice(0, 2), c).toMatchObject([{ what: "scene_connected_to_server" }, { what: "scene_peer_connected", id: 1 }]);
        expect(sorted(evs.slice(2).map((e) => `${e.what} ${e.id}`)), c).toEqual(sorted(rest.map((id) => `scene_peer_connected ${id}`)));
        // The announcements themselves, on the wire: SYS ADD_PEER from the server, reliable, channel 0.
        const adds = s.reports[c]!.wire.filter((w) => w.hex.startsWith("0701"));
        expect(sorted(adds.map((w) => key(w))), c).toEqual(sorted(rest.map((id) => key({ from: 1, channel: 0, mode: RELIABLE, hex: SYS_ADD_PEER(id) }))));
      }
      for (const n of Object.keys(s.ids)) expect(s.reports[n]!.sceneDropped, `${n}: dropped`).toBe(0);
    });

    it("send_bytes to a client, to 0, to −N and to the server: peer_packet from the right source with the right bytes, each once", () => {
      const s = scenario("relay");
      const ds = deliveries(s.ids, s.sends);
      for (const n of Object.keys(s.ids)) {
        const r = s.reports[n]!;
        expect(r.sends.map((x) => x.err), `${n}: send_bytes`).toEqual(r.sends.map(() => 0));
        expectPackets(r, ds.filter((d) => d.to === n), false);
      }
    });

    it("on the wire, clients reach each other only through the server (SYS RELAY with the destination, then with the source), keeping channel and mode", () => {
      const s = scenario("relay");
      const wire = new Map<string, string[]>(Object.keys(s.ids).map((n) => [n, []]));
      const at = (n: string, d: { from: number; channel: number; mode: number; hex: string }) => wire.get(n)!.push(key(d));
      for (const c of clients(s)) {
        for (const id of clients(s).filter((o) => o !== c).map((o) => s.ids[o]!)) at(c, { from: 1, channel: 0, mode: RELIABLE, hex: SYS_ADD_PEER(id) });
      }
      for (const snd of s.sends) {
        const from = s.ids[snd.from]!;
        const ch = { channel: snd.channel, mode: modeOf(snd.channel, snd.mode) };
        const raw = RAW(snd.hex);
        if (snd.from === s.host) {
          for (const d of deliveries(s.ids, [snd])) at(d.to, { from: 1, ...ch, hex: raw });
          continue;
        }
        if (snd.target === 1) {
          at(s.host, { from, ...ch, hex: raw });
          continue;
        }
        at(s.host, { from, ...ch, hex: SYS_RELAY(snd.target, raw) });
        for (const d of deliveries(s.ids, [snd])) if (d.to !== s.host) at(d.to, { from: 1, ...ch, hex: SYS_RELAY(from, raw) });
      }
      for (const n of Object.keys(s.ids)) {
        const got = s.reports[n]!.wire.filter((w) => w.t < s.notes.leave.t);
        expect(sorted(got.map((w) => key(w))), `${n}: wire`).toEqual(sorted(wire.get(n)!));
      }
    });

    it("the host leaving: every client gets server_disconnected once and is closed by the signaling with 4000 \"Room host has disconnected\"", () => {
      const s = scenario("relay");
      const left = s.notes.leave.t as number;
      for (const c of clients(s)) {
        const r = s.reports[c]!;
        expect(r.sig, c).toMatchObject({ code: 4000, reason: "Room host has disconnected" });
        expect(r.sig!.t).toBeGreaterThanOrEqual(left);
        const sd = r.events.filter((e) => e.what === "scene_server_disconnected");
        expect(sd, c).toHaveLength(1);
        expect(sd[0]!.t).toBeGreaterThanOrEqual(left);
        // Which comes first is a race, in Godot too (multiplayer_client.gd stop()s on the signaling's close). When WebRTC
        // tells first, peer_disconnected names the server and (SceneMultiplayerRaw, unlike Godot, which clear()s them
        // silently) the peers it announced, once each, before server_disconnected; when the signaling does, none.
        // Either way get_peers() ends empty.
        const pd = r.events.filter((e) => e.what === "scene_peer_disconnected");
        expect(new Set(pd.map((e) => e.id)).size, c).toBe(pd.length);
        for (const e of pd) {
          expect([1, ...clients(s).filter((o) => o !== c).map((o) => s.ids[o])], c).toContain(e.id);
          expect(r.events.indexOf(e)).toBeLessThan(r.events.indexOf(sd[0]!));
        }
        expect(r.events.filter((e) => e.what === "scene_connection_failed")).toEqual([]);
        expect(r.status, c).toBe(CONNECTION_DISCONNECTED);
        expect(r.scenePeers, `${c}: get_peers() after server_disconnected (Godot clear()s)`).toEqual([]);
        expect(r.received.filter((x) => x.t >= left), `${c}: packets after the host left`).toEqual([]);
      }
    });
  });

  describe("3. seal: the host (Chromium) seals a mesh of four; the lobby refuses a fifth and closes; the mesh lives on", () => {
    const members = (s: Scenario) => Object.keys(s.ids);

    it("forms, and everyone hears lobby_sealed", () => {
      const s = scenario("seal");
      expect(s.kinds[s.host]).toBe("browser");
      expectDemoSignaling(s, true);
      expect(s.notes.seal.err).toBe(0);
      for (const n of members(s)) {
        expectPeerConnected(s, n, others(s, n).map((o) => s.ids[o]!));
        const evs = s.reports[n]!.events;
        expect(evs.filter((e) => e.what === "sig_sealed"), n).toHaveLength(1);
        expect(s.reports[n]!.sealed, n).toBe(true);
      }
    });

    it("a fifth peer's join is refused with 4000 \"Lobby is sealed\" (no id, no connection)", () => {
      const s = scenario("seal");
      const late = s.reports["late-ndc"]!;
      expect(late.sig).toMatchObject({ code: 4000, reason: "Lobby is sealed" });
      expect(late.events.filter((e) => e.what.startsWith("sig_")).map((e) => e.what)).toEqual(["sig_disconnected"]);
      expect(late.pcKinds).toEqual([]);
      expect(late.status).toBe(CONNECTION_DISCONNECTED);
    });

    it("the lobby's sockets close with 1000 \"Seal complete\" after the configured timeout, and the mesh keeps working", () => {
      const s = scenario("seal");
      const sealAt = s.notes.seal.t as number;
      const timeout = out!.sealCloseMs;
      const lastClose = Math.max(...members(s).map((n) => s.reports[n]!.sig!.t));
      for (const n of members(s)) {
        const r = s.reports[n]!;
        expect(r.sig, n).toMatchObject({ code: 1000, reason: "Seal complete" });
        expect(r.sig!.t - sealAt, `${n}: closed after the seal`).toBeGreaterThanOrEqual(timeout - 50);
        expect(r.sig!.t - sealAt).toBeLessThan(timeout + 3000);
        const evs = r.events;
        expect(idx(evs, (e) => e.what === "sig_sealed")).toBeLessThan(idx(evs, (e) => e.what === "sig_disconnected"));
        // The glue knew it was sealed: the multiplayer peer was kept.
        expect(evs.filter((e) => /mp_peer_disconnected|error/.test(e.what)), n).toEqual([]);
        expect(r.status, n).toBe(CONNECTION_CONNECTED);
        expect(r.peers).toEqual(others(s, n).map((o) => s.ids[o]!).sort((a, b) => a - b));
      }
      const ds = deliveries(s.ids, s.sends);
      expect(ds).toHaveLength(12);
      for (const n of members(s)) {
        const r = s.reports[n]!;
        for (const x of r.sends) expect(x.t, `${n}: sent after every socket closed`).toBeGreaterThanOrEqual(lastClose);
        expect(r.sends.map((x) => x.err)).toEqual(r.sends.map(() => 0));
        expectPackets(r, ds.filter((d) => d.to === n));
      }
    });
  });

  it("every peer stays on loopback, each stand-in is the stack it claims (candidates as that stack writes them), nothing logs an error", () => {
    expect(failure, failure).toBe("");
    // Host candidates on 127.0.0.1 only (Chromium adds passive TCP ones, which the others ignore). libjuice writes "UDP",
    // libwebrtc adds "generation … ufrag …", our engine's host candidate has local preference 65535.
    const style: Record<string, RegExp> = { ndc: / UDP \d+ /, browser: / generation \d+ ufrag /, engine: / udp 2130706431 / };
    let seen = 0;
    for (const s of Object.values(out!.scenarios)) {
      for (const r of Object.values(s.reports)) {
        for (const [id, l] of Object.entries(r.links)) {
          for (const c of l.cands.filter((x) => x.startsWith("out "))) {
            seen++;
            expect(c, `${r.name} → ${id}`).toMatch(/^out \S+ \d+ candidate:\S+ 1 (udp|UDP|tcp) \d+ 127\.0\.0\.1 \d+ typ host( |$)/);
            expect(c, `${r.name} (${r.kind}) → ${id}`).toMatch(style[r.kind]!);
          }
        }
      }
    }
    expect(seen).toBeGreaterThanOrEqual(2 * (6 + 3 + 6));  // every connection of the three scenarios, both ends
    const errors = [...out!.nodeLogs, ...(out!.page.value?.logs ?? [])].filter((l) => l.startsWith("error"));
    expect(errors).toEqual([]);
  });

  it("the page ran Chromium's own RTCPeerConnection (WebRTCPeerConnectionJS is the browser build's default)", () => {
    expect(failure, failure).toBe("");
    expect(out!.page.value!.defaultExtension).toMatch(/WebRTCPeerConnectionJS/);
    expect(out!.page.value!.userAgent).toMatch(/Chrome\//);
  });
});
