// Lobby names and peer ids.
//
// A lobby name is the only thing that keeps strangers out of a lobby, so it
// comes from the CSPRNG (the demo's server.js draws its 16 letters with
// Math.random). 16 characters of [A-Za-z0-9] as in server.js: about 95 bits.
//
// Peer ids: server.js gives each connection Math.abs(int32 from 4 random
// bytes), which can be 0 (not addressable: JOIN's id 0 means mesh, and
// Godot refuses peer id 0), 1 (the host's alias) or 2^31 (above Godot's
// 2^31 − 1, create_client fails), and it never checks for a duplicate. Ours
// are uniform in 2 … 2^31 − 1 and unique within the lobby (the caller retries).
import { randomInt } from "node:crypto";
import { MAX_PEER_ID } from "./protocol.js";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
export const LOBBY_NAME_LENGTH = 16;

export function newLobbyName(): string {
  let out = "";
  for (let i = 0; i < LOBBY_NAME_LENGTH; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

export function newPeerId(): number {
  return randomInt(2, MAX_PEER_ID + 1);
}
