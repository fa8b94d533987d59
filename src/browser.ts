// Browser entry point (pages and workers): no node: modules. The engine reads
// wasmrtc.wasm from beside this file with fetch(), and reaches peers through a
// wasmrtc relay over a WebSocket.
import { setDefaultWasmUrl } from "./engine/loader.js";

// import.meta.url is empty in a classic-script (IIFE/CJS) bundle: then the page passes wasmUrl to loadBrowserEngine().
try {
  setDefaultWasmUrl(new URL("./wasmrtc.wasm", import.meta.url));
} catch {
  setDefaultWasmUrl();
}

export * from "./common.js";
import { WebRTCPeerConnection, hasBrowserWebRTC } from "./godot/index.js";

// As in Godot's Web export: the browser's own stack is the default where it
// exists; in a worker (no RTCPeerConnection) it is the engine.
WebRTCPeerConnection.set_default_extension(hasBrowserWebRTC() ? "WebRTCPeerConnectionJS" : "WebRTCPeerConnectionEngine");
export { Engine, type EngineOptions } from "./engine/engine.js";
export { setEngineLogSink, LOG_LAYERS, LOG_LEVELS, type LogFn, type LogLayerName, type LogLevelName } from "./engine/loader.js";
export { Endpoint, type EndpointOptions, type StunBindingResult } from "./engine/endpoint.js";
export { loadBrowserEngine, browserEngine, type BrowserEngineOptions } from "./engine/browser.js";
export { NobleCryptoProvider } from "./crypto/noble.js";
export type { CryptoProvider } from "./crypto/provider.js";
export * from "./net/index.js";
// The signaling client of Godot's webrtc_signaling demo (the server is Node only).
export {
  SignalingClient, SocketState, setSignalingWebSocket,
  type SignalingClientOptions, type SignalingSocket, type SignalingSocketConstructor,
} from "./signaling/client.js";
export { SignalingMultiplayer, DEMO_PEER_CONFIG, type MultiplayerPeerLike, type SignalingMultiplayerOptions } from "./signaling/multiplayer.js";
export {
  MessageType as SignalingMessageType, CloseCode as SignalingCloseCode, Reason as SignalingCloseReason,
  encodeCandidate, parseCandidate, type SignalingMessage,
} from "./signaling/protocol.js";
