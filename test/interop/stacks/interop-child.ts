// Child entry (run by test/helpers/netns.ts inside a private network
// namespace): the whole interop matrix for the stack named in argv[2].
import { reportResult, inNetns } from "../../helpers/netns.js";
import { openStack, type StackName } from "./index.js";
import { runStackScenarios } from "./scenarios.js";

await reportResult(async () => {
  if (!inNetns()) throw new Error("refusing to run outside a private network namespace");
  const name = process.argv[2] as StackName;
  const stack = await openStack(name);
  try {
    // Chromium's and libwebrtc's sockets drop datagrams on loopback under bursts
    // (RcvbufErrors); several 256 KiB messages at once then stall on retransmission timers.
    return await runStackScenarios(stack, { concurrency: name === "chromium" ? 1 : 6 });
  } finally {
    await stack.shutdown();
  }
});
