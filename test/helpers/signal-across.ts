// Signaling straight across two Godot peer connections in one process: each one's descriptions and
// candidates go to the other as they are created.
import type { WebRTCPeerConnection } from "../../src/godot/index.js";

export function signalAcross(a: WebRTCPeerConnection, b: WebRTCPeerConnection): void {
  a.session_description_created.connect((t, sdp) => { a.set_local_description(t, sdp); b.set_remote_description(t, sdp); });
  b.session_description_created.connect((t, sdp) => { b.set_local_description(t, sdp); a.set_remote_description(t, sdp); });
  a.ice_candidate_created.connect((m, x, name) => b.add_ice_candidate(m, x, name));
  b.ice_candidate_created.connect((m, x, name) => a.add_ice_candidate(m, x, name));
}
