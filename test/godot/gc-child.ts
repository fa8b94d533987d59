// Run with --expose-gc (reference-semantics.test.ts): drops the references to
// a received channel and then to a whole connection, collects, and reports
// what the other side saw.
import { reportResult } from "../helpers/netns.js";
import { Error, WebRTCDataChannel } from "../../src/godot/index.js";
import { Net, loadEngine } from "../multiplayer/helpers.js";

const gc = (globalThis as { gc?: () => void }).gc!;

void reportResult(async () => {
  const engine = await loadEngine();
  const net = new Net(engine);
  const a = net.connection();
  let b: ReturnType<Net["connection"]> | null = net.connection();
  let unwire: (() => void) | null = net.wire(a, b);
  b.data_channel_received.connect((ch) => void ch.get_label());  // a listener that keeps nothing
  const appA = a.create_data_channel("app", { negotiated: true, id: 1 })!;
  let appB: WebRTCDataChannel | null = b.create_data_channel("app", { negotiated: true, id: 1 })!;
  const junk = a.create_data_channel("junk", {})!;
  a.create_offer();
  const poll = () => {
    a.poll();
    b?.poll();
  };
  await net.run(poll, () => appA.get_ready_state() === 1 && appB!.get_ready_state() === 1 && junk.get_ready_state() === 1);
  // 3 MB on the channel nobody kept, while the collector runs.
  let sent = 0;
  const m = new Uint8Array(16384);
  for (let round = 0; round < 40 && junk.get_ready_state() === 1; round++) {
    gc();
    await new Promise((r) => setTimeout(r, 0));  // finalizers run from the event loop
    await net.run(poll, () => {
      while (sent < 3 << 20 && junk.get_ready_state() === 1 && junk.get_buffered_amount() < 1 << 20 && junk.put_packet(m) === Error.OK) sent += m.length;
      return true;
    }, 50);
  }
  await net.run(poll, () => junk.get_ready_state() === 3, 2000);
  const channelClosedOnSender = junk.get_ready_state() === 3;
  for (let i = 0; i < 50; i++) appA.put_packet(new Uint8Array([i]));
  let small = 0;
  await net.run(poll, () => {
    while (appB!.get_available_packet_count() > 0) {
      appB!.get_packet();
      small++;
    }
    return small === 50;
  }, 6000);
  // Now drop the whole connection b (and its channel) and collect.
  const endpoint = (b as unknown as { wasmrtcEndpoint: { peerCount(): number } | null }).wasmrtcEndpoint;
  const endpointsBefore = engine.endpointCount();
  unwire!();  // the signal handlers on a hold b (as a GDScript lambda would), and so does unwire itself
  unwire = null;
  b = null;
  appB = null;
  void endpoint;
  for (let i = 0; i < 10; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
    await net.run(poll, () => false, 20);
  }
  await net.run(poll, () => a.get_connection_state() >= 4, 40000);
  return { channelClosedOnSender, small, remoteState: a.get_connection_state(), endpointsBefore, endpointsAfter: engine.endpointCount() };
});
