// The Godot API surface.
export { Error, GodotError } from "./error.js";
export { set_log_sink, type LogSink } from "./log.js";
export { Signal, ConnectFlags, CONNECT_DEFERRED, CONNECT_PERSIST, CONNECT_ONESHOT, CONNECT_ONE_SHOT, CONNECT_REFERENCE_COUNTED, type SignalOwner } from "./signal.js";
export * from "./variant.js";
export { WebRTCDataChannel, WebRTCDataChannelExtension, WriteMode, ChannelState } from "./data_channel.js";
export { QueuedDataChannel, type ChannelInit } from "./queued_channel.js";
export {
  WebRTCPeerConnection,
  WebRTCPeerConnectionExtension,
  ConnectionState,
  GatheringState,
  SignalingState,
  parseIceUrl,
  type PeerConfig,
  type IceServer,
} from "./peer_connection.js";
export { WebRTCPeerConnectionJS, setRTCPeerConnectionImplementation, hasBrowserWebRTC } from "./browser_extension.js";
export { WebRTCPeerConnectionEngine, setEngineRuntime, type EngineRuntime, type WasmrtcConfig, type RelayConfig } from "./engine_extension.js";
export { MultiplayerPeer, WebRTCMultiplayerPeer, TransferMode, ConnectionStatus } from "./multiplayer_peer.js";
export { WebRTCMultiplayer } from "./multiplayer_godot3.js";
export { WebRTCPeerConnectionGDNative, WebRTCDataChannelGDNative, NetworkedMultiplayerPeer } from "./godot3.js";
export { SceneMultiplayerRaw, NetworkCommand, SysCommand, encodeRaw, encodeSys, encodeAuth, decodeScenePacket, type ScenePacket } from "./scene_multiplayer.js";
