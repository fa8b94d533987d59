// Child (run inside a private network namespace by pion-interop.test.ts): one
// data channel from our engine to each stack named in argv[2] (comma-separated:
// node-datachannel, chromium, pion), both orders of the offer, and what our
// SCTP association said about zero checksum (RFC 9653). The engine's sctp layer
// logs at info (WASMRTC_LOG=sctp=info, set by the parent) one line when the
// association is established ("zero checksum to the peer: yes|no") and one when
// it closes (packets out and in, and how many of them had a zero checksum).
import { inNetns, reportResult } from "../../helpers/netns.js";
import { createOurPeer, ourSide } from "../../helpers/our-peer.js";
import { setEngineLogSink } from "../../../src/index.js";
import { OurPeer, sleep, until } from "../stacks/godot-side.js";
import { openStack, type StackName } from "../stacks/index.js";
import { withTimeout } from "../stacks/remote-peer.js";

export interface ZeroChecksumRecord {
  stack: string;
  version: string;
  weOffer: boolean;
  open: boolean;
  echoed: number;
  /** Our sctp layer's lines for this connection. */
  lines: string[];
  established?: string;
  closed?: string;
  toPeer?: boolean;
  zeroOut?: number;
  zeroIn?: number;
  packetsIn?: number;
  packetsOut?: number;
  error?: string;
}

const sctpLines: string[] = [];
setEngineLogSink((level, message, layer) => {
  if (layer === "sctp") sctpLines.push(message);
  else if (level >= 2) process.stderr.write(`[wasmrtc ${layer}] ${message}\n`);
});

async function one(name: StackName, weOffer: boolean): Promise<ZeroChecksumRecord> {
  const stack = await openStack(name);
  const rec: ZeroChecksumRecord = { stack: name, version: stack.version, weOffer, open: false, echoed: 0, lines: [] };
  const from = sctpLines.length;
  try {
    const ours = new OurPeer(await createOurPeer()).start();
    const remote = await stack.create();
    // The offerer creates the channel (an offer without one has no m=application section).
    if (weOffer) ours.createChannel("zc", {});
    else await remote.createChannel({ label: "zc" });
    await withTimeout(ours.signal(remote, weOffer), 20000, `signaling with ${name}`);
    rec.open = await until(() => !!ours.channels.get("zc")?.isOpen() && !!remote.channels.get("zc")?.isOpen(), 15000);
    const ch = ours.channels.get("zc");
    if (rec.open && ch) {
      const theirs = remote.channels.get("zc")!;
      await theirs.setEcho(true);
      // Enough packets both ways that a zero checksum in each direction shows in the counts.
      for (let i = 0; i < 20; i++) ch.send(new Uint8Array(3000).fill(i), false);
      await until(() => ch.received.length >= 20, 10000);
      rec.echoed = ch.received.length;
    }
    ours.pc.close();
    ours.tick();
    ours.stop();
    await remote.close().catch(() => {});
    await sleep(100);
  } catch (e) {
    rec.error = String((e as Error)?.stack ?? e);
  } finally {
    await Promise.race([stack.shutdown(), sleep(4000)]);
  }
  rec.lines = sctpLines.slice(from);
  rec.established = rec.lines.find((l) => l.startsWith("SCTP: established"));
  rec.closed = rec.lines.find((l) => l.startsWith("SCTP: closed"));
  if (rec.established) rec.toPeer = /zero checksum to the peer: yes/.test(rec.established);
  const m = rec.closed && /packets out (\d+) \(zero checksum (\d+)\), in (\d+) \(zero checksum (\d+)\)/.exec(rec.closed);
  if (m) [rec.packetsOut, rec.zeroOut, rec.packetsIn, rec.zeroIn] = m.slice(1).map(Number);
  return rec;
}

await reportResult(async () => {
  if (!inNetns()) throw new Error("refusing to run outside a private network namespace");
  const side = await ourSide();
  const out: ZeroChecksumRecord[] = [];
  for (const name of (process.argv[2] ?? "").split(",").filter(Boolean) as StackName[]) {
    for (const weOffer of [true, false]) out.push(await one(name, weOffer));
  }
  return { ourSide: side, records: out };
});
