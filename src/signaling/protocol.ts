// The wire protocol of Godot's webrtc_signaling demo (godot-demo-projects,
// networking/webrtc_signaling: README.md, server_node/server.js,
// client/ws_webrtc_client.gd): one JSON object per WebSocket text frame,
// {"type": int, "id": int, "data": string}. No Node or DOM import: the client
// uses this file in any runtime.

/** Message types, numbered as the demo's `Message` enum / server.js `CMD`. */
export const MessageType = {
  JOIN: 0,
  ID: 1,
  PEER_CONNECT: 2,
  PEER_DISCONNECT: 3,
  OFFER: 4,
  ANSWER: 5,
  CANDIDATE: 6,
  SEAL: 7,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export interface SignalingMessage {
  type: number;
  id: number;
  data: string;
}

/** The host's id as every other member sees it (MultiplayerPeer.TARGET_PEER_SERVER). */
export const HOST_ID = 1;
/** Largest peer id Godot accepts (create_client / create_mesh / add_peer: 1 … 2^31 − 1). */
export const MAX_PEER_ID = 2147483647;

/** Close codes: the demo closes every protocol error with 4000 and a finished seal with 1000. */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  /** ws closes with this by itself when a frame is larger than the cap. */
  TOO_BIG: 1009,
  INTERNAL: 1011,
  PROTOCOL: 4000,
} as const;

/**
 * Close reasons. The first block is the demo server's text word for word
 * (server.js STR_*), so clients that show or match them see what they expect;
 * the second block is ours, for limits the demo does not have.
 */
export const Reason = {
  NO_LOBBY: "Have not joined lobby yet",
  HOST_DISCONNECTED: "Room host has disconnected",
  ONLY_HOST_CAN_SEAL: "Only host can seal the lobby",
  SEAL_COMPLETE: "Seal complete",
  TOO_MANY_LOBBIES: "Too many lobbies open, disconnecting",
  ALREADY_IN_LOBBY: "Already in a lobby",
  LOBBY_DOES_NOT_EXIST: "Lobby does not exists",  // sic: the demo's spelling
  LOBBY_IS_SEALED: "Lobby is sealed",
  INVALID_FORMAT: "Invalid message format",
  NEED_LOBBY: "Invalid message when not in a lobby",
  SERVER_ERROR: "Server error, lobby not found",
  INVALID_DEST: "Invalid destination",
  INVALID_CMD: "Invalid command",
  TOO_MANY_PEERS: "Too many peers connected",
  INVALID_TRANSFER_MODE: "Invalid transfer mode, must be text",
  // Ours.
  LOBBY_FULL: "Lobby is full",
  TOO_MANY_FROM_ADDRESS: "Too many peers connected from this address",
  RATE_LIMITED: "Too many messages, slow down",
  TOO_SLOW: "Not reading fast enough",
  SHUTTING_DOWN: "Server shutting down",
  INTERNAL: "Internal server error",
} as const;

/** A message as the demo's ProtoMessage() writes it: keys in this order, data never missing. */
export function encodeMessage(type: number, id: number, data = ""): string {
  return JSON.stringify({ type, id, data });
}

/**
 * Reads a client frame the way server.js does: a non-number type or id counts
 * as -1, a non-string data as "", fractions are floored, and a negative type
 * or id is a format error (null is returned for every format error). Unlike
 * server.js, a JSON value that is not an object is a format error too (the
 * demo would throw a TypeError and close with its text as the reason).
 */
export function parseClientMessage(text: string): SignalingMessage | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return null;
  const o = json as Record<string, unknown>;
  const type = typeof o.type === "number" ? Math.floor(o.type) : -1;
  const id = typeof o.id === "number" ? Math.floor(o.id) : -1;
  const data = typeof o.data === "string" ? o.data : "";
  if (type < 0 || id < 0) return null;
  return { type, id, data };
}

/**
 * Reads a server frame the way ws_webrtc_client.gd does: an object with "type"
 * and "id" that are integers (or integer strings: the client tests
 * str(x).is_valid_int()) and a string "data"; anything else is ignored.
 */
export function parseServerMessage(text: string): SignalingMessage | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return null;
  const o = json as Record<string, unknown>;
  if (!("type" in o) || !("id" in o) || typeof o.data !== "string") return null;
  const int = (v: unknown): number | null => {
    const s = String(v);
    return /^[+-]?\d+$/.test(s) ? Number(s) : null;
  };
  const type = int(o.type);
  const id = int(o.id);
  if (type === null || id === null) return null;
  return { type, id, data: o.data };
}

/** CANDIDATE data as ws_webrtc_client.gd sends it: "\n" + mid + "\n" + index + "\n" + sdp (a leading newline). */
export function encodeCandidate(mid: string, index: number, sdp: string): string {
  return `\n${mid}\n${Math.trunc(index)}\n${sdp}`;
}

/**
 * CANDIDATE data as ws_webrtc_client.gd reads it: split on "\n" dropping empty
 * parts, exactly three parts, an integer in the middle. (So an empty mid cannot
 * travel: Godot's own client drops such a candidate too.)
 */
export function parseCandidate(data: string): { mid: string; index: number; sdp: string } | null {
  const parts = data.split("\n").filter((p) => p.length > 0);
  if (parts.length !== 3) return null;
  if (!/^[+-]?\d+$/.test(parts[1]!)) return null;
  return { mid: parts[0]!, index: Number(parts[1]), sdp: parts[2]! };
}

const MAX_CLOSE_REASON = 123;  // RFC 6455 §5.5: a control frame carries at most 125 bytes, 2 are the code

/** The reason cut to what a close frame holds, at a character boundary (ws throws on a longer one). */
export function closeReason(reason: string): string {
  let out = reason.slice(0, MAX_CLOSE_REASON);
  while (new TextEncoder().encode(out).length > MAX_CLOSE_REASON || /[\uD800-\uDBFF]$/.test(out)) out = out.slice(0, -1);
  return out;
}
