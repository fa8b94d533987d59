// Runs inside a private network namespace (loopback only): our relay on
// 127.0.0.1, a signaling WebSocket, the echo peers in Node (our engine on UDP,
// node-datachannel), and the browsers: one runs the driver (our engine in a
// page or a worker, through the relay), another — when asked — runs the
// browser's own RTCPeerConnection as an echo peer in its page. Prints the
// driver's records and the relay's counters.
//
//   harness <chromium|firefox> <page|worker> <jobs JSON>
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { WebSocketServer, type WebSocket } from "ws";
import { Error as E, WebRTCDataChannel, WebRTCPeerConnection, createRelayCredentials, createRelayServer, type RelayServer } from "../../src/index.js";
import { reportResult } from "../helpers/netns.js";

const [browser, mode, jobsJson] = process.argv.slice(2) as [string, string, string];
const repo = process.env.WASMRTC_REPO!;
const SECRET = "browser-relay-secret";

type Signal = Record<string, unknown> & { t: string; conn?: number };
interface Remote {
  onSignal(m: Signal): void;
  close(): void;
}

const MODES = [
  { label: "rel", opts: { ordered: true } },
  { label: "unord", opts: { ordered: false } },
  { label: "rtx0", opts: { ordered: false, maxRetransmits: 0 } },
  { label: "plt100", opts: { maxPacketLifeTime: 100 } },
];
const SIZES = [1, 1024, 16384, 65536, 262144];

/** Our engine in Node on UDP 127.0.0.1, through the Godot API: echoes every packet in its write mode. */
function engineEcho(signal: (m: Signal) => void): Remote {
  const pc = new WebRTCPeerConnection();
  pc.initialize({ iceServers: [], wasmrtc: { bind: ["127.0.0.1"] } });
  const channels: WebRTCDataChannel[] = [];
  const pending: Array<[WebRTCDataChannel, Uint8Array, boolean]> = [];
  pc.session_description_created.connect((type, sdp) => {
    pc.set_local_description(type, sdp);
    signal({ t: "sdp", type, sdp });
  });
  pc.ice_candidate_created.connect((mid, index, cand) => signal({ t: "cand", mid, index, cand }));
  pc.data_channel_received.connect((ch) => channels.push(ch));
  const timer = setInterval(() => {
    pc.poll();
    for (const ch of channels) {
      while (ch.get_available_packet_count() > 0) {
        const data = ch.get_packet();
        pending.push([ch, data, ch.was_string_packet()]);
      }
    }
    while (pending.length) {
      const [ch, data, str] = pending[0]!;
      ch.write_mode = str ? WebRTCDataChannel.WRITE_MODE_TEXT : WebRTCDataChannel.WRITE_MODE_BINARY;
      const r = ch.put_packet(data);
      if (r === E.ERR_BUSY) break;  // the send buffer drains first
      pending.shift();
    }
  }, 2);
  return {
    onSignal(m) {
      if (m.t === "offer-now") {
        for (const md of m.modes as typeof MODES) channels.push(pc.create_data_channel(md.label, md.opts)!);
        pc.create_offer();
      } else if (m.t === "sdp") pc.set_remote_description(m.type as string, m.sdp as string);
      else if (m.t === "cand") pc.add_ice_candidate(m.mid as string, m.index as number, m.cand as string);
    },
    close() {
      clearInterval(timer);
      pc.close();
    },
  };
}

