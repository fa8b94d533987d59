// Node entry point.
export * from "./common.js";
export { Engine, type EngineOptions } from "./engine/engine.js";
export { setEngineLogSink, LOG_LAYERS, LOG_LEVELS, type LogFn, type LogLayerName, type LogLevelName } from "./engine/loader.js";
export { Endpoint, type EndpointOptions, type StunBindingResult, type PeerOptions } from "./engine/endpoint.js";
export { PeerHandle } from "./engine/peer.js";
export { loadNodeEngine, loadNodeEngineSync, createNodeEndpoint, defaultNodeCrypto, type NodeEndpointOptions } from "./engine/node.js";
export { NodeCryptoProvider } from "./crypto/node.js";
export { DenoOpenSslCryptoProvider } from "./crypto/deno-openssl.js";
export { NobleCryptoProvider } from "./crypto/noble.js";
export type { CryptoProvider } from "./crypto/provider.js";
export { NodeUdpTransport } from "./net/udp.js";
export { NodeUdpThreadTransport, type NodeUdpThreadOptions } from "./net/udp-thread.js";
export { DenoUdpTransport, hasDenoDatagram } from "./net/deno-udp.js";
export * from "./net/index.js";
export * from "./relay/index.js";
export { createPcapngFileCapture, type PcapngFileCapture } from "./debug/pcapng-file.js";
export * from "./signaling/index.js";

import { WebRTCPeerConnection, setEngineRuntime } from "./godot/index.js";
import { loadNodeEngineSync } from "./engine/node.js";
import { NodeUdpTransport } from "./net/udp.js";
import { DenoUdpTransport, hasDenoDatagram } from "./net/deno-udp.js";
import { RealClock } from "./net/clock.js";
import { setDefaultWebSocket, type WebSocketConstructor } from "./net/websocket-relay.js";
import { WebSocket as WsWebSocket } from "ws";
import { appendFileSync } from "node:fs";

// Node 20 has no global WebSocket: the relay transport uses the `ws` package there.
if (typeof (globalThis as { WebSocket?: unknown }).WebSocket !== "function") {
  setDefaultWebSocket(WsWebSocket as unknown as WebSocketConstructor);
}

// In Node the WebAssembly engine is the default implementation behind Godot's API
// (loaded synchronously on the first initialize(); UDP sockets; the real clock).
const realClock = new RealClock();
setEngineRuntime({
  engine: () => loadNodeEngineSync(),
  // Deno: its own UDP API where --unstable-net offers it (its node:dgram layer is slower).
  transport: () => (hasDenoDatagram() ? new DenoUdpTransport() : new NodeUdpTransport()),
  clock: () => realClock,
});
WebRTCPeerConnection.set_default_extension("WebRTCPeerConnectionEngine");

// SSLKEYLOGFILE, as OpenSSL-based tools honour it: every DTLS handshake of the process's
// engine appends its key log line, so Wireshark can decrypt a capture. Debugging only.
const keyLogFile = typeof process !== "undefined" ? process.env?.SSLKEYLOGFILE : undefined;
if (keyLogFile) {
  try {
    loadNodeEngineSync().setKeyLog((line) => appendFileSync(keyLogFile, line + "\n"));
  } catch (e) {
    console.warn(`wasmrtc: SSLKEYLOGFILE is set but the key log cannot be enabled: ${(e as Error)?.message ?? e}`);
  }
}
