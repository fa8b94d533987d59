// Where lobbies live: in this process (memory-backend.ts) or in Redis, shared
// by several processes (redis-backend.ts). A connection (session.ts) asks the
// backend to create, join, seal, leave and relay; the backend tells the other
// members (PEER_CONNECT, PEER_DISCONNECT, SEAL, relayed messages) and closes
// them when the lobby ends. The newcomer's own replies (ID, PEER_CONNECT per
// member, JOIN) are sent by its session from what create/join return.
import { HOST_ID } from "./protocol.js";

/** A connection as a backend sees it. */
export interface LocalPeer {
  /** Unique across every process sharing the lobbies. */
  readonly uid: string;
  /** Sends one text frame. */
  deliver(frame: string): void;
  /** Closes the connection with this code and reason. */
  kick(code: number, reason: string): void;
}

export type JoinResult =
  | { ok: true; lobby: string; id: number; mesh: boolean; announce: number[] }
  | { ok: false; reason: string };

/** null when done, else the demo's close reason (a Reason value). */
export type OpResult = string | null;

export interface LobbyBackend {
  /** Makes a lobby with `peer` as its host (id 1). */
  create(peer: LocalPeer, mesh: boolean): Promise<JoinResult>;
  /** Adds `peer` to an existing, unsealed lobby under a fresh id. */
  join(lobby: string, peer: LocalPeer): Promise<JoinResult>;
  /** Only the host (id 1) may seal; the lobby closes sealCloseTimeoutMs later. */
  seal(lobby: string, id: number, peer: LocalPeer): Promise<OpResult>;
  /** Hands `frame` (already carrying the sender's id) to member `dest` (1 = the host). */
  relay(lobby: string, id: number, peer: LocalPeer, dest: number, frame: string): Promise<OpResult>;
  /** The connection is gone: the others hear PEER_DISCONNECT, or the lobby closes if it was the host. */
  leave(lobby: string, id: number, peer: LocalPeer): Promise<void>;
  /** Lobbies whose host is connected here. */
  hostedLobbies(): number;
  close(): Promise<void>;
}

/** What a backend reports to its server. */
export interface BackendEvents {
  lobbyOpened(lobby: string): void;
  lobbyClosed(lobby: string, why: string): void;
  error(what: string, e: unknown): void;
}

/**
 * Whether members `a` and `b` are announced to each other and may address
 * each other. Mesh lobbies: always. Client/server lobbies: only pairs with
 * the host, unless the server announces everyone (server.js's behaviour).
 */
export function mayMeet(mesh: boolean, announceAll: boolean, a: number, b: number): boolean {
  return mesh || announceAll || a === HOST_ID || b === HOST_ID;
}
