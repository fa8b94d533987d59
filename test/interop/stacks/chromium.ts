// Chromium as a remote peer: one headless browser (Debian's chromium through
// playwright-core) and one page whose own RTCPeerConnection runs the same W3C
// core as the Node stacks. Calls go in with page.evaluate, events come out
// through page.exposeFunction. Must run inside the private network namespace,
// in the same one as the Node side (loopback only).
import { createServer, type Server } from "node:http";
import { CoreRemotePeer, type CoreBackend } from "./remote-peer.js";
import { w3cPeerCore, type CoreEvent } from "./w3c-core.js";
import type { RemoteCreateOptions, RemotePeer, RemoteStack } from "./types.js";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
];

// Runs in the page: keeps the cores by id and ships events (bytes as base64).
const PAGE_GLUE = `
window.__peers = new Map();
window.__b64 = (u8) => { let s = ""; for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000)); return btoa(s); };
window.__unb64 = (s) => { const b = atob(s); const u = new Uint8Array(b.length); for (let i = 0; i < b.length; i++) u[i] = b.charCodeAt(i); return u; };
window.__make = (id, config) => {
  const t0 = performance.now();
  const core = (${w3cPeerCore.toString()})({
    PC: RTCPeerConnection, config,
    emit: (ev) => { if (ev.t === "message") ev = { ...ev, data: undefined, b64: window.__b64(ev.data) }; window.__wasmrtcEvent(id, ev); },
    now: () => performance.now() - t0,
    sendable: (u8) => u8,
    fromB64: window.__unb64,
  });
  window.__peers.set(id, core);
};
window.__call = (id, m, args) => window.__peers.get(id)[m](...args);
`;

export async function chromiumStack(): Promise<RemoteStack> {
  const { chromium } = await import("playwright-core");
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(`<!doctype html><meta charset="utf-8"><title>wasmrtc interop</title>`);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const version = browser.version();
  // Without camera/microphone permission Chromium enumerates no interface (and gathers nothing here).
  const context = await browser.newContext({ permissions: ["camera", "microphone"] });
  const page = await context.newPage();
  const logs: string[] = [];
  page.on("console", (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => logs.push(`pageerror: ${e.message}`));
  const peers = new Map<number, CoreRemotePeer>();
  await page.exposeFunction("__wasmrtcEvent", (id: number, ev: CoreEvent & { b64?: string }) => {
    const p = peers.get(id);
    if (!p) return;
    if (ev.t === "message") ev = { ...ev, data: new Uint8Array(Buffer.from(ev.b64!, "base64")) };
    p.handleEvent(ev);
  });
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.addScriptTag({ content: PAGE_GLUE });
  let nextId = 1;
  return {
    name: "chromium",
    version: `Chromium ${version}`,
    async create(opts: RemoteCreateOptions = {}): Promise<RemotePeer> {
      const id = nextId++;
      const backend: CoreBackend = {
        call: (m, ...args) => page.evaluate(([i, mm, a]) => (window as never as { __call: (...x: unknown[]) => unknown }).__call(i, mm, a), [id, m, args] as const) as Promise<never>,
        payload: (d) => (typeof d === "string" ? { text: d } : { b64: Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString("base64") }),
      };
      const peer = new CoreRemotePeer("chromium", backend);
      peers.set(id, peer);
      await page.evaluate(([i, cfg]) => (window as never as { __make: (...x: unknown[]) => void }).__make(i, cfg), [id, { iceServers: [] }] as const);
      for (const spec of opts.channels ?? []) await peer.createChannel(spec);
      return peer;
    },
    async shutdown() {
      await browser.close().catch(() => {});
      server.close();
    },
    // for diagnostics
    ...({ logs } as object),
  } as RemoteStack;
}
