// "Keep a reference, or it will be closed" (Godot's class reference), on the
// engine: an in-band channel announced while nobody listens is closed at once;
// a closed channel's unread data no longer holds the association's receive
// window; channels and connections the garbage collector takes are closed
// (best effort; a child process with --expose-gc shows it). The first test
// reproduces the measured stall (3 MB unread on a channel nobody picked up
// held the window: 7 of 50 small messages got through) and shows it gone.
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { Error, WebRTCDataChannel, set_log_sink } from "../../src/godot/index.js";
import type { WebRTCPeerConnection } from "../../src/godot/peer_connection.js";
import type { Engine } from "../../src/engine/engine.js";
import { canUnshare, runNodeInNetns } from "../helpers/netns.js";
import { Net, loadEngine } from "../multiplayer/helpers.js";

let engine: Engine;
const logs: string[] = [];
beforeAll(async () => {
  engine = await loadEngine();
  set_log_sink((_l, m) => logs.push(m));
});

async function pair(net: Net, listen: boolean) {
  const a = net.connection();
  const b = net.connection();
  net.wire(a, b);
  const received: WebRTCDataChannel[] = [];
  if (listen) b.data_channel_received.connect((ch) => received.push(ch));
  const appA = a.create_data_channel("app", { negotiated: true, id: 1 })!;
  const appB = b.create_data_channel("app", { negotiated: true, id: 1 })!;
  const junk = a.create_data_channel("junk", { ordered: true })!;
  a.create_offer();
  const pcs: WebRTCPeerConnection[] = [a, b];
  const poll = () => pcs.forEach((p) => p.poll());
  // Without a listener the remote closes "junk" as soon as it announces it: it may never be seen OPEN here.
  const open = () => appA.get_ready_state() === 1 && appB.get_ready_state() === 1 && (!listen || junk.get_ready_state() === 1);
  expect(await net.run(poll, open)).toBe(true);
  return { a, b, appA, appB, junk, received, poll };
}

/** Sends up to `bytes` on `ch` in 16 KiB messages as its buffer allows, for `ms` of virtual time. */
async function flood(net: Net, poll: () => void, ch: WebRTCDataChannel, bytes: number, ms: number): Promise<number> {
  let sent = 0;
  const m = new Uint8Array(16384);
  await net.run(poll, () => {
    while (sent < bytes && ch.get_ready_state() === 1 && ch.get_buffered_amount() < 1 << 20) {
      if (ch.put_packet(m) !== Error.OK) break;
      sent += m.length;
    }
    return sent >= bytes || ch.get_ready_state() !== 1;
  }, ms);
  return sent;
}

async function smallMessages(net: Net, poll: () => void, from: WebRTCDataChannel, to: WebRTCDataChannel, ms: number): Promise<number> {
  for (let i = 0; i < 50; i++) expect(from.put_packet(new Uint8Array([i]))).toBe(Error.OK);
  let got = 0;
  await net.run(poll, () => {
    while (to.get_available_packet_count() > 0) {
      to.get_packet();
      got++;
    }
    return got === 50;
  }, ms);
  return got;
}

describe("reference semantics", () => {
  it("an in-band channel nobody listens for is closed at once: 3 MB cannot stall the application's channel", async () => {
    const net = new Net(engine);
    const { appA, appB, junk, poll } = await pair(net, false);
    await net.run(poll, () => junk.get_ready_state() !== WebRTCDataChannel.STATE_CONNECTING, 3000);
    await flood(net, poll, junk, 3 * 1024 * 1024, 3000);  // whatever gets out before the remote's close
    await net.run(poll, () => junk.get_ready_state() === WebRTCDataChannel.STATE_CLOSED, 3000);
    expect(logs.some((l) => /data_channel_received has no listener: channel .junk. is closed/.test(l)), logs.join("\n")).toBe(true);
    expect(junk.get_ready_state()).toBe(WebRTCDataChannel.STATE_CLOSED);  // the remote closed it
    expect(await smallMessages(net, poll, appA, appB, 6000)).toBe(50);
  });

  it("the stall, reproduced: a channel that is kept but never read holds the window (by design: a slow reader slows the sender)", async () => {
    const net = new Net(engine);
    const { appA, appB, junk, received, poll } = await pair(net, true);
    expect(received.map((c) => c.get_label())).toEqual(["junk"]);
    await flood(net, poll, junk, 3 * 1024 * 1024, 3000);
    const before = await smallMessages(net, poll, appA, appB, 2000);
    expect(before).toBeLessThan(50);
    // Closing it, unread, gives its bytes back to the window: everything else flows again.
    received[0]!.close();
    let got = before;
    await net.run(poll, () => {
      while (appB.get_available_packet_count() > 0) {
        appB.get_packet();
        got++;
      }
      return got === 50;
    }, 6000);
    expect(got).toBe(50);
    // Packets it had already received stay readable after close (Native; nothing is lost).
    expect(received[0]!.get_available_packet_count()).toBeGreaterThan(0);
    expect(received[0]!.get_packet().length).toBe(16384);
  });
});

describe.runIf(canUnshare())("reference semantics: garbage collection (best effort)", () => {
  it("a collected channel is closed and gives its window back; a collected connection is closed and its socket freed", async () => {
    const r = await runNodeInNetns<{ channelClosedOnSender: boolean; small: number; remoteState: number; endpointsBefore: number; endpointsAfter: number }>(
      resolve(__dirname, "gc-child.ts"), { nodeFlags: ["--expose-gc"], timeoutMs: 60000 });
    expect(r.ok, `${r.error} ${r.stderr}`).toBe(true);
    const v = r.value!;
    expect(v.channelClosedOnSender).toBe(true);
    expect(v.small).toBe(50);
    expect([4, 5]).toContain(v.remoteState);  // the other side sees the connection end (CLOSED or FAILED)
    expect(v.endpointsAfter).toBe(v.endpointsBefore - 1);  // the collected connection's endpoint (its socket) is gone
  }, 70000);
});
