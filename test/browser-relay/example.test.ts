// examples/browser-relay runs as its comment says: the page (our engine, through
// the relay) connects to the Node peer and gets its messages echoed.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { canUnshare, repoRoot, runNodeInNetns } from "../helpers/netns.js";

describe.runIf(existsSync(process.env.CHROMIUM_PATH ?? "/usr/bin/chromium") && canUnshare())("examples/browser-relay", () => {
  it("the page connects through the relay and its messages come back", async () => {
    const r = await runNodeInNetns<{ echoed: boolean; state: string; status: string; log: string; logs: string[]; serverOut: string }>(
      resolve(__dirname, "example-child.mjs"), { timeoutMs: 60000, env: { WASMRTC_REPO: repoRoot } });
    expect(r.ok, `${r.error} ${r.stderr}`).toBe(true);
    const v = r.value!;
    expect(v.echoed, JSON.stringify(v)).toBe(true);
    expect(v.state).toBe("CONNECTED");
    expect(v.log).toMatch(/our candidate: .* typ relay /);
    expect(v.log).toMatch(/echo: hello #1\n/);
  }, 70000);
});
