// Godot 3's WebRTCMultiplayer (a NetworkedMultiplayerPeer): the same three
// channels on every connection, but set up with initialize(peer_id,
// server_compatibility), peers kept in id order (Godot 3's Map), and the
// NetworkedMultiplayerPeer signals (connection_succeeded, server_disconnected)
// of its server-compatibility mode. Spec §4.8.
import { Error } from "./error.js";
import { printError } from "./log.js";
import { ConnectionStatus, MAX_PEER_ID, WebRTCMultiplayerPeer } from "./multiplayer_peer.js";
import { ConnectionState, WebRTCPeerConnection } from "./peer_connection.js";
import { Signal } from "./signal.js";

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);
const MODE_GODOT3 = 4;  // none of Godot 4's modes: no relay, no extra channels

export class WebRTCMultiplayer extends WebRTCMultiplayerPeer {
  readonly connection_succeeded = new Signal<[]>("connection_succeeded");
  /** Declared by NetworkedMultiplayerPeer; Godot 3's WebRTC implementation never emits it. */
  readonly connection_failed = new Signal<[]>("connection_failed");
  readonly server_disconnected = new Signal<[]>("server_disconnected");
  private serverCompat = false;

  /** Godot 3: id 0 … 2^31 − 1; CONNECTED at once unless server compatibility waits for peer 1. */
  initialize(peer_id: unknown, server_compatibility: unknown = false): Error {
    if (!isInt(peer_id) || peer_id < 0 || peer_id > MAX_PEER_ID) {
      printError(`initialize: the peer id must be between 0 and ${MAX_PEER_ID}.`);
      return Error.ERR_INVALID_PARAMETER;
    }
    if (typeof server_compatibility !== "boolean") {
      printError("initialize: server_compatibility must be a bool.");
      return Error.ERR_INVALID_PARAMETER;
    }
    this.uniqueId = peer_id;
    this.serverCompat = server_compatibility;
    this.mode = MODE_GODOT3;
    this.status = !server_compatibility || peer_id === 1 ? ConnectionStatus.CONNECTION_CONNECTED : ConnectionStatus.CONNECTION_CONNECTING;
    return Error.OK;
  }

  /** Godot 3's checks: id range, lifetime, refusing, a NEW connection (no mode rules). */
  override add_peer(peer: unknown, peer_id: unknown, unreliable_lifetime: unknown = 1): Error {
    if (!isInt(peer_id) || peer_id < 0 || peer_id > MAX_PEER_ID) {
      printError(`add_peer: the peer id must be between 0 and ${MAX_PEER_ID}.`);
      return Error.ERR_INVALID_PARAMETER;
    }
    if (!isInt(unreliable_lifetime) || unreliable_lifetime < 0) {
      printError("add_peer: unreliable_lifetime must be an integer ≥ 0.");
      return Error.ERR_INVALID_PARAMETER;
    }
    if (this.refuse) {
      printError("add_peer: refusing new connections.");
      return Error.ERR_UNAUTHORIZED;
    }
    if (!(peer instanceof WebRTCPeerConnection) || peer.get_connection_state() !== ConnectionState.STATE_NEW) {
      printError("add_peer: the peer must be a new WebRTCPeerConnection.");
      return Error.ERR_INVALID_PARAMETER;
    }
    return this.attach(peer, peer_id);
  }

  /** Godot 3 keeps peers in a Map ordered by id. */
  protected override order(): number[] {
    return [...this.peers.keys()].sort((a, b) => a - b);
  }

  protected override onPeerRemoved(id: number): void {
    this.peer_disconnected.emit(id);
    if (this.serverCompat && id === 1) {
      this.server_disconnected.emit();
      this.status = ConnectionStatus.CONNECTION_DISCONNECTED;
    }
  }

  /**
   * Godot 3: when the server connects in compatibility mode, CONNECTED,
   * peer_connected(1), connection_succeeded, then peer_connected for every
   * peer already connected; until then other peers are not announced.
   */
  protected override announce(add: number[]): void {
    for (const id of add) {
      if (this.serverCompat && id === 1) {
        this.status = ConnectionStatus.CONNECTION_CONNECTED;
        this.peer_connected.emit(1);
        this.connection_succeeded.emit();
        for (const other of this.order()) {
          if (other !== 1 && this.peers.get(other)?.connected) this.peer_connected.emit(other);
        }
        return;
      }
      if (this.serverCompat && this.status !== ConnectionStatus.CONNECTION_CONNECTED) continue;
      this.peer_connected.emit(id);
    }
  }

  /** Godot 3 has no transfer channels and no relay at this layer. */
  override is_server_relay_supported(): boolean {
    return false;
  }
}
