// esbuild with the file loader: `loader: { ".wasm": "file" }` turns the
// package's "./wasmrtc.wasm" export into an emitted, hashed asset and this
// import into its URL. That URL is relative to the page, not to the script
// ("./wasmrtc-HASH.wasm" by default; set publicPath when index.html and the
// assets live apart), and it is passed to Engine.load as wasmUrl.
import wasmUrl from "wasmrtc/wasmrtc.wasm";
import { report } from "./check.js";

report(wasmUrl);
