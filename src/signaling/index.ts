// Signaling as in Godot's webrtc_signaling demo: the server (Node only), the
// client (ws_webrtc_client.gd) and the multiplayer glue (multiplayer_client.gd).
import { WebSocket as WsWebSocket } from "ws";
import { setSignalingWebSocket, type SignalingSocketConstructor } from "./client.js";

// Node 20 has no global WebSocket: the client uses the `ws` package there.
if (typeof (globalThis as { WebSocket?: unknown }).WebSocket !== "function") {
  setSignalingWebSocket(WsWebSocket as unknown as SignalingSocketConstructor);
}

export { createSignalingServer, type SignalingServer } from "./server.js";
export { SIGNALING_DEFAULTS, type SignalingServerOptions, type SignalingRateLimit } from "./options.js";
export type { SignalingStats } from "./stats.js";
export {
  SignalingClient, SocketState, setSignalingWebSocket,
  type SignalingClientOptions, type SignalingSocket, type SignalingSocketConstructor,
} from "./client.js";
export { SignalingMultiplayer, DEMO_PEER_CONFIG, type MultiplayerPeerLike, type SignalingMultiplayerOptions } from "./multiplayer.js";
export {
  MessageType as SignalingMessageType, CloseCode as SignalingCloseCode, Reason as SignalingCloseReason,
  encodeCandidate, parseCandidate, type SignalingMessage,
} from "./protocol.js";
