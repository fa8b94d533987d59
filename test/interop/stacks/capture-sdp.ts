// Captures real offers and answers for a data-channel-only session from
// Chromium, werift, @roamhq/wrtc and node-datachannel (each stack talking to
// itself on 127.0.0.1, inside a private network namespace) and writes them to
// native/sdp/testdata/<stack>-offer.sdp / -answer.sdp byte for byte (CRLF as
// produced), after ICE gathering completed so the candidates are in them.
// Run: npx vite-node test/interop/stacks/capture-sdp.ts
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inNetns, repoRoot, reportResult, runNodeInNetns } from "../../helpers/netns.js";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./chromium.js";
import { loadNodeRTC } from "./node-stacks.js";

const OUT = join(repoRoot, "native/sdp/testdata");
const FILE_NAME: Record<string, string> = { chromium: "chromium", werift: "werift", wrtc: "wrtc", "node-datachannel": "libdatachannel" };

/** Runs in Node or in the page: offer/answer with full gathering, bounded in time. */
async function capturePair(PC: new (cfg?: unknown) => any, config: unknown): Promise<{ offer: string; answer: string; version?: string }> {  // eslint-disable-line @typescript-eslint/no-explicit-any
  const gathered = (pc: any, ms: number) => new Promise<void>((resolve) => {  // eslint-disable-line @typescript-eslint/no-explicit-any
    if (pc.iceGatheringState === "complete") return resolve();
    const t = setTimeout(resolve, ms);
    const prev = pc.onicecandidate;
    pc.onicecandidate = (e: any) => {  // eslint-disable-line @typescript-eslint/no-explicit-any
      prev?.(e);
      if (!e.candidate) (clearTimeout(t), resolve());
    };
    pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && (clearTimeout(t), resolve());
  });
  const a = new PC(config);
  const b = new PC(config);
  a.createDataChannel("fixture");
  const offer = await a.createOffer();
  await a.setLocalDescription(offer);
  await gathered(a, 3000);
  const offerSdp = String(a.localDescription?.sdp ?? offer.sdp);
  await b.setRemoteDescription({ type: "offer", sdp: offerSdp });
  const answer = await b.createAnswer();
  await b.setLocalDescription(answer);
  await gathered(b, 3000);
  const answerSdp = String(b.localDescription?.sdp ?? answer.sdp);
  a.close();
  b.close();
  return { offer: offerSdp, answer: answerSdp };
}

async function captureChromium() {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext({ permissions: ["camera", "microphone"] });
    const page = await context.newPage();
    const { createServer } = await import("node:http");
    const server = createServer((_q, r) => (r.writeHead(200, { "content-type": "text/html" }), r.end("<!doctype html><title>sdp</title>")));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
    const fn = capturePair.toString();
    const r = await page.evaluate(`(${fn})(RTCPeerConnection, { iceServers: [] })`) as { offer: string; answer: string };
    server.close();
    return { ...r, version: `Chromium ${browser.version()}` };
  } finally {
    await browser.close();
  }
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const written: Record<string, { version: string; files: string[] }> = {};
  for (const stack of ["chromium", "werift", "wrtc", "node-datachannel"] as const) {
    let r: { offer: string; answer: string; version?: string };
    if (stack === "chromium") r = await captureChromium();
    else {
      const { PC, config, version } = await loadNodeRTC(stack);
      r = { ...(await capturePair(PC as never, config)), version: `${stack} ${version}` };
    }
    const files = [`${FILE_NAME[stack]}-offer.sdp`, `${FILE_NAME[stack]}-answer.sdp`];
    writeFileSync(join(OUT, files[0]!), r.offer);
    writeFileSync(join(OUT, files[1]!), r.answer);
    written[stack] = { version: r.version ?? "?", files };
  }
  return written;
}

if (inNetns()) {
  await reportResult(main);
} else {
  const r = await runNodeInNetns(new URL(import.meta.url).pathname, { timeoutMs: 90000 });
  console.log(JSON.stringify(r.ok ? r.value : r.error, null, 1));
  process.exit(r.ok ? 0 : 1);
}
