// esbuild, relying on the entry's default URL: dist/browser.js does
// setDefaultWasmUrl(new URL("./wasmrtc.wasm", import.meta.url)). esbuild keeps
// that expression as it is (it copies no asset for it), and in an ESM bundle
// import.meta.url is the bundle's own URL, so the user copies
// node_modules/wasmrtc/dist/wasmrtc.wasm beside the output .js file that holds
// the loader (the test does that). This needs format "esm": with "iife" or
// "cjs" esbuild empties import.meta, and the entry's top-level new URL(...)
// throws "Invalid URL" as the bundle starts, before any wasmUrl can be given.
import { report } from "./check.js";

report(undefined);
