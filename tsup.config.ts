import { defineConfig } from "tsup";

// Node entry as ESM + CJS (with types for both); browser entry as ESM without
// any node: module. The .wasm is copied beside them by scripts/build-wasm.sh.
export default defineConfig([
  {
    entry: { index: "src/index.ts" },
    format: ["esm", "cjs"],
    platform: "node",
    target: "node20",
    dts: true,
    sourcemap: true,
    clean: false,
    shims: true,
    splitting: false,
    outDir: "dist",
  },
  {
    // The conformance suite: one self-contained file for every runtime (no node: import).
    entry: { conformance: "src/conformance/index.ts" },
    format: ["esm"],
    platform: "neutral",
    target: "es2022",
    noExternal: [/^@noble\//],
    dts: true,
    sourcemap: true,
    clean: false,
    splitting: false,
    outDir: "dist",
  },
  {
    // The conformance command line (bin wasmrtc-conformance); Deno and Bun run it too (--child).
    entry: { "conformance-cli": "src/conformance/cli.ts" },
    format: ["esm"],
    platform: "node",
    target: "node20",
    banner: { js: "#!/usr/bin/env node" },
    external: ["playwright-core", "puppeteer-core"],
    sourcemap: true,
    clean: false,
    splitting: false,
    outDir: "dist",
  },
  {
    // The relay's command line (bin wasmrtc-relay).
    entry: { "relay-cli": "src/relay/cli.ts" },
    format: ["esm"],
    platform: "node",
    target: "node20",
    banner: { js: "#!/usr/bin/env node" },
    sourcemap: true,
    clean: false,
    splitting: false,
    outDir: "dist",
  },
  {
    // The signaling server's command line (bin wasmrtc-signaling).
    entry: { "signaling-cli": "src/signaling/cli.ts" },
    format: ["esm"],
    platform: "node",
    target: "node20",
    banner: { js: "#!/usr/bin/env node" },
    sourcemap: true,
    clean: false,
    splitting: false,
    outDir: "dist",
  },
  {
    entry: { browser: "src/browser.ts" },
    format: ["esm"],
    platform: "browser",
    target: "es2022",
    // Self-contained: a page can import dist/browser.js without a bundler.
    noExternal: [/^@noble\//],
    dts: true,
    sourcemap: true,
    clean: false,
    splitting: false,
    outDir: "dist",
  },
]);
