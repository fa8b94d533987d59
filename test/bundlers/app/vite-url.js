// Vite, the documented way for assets: `?url` on the package's "./wasmrtc.wasm"
// export gives the URL of the emitted, hashed asset; it is passed to
// Engine.load as wasmUrl.
import wasmUrl from "wasmrtc/wasmrtc.wasm?url";
import { report } from "./check.js";

report(wasmUrl);
