// Our side (test/helpers/our-peer.ts) against Debian's Chromium: one headless
// browser, launched by a child process inside a private network namespace
// (loopback only), whose page runs its own RTCPeerConnection through the same
// W3C core as the Node stacks; the page is driven from the child with
// playwright's page.evaluate / exposeFunction. Same matrix and checks as
// datachannel-interop.test.ts, both directions, one browser launch.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { beforeAll, describe } from "vitest";
import { canUnshare, runNodeInNetns, type NetnsResult } from "../helpers/netns.js";
import { describeStackReport } from "./stacks/assertions.js";
import { CHROMIUM_PATH } from "./stacks/chromium.js";
import type { StackReport } from "./stacks/scenarios.js";

const CHILD = resolve(__dirname, "stacks/interop-child.ts");
let result: NetnsResult<StackReport> | undefined;

describe.runIf(existsSync(CHROMIUM_PATH) && canUnshare())("Chromium", () => {
  beforeAll(async () => {
    result = await runNodeInNetns<StackReport>(CHILD, { args: ["chromium", "80000"], timeoutMs: 100000 });
  }, 110000);
  describeStackReport("chromium", () => result);
});
