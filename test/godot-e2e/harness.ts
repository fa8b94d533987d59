// Runs inside a private network namespace (loopback only; see
// test/helpers/netns.ts): our signaling server (in-memory lobbies), peers in
// Node — our engine on UDP 127.0.0.1, and WebRTCPeerConnectionJS over
// node-datachannel (libdatachannel, what Godot Native's webrtc-native wraps) —
// and peers in one Chromium page — WebRTCPeerConnectionJS over Chromium's own
// RTCPeerConnection, as Godot's Web export. Every peer is agent.mjs
// (multiplayer_client.gd's flow) and signals through the server itself; the
// harness only tells each what to do next (the page's agents over a control
// WebSocket) and collects their records. It asserts nothing: the test does.
//
//   harness   (prints the records of the three scenarios after the marker)
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocketServer, type WebSocket } from "ws";
import * as lib from "../../src/index.js";
import { reportResult } from "../helpers/netns.js";
import { makeAgent } from "./agent.mjs";
import { CHANNELS_CONFIG, MODES, ORDERED, Planner, RELIABLE, UNRELIABLE, countFor, deliveries, type Send } from "./plan.js";

const repo = process.env.WASMRTC_REPO!;
const SEAL_CLOSE_MS = 1200;
const MESH_MS = 15000;
const PACKETS_MS = 10000;

type Kind = "engine" | "ndc" | "browser";
interface Handle {
  name: string;
  kind: Kind;
  call<T = unknown>(method: string, args?: unknown, timeoutMs?: number): Promise<T>;
}
interface WaitResult {
  ok: boolean;
  id: number;
  lobby: string;
  sig: { code: number; reason: string; t: number } | null;
  status: number;
  peers: number[];
  scenePeers: number[] | null;
  receivedCount: number;
}

export interface ScenarioOut {
  ms: number;
  error?: string;
  lobby: string;
  ids: Record<string, number>;
  kinds: Record<string, Kind>;
  host: string;
  sends: Send[];
  reports: Record<string, unknown>;
  notes: Record<string, unknown>;
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`${what}: no answer in ${ms} ms`)), ms))]);

