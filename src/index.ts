// Node entry point.
export * from "./common.js";
export { Engine, type EngineOptions } from "./engine/engine.js";
export { Endpoint, type EndpointOptions, type StunBindingResult } from "./engine/endpoint.js";
export { loadNodeEngine, createNodeEndpoint, type NodeEndpointOptions } from "./engine/node.js";
export { NodeCryptoProvider } from "./crypto/node.js";
export { NobleCryptoProvider } from "./crypto/noble.js";
export type { CryptoProvider } from "./crypto/provider.js";
export { NodeUdpTransport } from "./net/udp.js";
export * from "./net/index.js";
