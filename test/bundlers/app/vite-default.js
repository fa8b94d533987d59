// Vite, relying on the entry's default URL: in `vite build` the
// vite:asset-import-meta-url plugin rewrites dist/browser.js's
// new URL("./wasmrtc.wasm", import.meta.url) to the emitted, hashed asset, so
// no wasmUrl is needed. Not so under `vite dev` (checked by hand, not by this
// test): dependency pre-bundling rewrites it to
// /node_modules/.vite/deps/wasmrtc.wasm, which does not exist; the dev server
// answers that with index.html (200, text/html), and WebAssembly.compile fails
// on the HTML ("expected magic word"). Either exclude the package from
// pre-bundling (optimizeDeps: { exclude: ["wasmrtc"] }, then it resolves to
// /node_modules/wasmrtc/dist/wasmrtc.wasm) or pass wasmUrl from `?url` as
// vite-url.js does, which works in dev and build alike.
import { report } from "./check.js";

report(undefined);
