// Godot 3's names for the classes Godot 4 renamed. In Godot 3 a GDNative
// library provided the implementation (webrtc-native's WebRTCPeerConnectionGDNative);
// its role is the extension classes' role in Godot 4, so the names are aliases.
export { WebRTCPeerConnectionExtension as WebRTCPeerConnectionGDNative } from "./peer_connection.js";
export { WebRTCDataChannelExtension as WebRTCDataChannelGDNative } from "./data_channel.js";
/** Godot 3's NetworkedMultiplayerPeer is Godot 4's MultiplayerPeer. */
export { MultiplayerPeer as NetworkedMultiplayerPeer } from "./multiplayer_peer.js";
