// Child entry (run by test/helpers/netns.ts inside a private network
// namespace): the whole interop matrix for the stack named in argv[2]. A stack
// that throws from its own callbacks does not end the run: the exception is
// recorded (crashes) and the run goes on. If the run outlives its budget the
// record so far is reported (cutShort) before the parent's timeout.
import { reportResult, inNetns } from "../../helpers/netns.js";
import { ourLogs } from "../../helpers/our-peer.js";
import { openStack, type StackName } from "./index.js";
import { runStackScenarios, type StackReport } from "./scenarios.js";

const crashes: string[] = [];
const record = (e: unknown) => {
  crashes.push(String((e as { stack?: string })?.stack ?? e).slice(0, 2000));
};
process.on("uncaughtException", record);
process.on("unhandledRejection", record);

await reportResult(async () => {
  if (!inNetns()) throw new Error("refusing to run outside a private network namespace");
  const name = process.argv[2] as StackName;
  const budgetMs = Number(process.argv[3] ?? 80000);
  const stack = await openStack(name);
  const report = { crashes } as StackReport;
  try {
    // Chromium's and libwebrtc's sockets drop datagrams on loopback under bursts
    // (RcvbufErrors); several 256 KiB messages at once then stall on retransmission timers.
    const run = runStackScenarios(stack, { concurrency: name === "chromium" ? 1 : 6, budgetMs }, report);
    const late = new Promise<"late">((r) => setTimeout(() => r("late"), budgetMs + 8000).unref());
    if ((await Promise.race([run, late])) === "late") report.cutShort = `still running after ${budgetMs + 8000} ms`;
    report.ourLogs = ourLogs.slice(-200);
    report.crashes = crashes;
    return JSON.parse(JSON.stringify(report));
  } finally {
    await Promise.race([stack.shutdown(), new Promise((r) => setTimeout(r, 3000))]);
  }
});