async function main() {
  const logs: string[] = [];
  lib.set_log_sink((level, m) => logs.length < 500 && logs.push(`${level}: ${m}`));
  // Debugging: GODOT_E2E_ENGINE_LOG="ice=debug,dtls=info" puts the Node engine's own lines in the logs too.
  const engineLog: string[] = [];
  if (process.env.GODOT_E2E_ENGINE_LOG) {
    lib.setEngineLogSink((level, message, layer) => engineLog.length < 4000 && engineLog.push(`${Date.now() % 100000} ${layer} ${level}: ${message}`));
    lib.loadNodeEngineSync().applyLogSpec(process.env.GODOT_E2E_ENGINE_LOG);
  }
  // node-datachannel behind WebRTCPeerConnectionJS, set up as Godot's webrtc-native sets up libdatachannel
  // (WebRTCLibPeerConnection::_create_pc: disableAutoNegotiation = true; create_offer() makes the offer,
  // set_remote_description(offer) the answer), on 127.0.0.1 only. The polyfill's own default (auto-negotiation)
  // would not stand in for Godot Native: see NativeLikePC.
  const ndc = (await import("node-datachannel")) as unknown as { PeerConnection: new (name: string, cfg: Record<string, unknown>) => { setLocalDescription(type: string): void } };
  const { RTCPeerConnection: NdcPC } = (await import("node-datachannel/polyfill")) as unknown as {
    RTCPeerConnection: new (cfg?: Record<string, unknown>) => { createOffer(): Promise<unknown>; setRemoteDescription(d: { type: string; sdp: string }): Promise<void> };
  };
  let ndcPeers = 0;
  /**
   * With auto-negotiation (the polyfill's default), creating a channel makes libdatachannel offer and gather at
   * once: a peer that add_peer()s before the remote offer arrives (every WebRTCMultiplayerPeer answerer) then
   * rolls its own offer back but keeps an ICE agent in the controlling role, and both ends of the connection
   * are controlling. Godot Native never does that, so this peer does what webrtc-native does instead.
   */
  class NativeLikePC extends NdcPC {
    private readonly native: { setLocalDescription(type: string): void };
    constructor(cfg: Record<string, unknown> = {}) {
      const native = new ndc.PeerConnection(`godot-native-${++ndcPeers}`, { iceServers: [], bindAddress: "127.0.0.1", disableAutoNegotiation: true });
      super({ ...cfg, peerConnection: native });
      this.native = native;
    }
    override createOffer() {
      const offer = super.createOffer();  // resolves with the description libdatachannel makes now
      this.native.setLocalDescription("offer");
      return offer;
    }
    override async setRemoteDescription(d: { type: string; sdp: string }) {
      await super.setRemoteDescription(d);
      if (d.type === "offer") this.native.setLocalDescription("answer");  // "Automatically create the answer." (webrtc-native)
    }
  }
  lib.setRTCPeerConnectionImplementation(NativeLikePC as never);

  const server = await lib.createSignalingServer({ host: "127.0.0.1", port: 0, sealCloseTimeoutMs: SEAL_CLOSE_MS });

  // ------------------------------------------------------------ the page
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((r) => wss.once("listening", r));
  const control: { page: WebSocket | null } = { page: null };
  let pageArrived: () => void = () => undefined;
  const pageReady = new Promise<void>((r) => (pageArrived = r));
  const waiting = new Map<number, (m: { ok: boolean; value?: unknown; error?: string }) => void>();
  wss.on("connection", (ws) => {
    ws.on("message", (raw) => {
      const m = JSON.parse(String(raw)) as { t?: string; rid?: number; ok: boolean; value?: unknown; error?: string };
      if (m.t === "hello") {
        control.page = ws;
        pageArrived();
      } else if (m.rid !== undefined) waiting.get(m.rid)?.(m);
    });
  });
  const controlUrl = `ws://127.0.0.1:${(wss.address() as { port: number }).port}`;
  const dir = mkdtempSync(join(tmpdir(), "wasmrtc-godot-e2e-"));
  const agentSrc = readFileSync(join(repo, "test/godot-e2e/agent.mjs"), "utf8").replace(/^export function/m, "function");
  const script = `${agentSrc}
    const control = new WebSocket(${JSON.stringify(controlUrl)});
    await new Promise((res, rej) => { control.onopen = res; control.onerror = () => rej(new Error("control WebSocket failed")); });
    const logs = [];
    wasmrtc.set_log_sink((level, m) => logs.length < 500 && logs.push(level + ": " + m));
    const agents = new Map();
    let done;
    const finished = new Promise((r) => (done = r));
    control.onmessage = async (e) => {
      const m = JSON.parse(e.data);
      if (m.t === "bye") {
        for (const a of agents.values()) a.stop();
        done();
        return;
      }
      try {
        let a = agents.get(m.agent);
        if (!a) {
          a = makeAgent(wasmrtc, { name: m.agent, kind: "browser", createPeer: () => new wasmrtc.WebRTCPeerConnectionJS(), peerConfig: { iceServers: [] } });
          agents.set(m.agent, a);
        }
        const value = await a[m.method](m.args ?? {});
        control.send(JSON.stringify({ rid: m.rid, ok: true, value }));
      } catch (err) {
        control.send(JSON.stringify({ rid: m.rid, ok: false, error: String(err && err.stack ? err.stack : err) }));
      }
    };
    control.send(JSON.stringify({ t: "hello" }));
    await finished;
    return { userAgent: navigator.userAgent, logs, defaultExtension: wasmrtc.WebRTCPeerConnection.get_default_extension()?.name ?? null };`;
  const file = join(dir, "page.js");
  writeFileSync(file, script);
  const pageRun = new Promise<{ ok: boolean; value?: { userAgent: string; logs: string[] }; error?: string; logs?: string[] }>((resolve) => {
    const child = spawn(process.execPath, [join(repo, "test/helpers/chromium-runner.mjs"), join(repo, "dist"), file], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => {
      const i = out.lastIndexOf("@@RESULT@@");
      resolve(i < 0 ? { ok: false, error: `runner exited ${code} without a result: ${err.slice(-2000)}` } : JSON.parse(out.slice(i + 10)));
    });
  });
  const tPage = Date.now();
  await withTimeout(Promise.race([pageReady, pageRun.then((r) => Promise.reject(new Error(`the page ended early: ${JSON.stringify(r).slice(0, 3000)}`)))]), 30000, "the page");
  const pageStartMs = Date.now() - tPage;

  let rid = 0;
  const handle = (name: string, kind: Kind): Handle => {
    if (kind === "browser") {
      return {
        name,
        kind,
        call<T>(method: string, args: unknown = {}, timeoutMs = 10000) {
          const id = ++rid;
          const answer = new Promise<T>((res, rej) => {
            waiting.set(id, (m) => {
              waiting.delete(id);
              if (m.ok) res(m.value as T);
              else rej(new Error(`${name}.${method}: ${m.error}`));
            });
          });
          control.page!.send(JSON.stringify({ rid: id, agent: name, method, args }));
          return withTimeout(answer, timeoutMs, `${name}.${method}`);
        },
      };
    }
    const agent = makeAgent(lib, kind === "engine"
      ? { name, kind, createPeer: () => new lib.WebRTCPeerConnectionEngine(), peerConfig: { iceServers: [], wasmrtc: { bind: ["127.0.0.1"] } } }
      : { name, kind, createPeer: () => new lib.WebRTCPeerConnectionJS(), peerConfig: { iceServers: [] } }) as unknown as Record<string, (a: unknown) => unknown>;
    return {
      name,
      kind,
      call<T>(method: string, args: unknown = {}, timeoutMs = 10000) {
        return withTimeout(Promise.resolve().then(() => agent[method]!(args) as T), timeoutMs, `${name}.${method}`);
      },
    };
  };
  /** Every agent waits for its own predicate; the call is bounded a little above the agent's own bound. */
  const waitAll = (hs: Handle[], what: string, arg: (h: Handle) => Record<string, unknown>, timeoutMs: number) =>
    Promise.all(hs.map((h) => h.call<WaitResult>("wait", { what, timeoutMs, ...arg(h) }, timeoutMs + 3000)));
  const must = (rs: WaitResult[], hs: Handle[], what: string) => {
    const bad = rs.map((r, i) => [hs[i]!.name, r] as const).filter(([, r]) => !r.ok);
    if (bad.length) throw new Error(`${what}: ${bad.map(([n, r]) => `${n} ${JSON.stringify(r)}`).join("; ")}`);
  };

  /** Starts the host, then the others at once (as players clicking "join"); resolves with name → id. */
  async function joinLobby(hs: Handle[], mesh: boolean, scene: boolean, out: ScenarioOut) {
    const [host, ...rest] = hs;
    const args = { url: server.url, mesh, scene, channels: CHANNELS_CONFIG };
    await host!.call("start", { ...args, lobby: "" });
    const h = await host!.call<WaitResult>("wait", { what: "joined", timeoutMs: 5000 }, 8000);
    if (!h.ok || h.id !== 1) throw new Error(`the host did not get a lobby: ${JSON.stringify(h)}`);
    out.lobby = h.lobby;
    await Promise.all(rest.map((p) => p.call("start", { ...args, lobby: h.lobby })));
    const rs = await waitAll(rest, "joined", () => ({}), 5000);
    must(rs, rest, "joining");
    out.ids[host!.name] = 1;
    rest.forEach((p, i) => (out.ids[p.name] = rs[i]!.id));
  }

  async function scenario(hs: Handle[], body: (out: ScenarioOut) => Promise<void>): Promise<ScenarioOut> {
    const out: ScenarioOut = { ms: 0, lobby: "", ids: {}, kinds: Object.fromEntries(hs.map((h) => [h.name, h.kind])), host: hs[0]!.name, sends: [], reports: {}, notes: {} };
    const t0 = Date.now();
    try {
      await body(out);
    } catch (e) {
      out.error = String((e as { stack?: string })?.stack ?? e);
    }
    out.ms = Date.now() - t0;
    // Every record first (a copy, as the page's come), then the teardown: closing one peer would show at the others.
    for (const h of hs) {
      try {
        out.reports[h.name] = JSON.parse(JSON.stringify(await h.call("report")));
      } catch (e) {
        out.reports[h.name] = { error: String(e) };
      }
    }
    for (const h of hs) await h.call("stop").catch(() => undefined);
    return out;
  }

  /** Sends each agent its part of the plan (all at once), then waits until everyone read what Godot's rules give them. */
  async function exchange(hs: Handle[], plan: Planner, ids: Record<string, number>, what: string) {
    const errs = await Promise.all(hs.map((h) => h.call<number[]>("send", { sends: plan.by(h.name) })));
    const bad = errs.flatMap((e, i) => e.map((x, k) => [hs[i]!.name, k, x] as const)).filter(([, , x]) => x !== 0);
    if (bad.length) throw new Error(`${what}: put_packet/send_bytes errors ${JSON.stringify(bad)}`);
    const ds = deliveries(ids, plan.sends);
    const rs = await waitAll(hs, "received", (h) => ({ n: countFor(ds, h.name) }), PACKETS_MS);
    must(rs, hs, what);
  }

  const scenarios: Record<string, ScenarioOut> = {};

  // ------------------------------------------------------------ 1: a mesh of four
  {
    const hs = [handle("engine-1", "engine"), handle("engine-2", "engine"), handle("ndc-1", "ndc"), handle("browser-1", "browser")];
    scenarios.mesh = await scenario(hs, async (out) => {
      await joinLobby(hs, true, false, out);
      must(await waitAll(hs, "mpPeers", () => ({ n: hs.length - 1 }), MESH_MS), hs, "the mesh forming");
      out.notes.meshMs = Date.now();
      const plan = new Planner("mesh");
      for (const p of hs) {
        for (const q of hs) {
          if (q === p) continue;
          for (const m of MODES) plan.add(p.name, out.ids[q.name]!, m, 0);
          plan.add(p.name, out.ids[q.name]!, CHANNELS_CONFIG[0]!, 1);
        }
        plan.add(p.name, 0, RELIABLE, 0);  // broadcast
        const next = hs[(hs.indexOf(p) + 1) % hs.length]!;
        plan.add(p.name, -out.ids[next.name]!, ORDERED, 0);  // everyone but the next one
      }
      out.sends = plan.sends;
      await exchange(hs, plan, out.ids, "mesh packets");
      await new Promise((r) => setTimeout(r, 300));  // anything extra would show up now
    });
  }

  // ------------------------------------------------------------ 2: a server and three clients, relaying
  {
    const hs = [handle("server-engine", "engine"), handle("client-browser", "browser"), handle("client-ndc", "ndc"), handle("client-engine", "engine")];
    const [host, ...clients] = hs as [Handle, ...Handle[]];
    scenarios.relay = await scenario(hs, async (out) => {
      await joinLobby(hs, false, true, out);
      // The server admits each client; its ADD_PEERs give every client the other two.
      must(await waitAll(hs, "scenePeers", () => ({ n: 3 }), MESH_MS), hs, "the clients being admitted and announced");
      const plan = new Planner("relay");
      const id = (h: Handle) => out.ids[h.name]!;
      clients.forEach((c, i) => {
        const a = clients[(i + 1) % 3]!;
        const b = clients[(i + 2) % 3]!;
        plan.add(c.name, id(a), MODES[i % 3]!, 0);  // to another client, relayed
        plan.add(c.name, id(b), CHANNELS_CONFIG[0]!, 1);  // to the third, on the extra channel
        plan.add(c.name, 0, RELIABLE, 0);  // to everyone
        plan.add(c.name, -id(a), ORDERED, 0);  // to everyone but one client
        plan.add(c.name, 1, UNRELIABLE, 0);  // to the server itself
      });
      plan.add(clients[0]!.name, -1, RELIABLE, 0);  // to everyone but the server
      plan.add(host.name, 0, RELIABLE, 0);
      plan.add(host.name, id(clients[1]!), ORDERED, 1);
      out.sends = plan.sends;
      await exchange(hs, plan, out.ids, "relayed packets");
      await new Promise((r) => setTimeout(r, 300));
      // The host leaves (multiplayer_client.gd stop()): the server closes the lobby's other sockets.
      out.notes.leave = await host.call("leave");
      must(await waitAll(clients, "sigClosed", () => ({}), 5000), clients, "the signaling closing the clients");
      must(await waitAll(clients, "event", () => ({ name: "scene_server_disconnected" }), 5000), clients, "server_disconnected");
      await new Promise((r) => setTimeout(r, 300));
    });
  }

  // ------------------------------------------------------------ 3: seal
  {
    const hs = [handle("host-browser", "browser"), handle("engine-3", "engine"), handle("ndc-3", "ndc"), handle("engine-4", "engine")];
    const late = handle("late-ndc", "ndc");
    scenarios.seal = await scenario([...hs, late], async (out) => {
      await joinLobby(hs, true, false, out);
      must(await waitAll(hs, "mpPeers", () => ({ n: hs.length - 1 }), MESH_MS), hs, "the mesh forming");
      const seal = await hs[0]!.call<{ t: number; err: number }>("seal");
      out.notes.seal = seal;
      must(await waitAll(hs, "sealed", () => ({}), 3000), hs, "lobby_sealed");
      // A fifth player, while the sealed lobby still exists.
      await late.call("start", { url: server.url, lobby: out.lobby, mesh: true, channels: CHANNELS_CONFIG });
      const refused = await late.call<WaitResult>("wait", { what: "sigClosed", timeoutMs: 3000 }, 6000);
      out.notes.lateJoin = { at: Date.now(), refused };
      must(await waitAll(hs, "sigClosed", () => ({}), SEAL_CLOSE_MS + 4000), hs, "the sealed lobby closing");
      out.notes.closedAt = Date.now();
      await new Promise((r) => setTimeout(r, 200));
      // The mesh outlives the signaling: one packet each way on every pair, every mode in turn.
      const plan = new Planner("seal");
      let k = 0;
      for (const p of hs) for (const q of hs) if (q !== p) plan.add(p.name, out.ids[q.name]!, MODES[k++ % 3]!, 0);
      out.sends = plan.sends;
      await exchange(hs, plan, out.ids, "packets after the seal");
      await new Promise((r) => setTimeout(r, 300));
    });
  }

  control.page!.send(JSON.stringify({ t: "bye" }));
  const pageOut = await withTimeout(pageRun, 15000, "the page ending");
  wss.close();
  const stats = server.stats();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
  return { scenarios, pageStartMs, page: pageOut, nodeLogs: logs, engineLog, signalingStats: stats, sealCloseMs: SEAL_CLOSE_MS };
}

void reportResult(main);
