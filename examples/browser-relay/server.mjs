// The engine in a browser page, through the relay, talking to the engine in Node.
//
//   npm run build && node examples/browser-relay/server.mjs [--port 8080]
//   then open http://127.0.0.1:8080/
//
// One process runs everything on 127.0.0.1: the relay (TURN over WebSocket), an
// HTTP server for the page, the package's browser build and short-lived relay
// credentials, a signaling WebSocket, and an echo peer in Node per page.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { WebSocketServer } from "ws";
import { WebRTCDataChannel, WebRTCPeerConnection, createRelayCredentials, createRelayServer } from "../../dist/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(here, "../../dist");
const { values } = parseArgs({ options: { port: { type: "string", default: "8080" }, help: { type: "boolean", short: "h" } } });
if (values.help) {
  console.log("usage: node examples/browser-relay/server.mjs [--port 8080]   (run `npm run build` first)");
  process.exit(0);
}
const port = Number(values.port);
const origin = `http://127.0.0.1:${port}`;
const secret = crypto.randomUUID();

// A relay for pages on this machine only. On the Internet, drop `allow` (private and
// loopback destinations are refused by default) and put TLS in front (docs/browsers.md).
const relay = await createRelayServer({ secret, host: "127.0.0.1", port: 0, relayIp: "127.0.0.1", allow: ["127.0.0.1/32"], origins: [origin] });

const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".map": "application/json" };
const http = createServer(async (req, res) => {
  const url = new URL(req.url, origin);
  try {
    if (url.pathname === "/relay-credentials") {
      // Your backend's job: after its own login check, hand out credentials that expire.
      const c = createRelayCredentials(secret, "guest", 600);
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify({ url: relay.url, username: c.username, credential: c.credential }));
    }
    const file = url.pathname === "/" ? join(here, "index.html") : url.pathname.startsWith("/dist/") ? join(dist, url.pathname.slice(6)) : null;
    if (!file || !resolve(file).startsWith(here) && !resolve(file).startsWith(dist)) throw new Error("not found");
    const body = await readFile(file);
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
    res.end(body);
  } catch {
    res.writeHead(404).end();
  }
});

// Signaling: the page offers; a Node peer per page answers and echoes every message.
const signaling = new WebSocketServer({ server: http, path: "/signal" });
signaling.on("connection", (ws) => {
  const pc = new WebRTCPeerConnection();
  pc.initialize({ wasmrtc: { bind: ["127.0.0.1"] } });
  const ch = pc.create_data_channel("chat", { negotiated: true, id: 1 });
  pc.session_description_created.connect((type, sdp) => {
    pc.set_local_description(type, sdp);
    ws.send(JSON.stringify({ type, sdp }));
  });
  pc.ice_candidate_created.connect((mid, index, candidate) => ws.send(JSON.stringify({ mid, index, candidate })));
  ws.on("message", (raw) => {
    const m = JSON.parse(String(raw));
    if (m.sdp) pc.set_remote_description(m.type, m.sdp);
    else if (m.candidate) pc.add_ice_candidate(m.mid, m.index, m.candidate);
  });
  const timer = setInterval(() => {
    pc.poll();
    while (ch.get_available_packet_count() > 0) {
      const data = ch.get_packet();
      ch.write_mode = ch.was_string_packet() ? WebRTCDataChannel.WRITE_MODE_TEXT : WebRTCDataChannel.WRITE_MODE_BINARY;
      ch.put_packet(data);
    }
  }, 5);
  ws.on("close", () => {
    clearInterval(timer);
    pc.close();
  });
});

http.listen(port, "127.0.0.1", () => console.log(`open ${origin}/  (relay at ${relay.url})`));
const stop = () => {
  signaling.close();
  http.close();
  void relay.close().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
