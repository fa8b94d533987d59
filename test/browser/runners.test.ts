// The browser runners themselves: the engine's STUN test (the same script as
// test/engine/browser-engine.test.ts) in a Firefox ESR page (puppeteer-core over
// WebDriver BiDi), and in a dedicated module worker in Chromium and in Firefox.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { type BrowserResult, haveChromium, haveFirefox, runInChromium, runInFirefox } from "../helpers/browser.js";
import { type EngineStunResult, engineStunScript } from "../helpers/browser-scripts.js";

const built = () => expect(existsSync(resolve(__dirname, "../../dist/browser.js")), "run npm run build first").toBe(true);

function expectStun(r: BrowserResult<EngineStunResult>, inWorker: boolean): void {
  expect(r.ok, `${r.error}\n${(r.logs ?? []).join("\n")}`).toBe(true);
  const v = r.value!;
  expect(v.ok).toBe(true);
  expect(v.mapped).toEqual({ family: 4, ip: "10.0.0.2", port: 49152 });
  expect(v.rtt).toBeCloseTo(30, 3);
  expect(v.timedOut).toBe(true);
  expect(v.hasNodeGlobals).toBe(false);
  expect(v.inWorker).toBe(inWorker);
}

describe.runIf(haveFirefox())("engine in Firefox ESR", () => {
  it("loads the module with fetch and completes STUN bindings on the virtual network", () => {
    built();
    const r = runInFirefox<EngineStunResult>(engineStunScript, { timeoutMs: 120000 });
    console.log(`firefox page engine test: ${r.ms} ms`);
    expectStun(r, false);
  }, 130000);

  it("does the same in a dedicated module worker", () => {
    built();
    const r = runInFirefox<EngineStunResult>(engineStunScript, { worker: true, timeoutMs: 120000 });
    console.log(`firefox worker engine test: ${r.ms} ms`);
    expectStun(r, true);
  }, 130000);
});

describe.runIf(haveChromium())("engine in a Chromium dedicated worker", () => {
  it("loads the module with fetch and completes STUN bindings on the virtual network", () => {
    built();
    const r = runInChromium<EngineStunResult>(engineStunScript, { worker: true, timeoutMs: 120000 });
    console.log(`chromium worker engine test: ${r.ms} ms`);
    expectStun(r, true);
  }, 130000);
});
