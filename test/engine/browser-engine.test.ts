// The same WebAssembly engine in a real browser: Chromium fetches dist/wasmrtc.wasm
// through our loader, imports crypto from @noble, and runs STUN between two
// endpoints on the virtual network inside the page.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { haveChromium, runInChromium } from "../helpers/browser.js";
import { type EngineStunResult, engineStunScript } from "../helpers/browser-scripts.js";

describe.runIf(haveChromium())("engine in Chromium", () => {
  it("loads the module with fetch and completes STUN bindings on the virtual network", () => {
    expect(existsSync(resolve(__dirname, "../../dist/browser.js")), "run npm run build first").toBe(true);
    const r = runInChromium<EngineStunResult>(engineStunScript);
    expect(r.ok, r.error).toBe(true);
    expect(r.value!.ok).toBe(true);
    expect(r.value!.mapped).toEqual({ family: 4, ip: "10.0.0.2", port: 49152 });
    expect(r.value!.rtt).toBeCloseTo(30, 3);
    expect(r.value!.timedOut).toBe(true);
    expect(r.value!.hasNodeGlobals).toBe(false);
    console.log(`chromium engine test: ${r.ms} ms`);
  }, 120000);
});
