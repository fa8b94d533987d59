// Deno's AES-GCM records from OpenSSL over FFI (src/crypto/deno-openssl.ts)
// are the published vectors' bytes and agree with node:crypto, in Deno itself.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const repo = resolve(__dirname, "../..");
const deno = resolve(repo, "node_modules/.bin/deno");

describe.runIf(existsSync(deno))("Deno: AES-GCM over FFI to OpenSSL", () => {
  it("matches the vectors, refuses forged records, agrees with node:crypto", () => {
    const out = JSON.parse(execFileSync(deno, ["run", "-A", resolve(__dirname, "deno-aead-check.mjs")], { cwd: repo, encoding: "utf8", timeout: 60000 }).trim().split("\n").pop()!);
    expect(out.available).toBe(true);
    expect(out.vectors).toBeGreaterThanOrEqual(8);
    expect(out.failures).toEqual([]);
    expect(out.forgedRefused).toBe(out.vectors);
    expect(out.randomAgree).toBe(200);
  }, 70000);
});
