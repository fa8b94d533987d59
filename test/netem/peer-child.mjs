// One end of a data-channel run across an impaired link (test/netem/netns.ts
// starts it inside a namespace). argv[2] is JSON:
//   { stack: "ours" | "ndc", role: "drive" | "echo", ip, receiveWindow?, budgetMs,
//     task: { kind: "matrix", modes: [{ label, init }], count, maxSize, bound }
//         | { kind: "throughput", seconds, msgSize, bound } }
// "ours" is our engine through Godot's API (dist/index.js, initialize({ wasmrtc:
// { bind: [ip] } })); "ndc" is node-datachannel's W3C polyfill (bindAddress: ip).
// The drive end offers and creates the channels; the echo end answers.
// Signaling goes through the parent: lines {"sig": ...} on stdout, the other
// end's on stdin. matrix: the drive end sends `count` messages on each mode's
// channel (payload: seq, length, mode and a pattern of both), the echo end
// checks and sends each back, the drive end checks the echoes; both count
// delivered, duplicated, corrupted and out-of-order messages. throughput: the
// drive end keeps `bound` bytes buffered on one reliable channel for `seconds`,
// the echo end counts what arrives. Each end prints {"result": ...} when asked
// ({"cmd": "report"} on stdin) or when its budget runs out, and exits on
// {"cmd": "exit"} or when stdin closes. The drive/echo logic and the W3C
// wrapper are in end.mjs (chromium-child.mjs runs the same in a page).
import { createInterface } from "node:readline";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { netemEnd, w3cPeer } from "./end.mjs";

const cfg = JSON.parse(process.argv[2]);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const t0 = performance.now();
const now = () => performance.now() - t0;
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const logs = [];
const log = (s) => {
  logs.push(`${now().toFixed(0)} ${s}`);
  if (logs.length > 400) logs.splice(0, 200);
  if (process.env.WASMRTC_NETEM_VERBOSE === "1") process.stderr.write(`${cfg.stack}/${cfg.role}: ${s}\n`);
};
const errors = [];
process.on("uncaughtException", (e) => errors.push(String(e?.stack ?? e).slice(0, 1500)));
process.on("unhandledRejection", (e) => errors.push(String(e?.stack ?? e).slice(0, 1500)));

// ---------------------------------------------------------------- stacks
// peer: { createChannel(label, init) -> chan, onChannel(cb), offer(), signal(msg), tick(), state(), close(), info() }
// chan: { label, open(), send(u8) -> bool, buffered(), onMessage(cb) }

async function oursPeer(signal) {
  const distFile = process.env.WASMRTC_DIST ? resolve(process.env.WASMRTC_DIST) : resolve(repo, "dist/index.js");
  const w = await import(pathToFileURL(distFile).href);
  w.set_log_sink?.((level, m) => log(`godot ${level}: ${m}`));
  w.setEngineLogSink?.((level, m, layer) => log(`engine ${layer} ${["debug", "info", "warning", "error"][level] ?? level}: ${m}`));
  if (w.WebRTCPeerConnection.set_default_extension("WebRTCPeerConnectionEngine") !== 0) throw new Error("no engine extension");
  const pc = new w.WebRTCPeerConnection();
  const wasmrtc = { bind: [cfg.ip] };
  if (cfg.receiveWindow) wasmrtc.receiveWindow = cfg.receiveWindow;
  // Debugging: every datagram to DIR/ROLE-ours.pcapng (with SSLKEYLOGFILE, decryptable: docs/debugging.md).
  if (process.env.WASMRTC_NETEM_PCAP_DIR) wasmrtc.capture = w.createPcapngFileCapture(`${process.env.WASMRTC_NETEM_PCAP_DIR}/${cfg.role}-ours.pcapng`);
  if (pc.initialize({ iceServers: [], wasmrtc }) !== 0) throw new Error("initialize failed");
  pc.session_description_created.connect((type, sdp) => {
    pc.set_local_description(type, sdp);
    signal({ type: "sdp", kind: type, sdp });
  });
  pc.ice_candidate_created.connect((mid, index, cand) => signal({ type: "cand", mid, index, cand }));
  const chans = [];
  let onChannel = () => {};
  const wrap = (ch) => {
    let cb = () => {};
    const c = {
      get label() {
        return ch.get_label();
      },
      open: () => ch.get_ready_state() === 1,
      send: (u8) => ch.put_packet(u8) === 0,
      buffered: () => ch.get_buffered_amount(),
      onMessage: (f) => (cb = f),
      drain: () => {
        while (ch.get_available_packet_count() > 0) cb(ch.get_packet());
      },
    };
    chans.push(c);
    return c;
  };
  pc.data_channel_received.connect((ch) => onChannel(wrap(ch)));
  return {
    createChannel: (label, init) => {
      const ch = pc.create_data_channel(label, init);
      if (!ch) throw new Error(`create_data_channel(${label}) refused`);
      return wrap(ch);
    },
    onChannel: (f) => (onChannel = f),
    offer: () => {
      if (pc.create_offer() !== 0) throw new Error("create_offer failed");
    },
    signal: (m) => {
      if (m.type === "sdp") pc.set_remote_description(m.kind, m.sdp);
      else pc.add_ice_candidate(m.mid, m.index, m.cand);
    },
    tick: () => {
      pc.poll();
      for (const c of chans) c.drain();
    },
    state: () => ["new", "connecting", "connected", "disconnected", "failed", "closed"][pc.get_connection_state()] ?? "?",
    close: () => pc.close(),
    info: () => `wasmrtc ${w.VERSION ?? "?"} (engine, Godot API)`,
  };
}

async function ndcPeer(signal) {
  const { RTCPeerConnection } = await import("node-datachannel/polyfill");
  return w3cPeer({ PC: RTCPeerConnection, config: { iceServers: [], bindAddress: cfg.ip }, signal, log,
    error: (e) => errors.push(e), info: "node-datachannel (libdatachannel, polyfill)" });
}

// ---------------------------------------------------------------- run
const incoming = [];
let onIncoming = (m) => incoming.push(m);
const rl = createInterface({ input: process.stdin });
rl.on("line", (line) => {
  try {
    onIncoming(JSON.parse(line));
  } catch {
    /* ignore */
  }
});
rl.on("close", () => process.exit(0));

const peer = await (cfg.stack === "ours" ? oursPeer : ndcPeer)((sig) => out({ sig }));
const end = netemEnd({ cfg, peer, out, now, log, logs, errors });

function handle(m) {
  if (m.cmd === "exit") {
    try {
      peer.close();
    } catch {
      /* closing */
    }
    setTimeout(() => process.exit(0), 50);
  } else end.handle(m);
}
for (const m of incoming.splice(0)) handle(m);
onIncoming = handle;
