// Node-free networking pieces (the UDP transport lives in ./udp.ts).
export * from "./address.js";
export type { BindOptions, DatagramSocket, Transport } from "./transport.js";
export { RealClock, VirtualClock, type Clock, type TimerHandle } from "./clock.js";
export { VirtualNetwork, VirtualHost, SeededRandom, type LinkConfig, type LinkStats, type NatType, type DatagramFate } from "./virtual.js";
export {
  WebSocketRelayTransport, setDefaultWebSocket, RELAY_SERVER_ADDRESS,
  type RelayTransportOptions, type WebSocketLike, type WebSocketConstructor, type RelaySocketStats,
} from "./websocket-relay.js";
export { ManualClock, ManualTransport, type OutgoingDatagram } from "./manual.js";
