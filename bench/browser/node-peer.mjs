// The Node side of `npm run bench:browser`, in a process of its own (so its
// CPU is measured alone): our engine through the Godot API of dist/index.js on
// UDP 127.0.0.1, answering whatever the page offers, and the signaling
// WebSocket the page talks to. A channel labelled "echo" sends every message
// back; one labelled "tput" counts what arrives and reports once `expect`
// bytes are in.
//
// Polling: poll() runs when a UDP datagram or a signaling message arrived (on
// the next event-loop turn, so a burst is handled in one go) and every 1 ms for
// the engine's own timers. A spinning setImmediate loop would take a whole
// core of the two this machine has away from Chromium and the relay.
//
//   started by bench/browser.mjs with an IPC channel; sends { t: "ready", port }
import { pathToFileURL } from "node:url";
import { WebSocketServer } from "ws";

const dist = process.env.WASMRTC_DIST;
const w = await import(pathToFileURL(dist).href);
w.set_log_sink?.(() => {});
const { WebRTCPeerConnection, WebRTCDataChannel, NodeUdpTransport } = w;
if (WebRTCPeerConnection.set_default_extension("WebRTCPeerConnectionEngine") !== 0) {
  process.send({ t: "fatal", error: "the WebRTCPeerConnectionEngine extension is not registered in dist/index.js" });
  process.exit(1);
}

const live = new Set();
// Echo turnaround: the last datagram's arrival to the echo's put_packet (µs), for the report.
let lastDatagramAt = 0;
let turnarounds = [];
let scheduled = false;
const pollAll = () => {
  scheduled = false;
  for (const p of live) p();
};
const wake = () => {
  if (scheduled) return;
  scheduled = true;
  setImmediate(pollAll);
};
setInterval(pollAll, 1);

/** NodeUdpTransport whose sockets wake the poller on every datagram. */
class WakingTransport {
  constructor(inner) {
    this.inner = inner;
  }
  async bind(o) {
    const s = await this.inner.bind(o);
    let handler = null;
    return {
      get local() { return s.local; },
      stableBuffers: s.stableBuffers,
      send: (d, to) => s.send(d, to),
      get onDatagram() { return handler; },
      set onDatagram(fn) {
        handler = fn;
        s.onDatagram = fn ? (d, from) => {
          lastDatagramAt = performance.now();
          fn(d, from);
          wake();
        } : null;
      },
      close: () => s.close(),
    };
  }
  localAddresses() {
    return this.inner.localAddresses();
  }
  resolve(h) {
    return this.inner.resolve ? this.inner.resolve(h) : Promise.resolve(null);
  }
}
const transport = new WakingTransport(new NodeUdpTransport({ allowAddresses: ["127.0.0.1"], recvBufferSize: 8 << 20, sendBufferSize: 8 << 20 }));

const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
await new Promise((r) => wss.once("listening", r));

wss.on("connection", (ws) => {
  const conns = new Map();
  const send = (m) => ws.readyState === 1 && ws.send(JSON.stringify(m));
  ws.on("message", (raw) => {
    const m = JSON.parse(String(raw));
    if (m.t === "new") {
      conns.get(m.conn)?.close();
      conns.set(m.conn, answerer(m, send));
      send({ t: "ready", conn: m.conn });
    } else if (m.t === "close") {
      conns.get(m.conn)?.close();
      conns.delete(m.conn);
    } else {
      conns.get(m.conn)?.signal(m);
    }
    wake();
  });
  ws.on("close", () => {
    for (const c of conns.values()) c.close();
    conns.clear();
  });
});

function answerer(req, send) {
  const conn = req.conn;
  const pc = new WebRTCPeerConnection();
  if (pc.initialize({ iceServers: [], wasmrtc: { bind: ["127.0.0.1"], transport } }) !== 0) {
    send({ t: "error", conn, message: "initialize failed" });
  }
  let remoteSet = false;
  const early = [];
  pc.session_description_created.connect((type, sdp) => {
    pc.set_local_description(type, sdp);
    send({ t: "sdp", conn, type, sdp });
  });
  pc.ice_candidate_created.connect((mid, index, cand) => send({ t: "cand", conn, mid, index, cand }));
  const channels = [];
  pc.data_channel_received.connect((ch) => channels.push(ch));
  const tput = { bytes: 0, msgs: 0, first: 0, last: 0, firstSize: 0, reported: false };
  const pending = [];  // echoes the send buffer could not take yet
  const poll = () => {
    pc.poll();
    for (const ch of channels) {
      const label = ch.get_label();
      while (ch.get_available_packet_count() > 0) {
        const d = ch.get_packet();
        if (label === "echo") {
          pending.push([ch, d]);
        } else {
          const t = performance.now();
          if (!tput.msgs) {
            tput.first = t;
            tput.firstSize = d.byteLength;
          }
          tput.last = t;
          tput.msgs++;
          tput.bytes += d.byteLength;
        }
      }
    }
    while (pending.length) {
      const [ch, d] = pending[0];
      if (ch.put_packet(d) === w.Error.ERR_BUSY) break;
      pending.shift();
      if (turnarounds.length < 100000) turnarounds.push((performance.now() - lastDatagramAt) * 1000);
    }
    if (req.expect && !tput.reported && tput.bytes >= req.expect) {
      tput.reported = true;
      send({ t: "tput", conn, bytes: tput.bytes, msgs: tput.msgs, ms: tput.last - tput.first, firstSize: tput.firstSize });
    }
  };
  live.add(poll);
  return {
    signal(m) {
      if (m.t === "sdp") {
        if (pc.set_remote_description(m.type, m.sdp) !== 0) send({ t: "error", conn, message: "set_remote_description failed" });
        remoteSet = true;
        for (const c of early.splice(0)) pc.add_ice_candidate(c.mid, c.index, c.cand);
      } else if (m.t === "cand") {
        if (!remoteSet) early.push(m);
        else pc.add_ice_candidate(m.mid, m.index, m.cand);
      } else if (m.t === "tput?") {
        send({ t: "tput", conn, bytes: tput.bytes, msgs: tput.msgs, ms: tput.last - tput.first, firstSize: tput.firstSize, partial: true });
      }
    },
    close() {
      live.delete(poll);
      pc.close();
    },
  };
}

process.on("message", (m) => {
  if (m.t === "cpu") process.send({ t: "cpu", id: m.id, cpu: process.cpuUsage() });
  else if (m.t === "echoStats") {
    const s = turnarounds.sort((a, b) => a - b);
    turnarounds = [];
    const at = (p) => (s.length ? s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] : NaN);
    process.send({ t: "echoStats", id: m.id, n: s.length, medianUs: s.length ? s[Math.floor((s.length - 1) / 2)] : NaN, p99Us: at(0.99) });
  }
  else if (m.t === "exit") process.exit(0);
});
process.on("disconnect", () => process.exit(0));
process.send({ t: "ready", port: wss.address().port, version: w.VERSION ?? "?", writeModeBinary: WebRTCDataChannel.WRITE_MODE_BINARY });
