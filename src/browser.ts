// Browser entry point: no node: modules. The engine reads wasmrtc.wasm from
// beside this file with fetch().
import { setDefaultWasmUrl } from "./engine/loader.js";

setDefaultWasmUrl(new URL("./wasmrtc.wasm", import.meta.url));

export * from "./common.js";
import { WebRTCPeerConnection, hasBrowserWebRTC } from "./godot/index.js";

// As in Godot's Web export: the browser's own stack is the default where it exists.
if (hasBrowserWebRTC()) WebRTCPeerConnection.set_default_extension("WebRTCPeerConnectionJS");
export { Engine, type EngineOptions } from "./engine/engine.js";
export { Endpoint, type EndpointOptions, type StunBindingResult } from "./engine/endpoint.js";
export { NobleCryptoProvider } from "./crypto/noble.js";
export type { CryptoProvider } from "./crypto/provider.js";
export * from "./net/index.js";