async function main() {
  const jobs = JSON.parse(jobsJson) as unknown[];
  const { w3cEchoPeer } = (await import(pathToFileURL(join(repo, "test/browser-relay/w3c-echo.mjs")).href)) as {
    w3cEchoPeer: (ctor: unknown, cfg: unknown, signal: (m: Signal) => void) => Remote;
  };
  const relays: RelayServer[] = [];
  const relayStats: unknown[] = [];
  const startRelay = async () => {
    const r = await createRelayServer({ secret: SECRET, host: "127.0.0.1", port: 0, relayIp: "127.0.0.1", allow: ["127.0.0.1/32"], origins: ["*"] });
    relays.push(r);
    return { url: r.url, ...createRelayCredentials(SECRET, `page-${relays.length}`) };
  };
  const relay = await startRelay();

  const remotes = new Map<number, Remote>();
  let driver: WebSocket | null = null;
  let browserEcho: WebSocket | null = null;
  let echoArrived = () => undefined as void;
  const browserEchoReady = new Promise<void>((r) => (echoArrived = r));
  const pendingAcks = new Map<number, () => void>();
  const reply = (m: Signal, extra: Record<string, unknown> = {}) => driver?.send(JSON.stringify({ t: "reply", rid: m.rid, ...extra }));
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((r) => wss.once("listening", r));
  wss.on("connection", (ws) => {
    ws.on("message", (raw) => {
      const m = JSON.parse(String(raw)) as Signal;
      if (m.t === "hello") {
        if (m.who === "driver") driver = ws;
        else {
          browserEcho = ws;
          echoArrived();
        }
      } else if (ws === browserEcho) {
        // From the browser's echo page: its peer's signals for conn, or the ack of a new peer.
        if (m.t === "ack") pendingAcks.get(m.conn!)?.();
        else driver?.send(JSON.stringify(m));
      } else {
        void fromDriver(m);
      }
    });
  });

  async function fromDriver(m: Signal) {
    const conn = m.conn!;
    switch (m.t) {
      case "new": {
        const signal = (s: Signal) => driver?.send(JSON.stringify({ ...s, conn }));
        if (m.remote === "engine") remotes.set(conn, engineEcho(signal));
        else if (m.remote === "ndc") {
          const { RTCPeerConnection } = await import("node-datachannel/polyfill");
          remotes.set(conn, w3cEchoPeer(RTCPeerConnection, { iceServers: [], bindAddress: "127.0.0.1" }, signal));
        } else if (m.remote === "browser") {
          await browserEchoReady;
          await new Promise<void>((r) => {
            pendingAcks.set(conn, r);
            browserEcho!.send(JSON.stringify({ t: "new", conn }));
          });
          remotes.set(conn, { onSignal: (s) => browserEcho!.send(JSON.stringify(s)), close: () => browserEcho!.send(JSON.stringify({ t: "close", conn })) });
        }
        return reply(m);
      }
      case "close":
        remotes.get(conn)?.close();
        remotes.delete(conn);
        return;
      case "kill-relay": {
        const r = relays[relays.length - 1]!;
        relayStats.push(r.stats());
        await r.close();
        return reply(m);
      }
      case "new-relay":
        return reply(m, { relay: await startRelay() });
      default:
        remotes.get(conn)?.onSignal(m);
    }
  }

  const port = (wss.address() as { port: number }).port;
  const signalUrl = `ws://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), "wasmrtc-relay-pages-"));
  const runner = join(repo, `test/helpers/${browser}-runner.mjs`);
  const run = (script: string, worker: boolean) => {
    const file = join(dir, `script-${Math.random().toString(36).slice(2)}.js`);
    writeFileSync(file, script);
    return new Promise<{ ok: boolean; value?: unknown; error?: string; logs?: string[] }>((resolve) => {
      const child = spawn(process.execPath, [runner, join(repo, "dist"), file, ...(worker ? ["worker"] : [])], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (err += d));
      child.on("close", (code) => {
        const i = out.lastIndexOf("@@RESULT@@");
        resolve(i < 0 ? { ok: false, error: `runner exited ${code} without a result: ${err.slice(-2000)}` } : JSON.parse(out.slice(i + 10)));
      });
    });
  };

  const needBrowserEcho = jobs.some((j) => (j as { remote?: string }).remote === "browser");
  let echoRun: Promise<unknown> | null = null;
  if (needBrowserEcho) {
    const echoSrc = readFileSync(join(repo, "test/browser-relay/w3c-echo.mjs"), "utf8").replace(/^export /m, "");
    echoRun = run(`${echoSrc}
      const sig = new WebSocket(${JSON.stringify(signalUrl)});
      await new Promise((r) => (sig.onopen = r));
      const peers = new Map();
      let done;
      const finished = new Promise((r) => (done = r));
      sig.onmessage = (e) => {
        const m = JSON.parse(e.data);
        if (m.t === "new") {
          peers.set(m.conn, w3cEchoPeer(RTCPeerConnection, { iceServers: [] }, (s) => sig.send(JSON.stringify({ ...s, conn: m.conn }))));
          sig.send(JSON.stringify({ t: "ack", conn: m.conn }));
        } else if (m.t === "close") { peers.get(m.conn)?.close(); peers.delete(m.conn); }
        else if (m.t === "bye") done();
        else peers.get(m.conn)?.onSignal(m);
      };
      sig.send(JSON.stringify({ t: "hello", who: "browser-echo" }));
      await finished;
      return { userAgent: navigator.userAgent };`, false);
  }
  const driverSrc = readFileSync(join(repo, "test/browser-relay/driver-page.js"), "utf8");
  const config = { signalUrl, relay, jobs, modes: MODES, sizes: SIZES };
  const t0 = Date.now();
  const result = await run(`${driverSrc}\nreturn await driver(wasmrtc, ${JSON.stringify(config)});`, mode === "worker");
  const ms = Date.now() - t0;
  if (browserEcho) (browserEcho as WebSocket).send(JSON.stringify({ t: "bye" }));
  const echo = echoRun ? await echoRun : null;
  for (const r of remotes.values()) r.close();
  for (const r of relays) {
    relayStats.push(r.stats());
    await r.close();
  }
  wss.close();
  rmSync(dir, { recursive: true, force: true });
  return { browser, mode, result, echo, relayStats, ms };
}

void reportResult(main);
