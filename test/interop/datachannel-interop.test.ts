// Our side (test/helpers/our-peer.ts: the WebAssembly engine when registered,
// else the JS extension over @roamhq/wrtc), driven only through Godot's API,
// against werift, @roamhq/wrtc and node-datachannel (libdatachannel). Each
// stack runs the whole matrix in one child process inside its own private
// network namespace (loopback only): both directions; reliable ordered,
// reliable unordered, maxRetransmits=0 unordered and maxPacketLifeTime=100
// channels, in-band (DCEP, both sides open them) and negotiated; binary and
// text messages 1 B..256 KiB both ways with echo both ways, hashes compared;
// put_packet refusing what exceeds the remote's a=max-message-size; channel
// and connection close seen across. The child records; the tests assert.
import { resolve } from "node:path";
import { beforeAll } from "vitest";
import { canUnshare, runNodeInNetns, type NetnsResult } from "../helpers/netns.js";
import { describeStackReport } from "./stacks/assertions.js";
import { NODE_STACKS, type StackName } from "./stacks/types.js";
import type { StackReport } from "./stacks/scenarios.js";

const CHILD = resolve(__dirname, "stacks/interop-child.ts");
const results = new Map<StackName, NetnsResult<StackReport>>();
// Two children at a time (this machine has two cores; three at once starve the ICE timers).
const PARALLEL = Number(process.env.WASMRTC_INTEROP_PARALLEL ?? 2);

beforeAll(async () => {
  if (!canUnshare()) return;
  const queue = [...NODE_STACKS];
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    for (let s = queue.shift(); s; s = queue.shift()) {
      results.set(s, await runNodeInNetns<StackReport>(CHILD, { args: [s, "60000"], timeoutMs: 80000 }));
    }
  }));
}, 170000);

for (const stack of NODE_STACKS) describeStackReport(stack, () => results.get(stack));
