// The Lua scripts behind the Redis backend. Each lobby operation is one script,
// so it is atomic: two processes joining peers to one lobby at once each see
// the other's peer or not, never half of it, and each pair of members is
// announced exactly once. A script also PUBLISHes what the other members must
// hear; Redis delivers a channel's messages in the order scripts ran, so a
// member hears PEER_CONNECT before the OFFER that follows it.
//
// Keys (P = prefix): P lobby:<name> (hash: mesh, sealed), P lobby:<name>:peers
// (hash: assigned id → "<process> <connection>", the host under "1"),
// P lobbies (sorted set: name → expiry, for the lobby cap), P proc:<process>
// (alive while its process beats). Every key has a TTL that its owner
// refreshes, so a crashed process leaves nothing behind for long.
// A process's channel is P chan:<process>; a message is "<connection>\n<m|c>\n<payload>":
// m = a frame to send, c = "<code> <reason>" to close with.
//
// The member and proc keys are derived inside scripts, so this needs one
// Redis (or a primary with replicas), not Redis Cluster.
import { createHash } from "node:crypto";

export interface Script {
  readonly lua: string;
  readonly sha: string;
}

const COMMON = `
local function publish(prefix, member, kind, payload)
  local sp = string.find(member, ' ', 1, true)
  redis.call('PUBLISH', prefix .. 'chan:' .. string.sub(member, 1, sp - 1), string.sub(member, sp + 1) .. '\\n' .. kind .. '\\n' .. payload)
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function visible(mesh, all, a, b)
  return mesh or all == '1' or a == '1' or b == '1'
end
`;

function script(body: string): Script {
  const lua = COMMON + body;
  return { lua, sha: createHash("sha1").update(lua).digest("hex") };
}

/** KEYS lobby peers lobbies; ARGV name member mesh(1|0) maxLobbies ttlMs → OK | TOO_MANY | EXISTS */
export const CREATE = script(`
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[4]) then return 'TOO_MANY' end
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 'EXISTS' end
redis.call('HSET', KEYS[1], 'mesh', ARGV[3], 'sealed', '0')
redis.call('HSET', KEYS[2], '1', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[5]), ARGV[1])
redis.call('PEXPIRE', KEYS[3], ARGV[5])
return 'OK'
`);

/**
 * KEYS lobby peers; ARGV id member maxPeersPerLobby announceAll prefix helloFrame
 * → {OK, mesh, visible member ids…} | {NO_LOBBY} | {SEALED} | {FULL} | {COLLISION}
 */
export const JOIN = script(`
local l = redis.call('HMGET', KEYS[1], 'mesh', 'sealed')
if not l[1] then return {'NO_LOBBY'} end
if l[2] == '1' then return {'SEALED'} end
if redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[3]) then return {'FULL'} end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return {'COLLISION'} end
local mesh = l[1] == '1'
local all = redis.call('HGETALL', KEYS[2])
local out = {'OK', l[1]}
for i = 1, #all, 2 do
  if visible(mesh, ARGV[4], all[i], ARGV[1]) then
    publish(ARGV[5], all[i + 1], 'm', ARGV[6])
    out[#out + 1] = all[i]
  end
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return out
`);

/** KEYS lobby peers; ARGV id member prefix sealFrame → OK | ALREADY | NOT_HOST | NOT_MEMBER */
export const SEAL = script(`
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 'NOT_MEMBER' end
if ARGV[1] ~= '1' then return 'NOT_HOST' end
if redis.call('HGET', KEYS[1], 'sealed') == '1' then return 'ALREADY' end
redis.call('HSET', KEYS[1], 'sealed', '1')
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do publish(ARGV[3], all[i + 1], 'm', ARGV[4]) end
return 'OK'
`);

/** KEYS lobby peers; ARGV fromId member destId announceAll prefix frame → OK | INVALID_DEST | NOT_MEMBER */
export const RELAY = script(`
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 'NOT_MEMBER' end
local dest = redis.call('HGET', KEYS[2], ARGV[3])
if not dest then return 'INVALID_DEST' end
if not visible(redis.call('HGET', KEYS[1], 'mesh') == '1', ARGV[4], ARGV[1], ARGV[3]) then return 'INVALID_DEST' end
publish(ARGV[5], dest, 'm', ARGV[6])
return 'OK'
`);

/**
 * KEYS lobby peers lobbies; ARGV id member name announceAll prefix byeFrame hostGoneReason
 * → LEFT | CLOSED (it was the host: everyone else is closed with 4000) | GONE
 */
export const LEAVE = script(`
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 'GONE' end
if ARGV[1] == '1' then
  local all = redis.call('HGETALL', KEYS[2])
  for i = 1, #all, 2 do
    if all[i] ~= '1' then publish(ARGV[5], all[i + 1], 'c', '4000 ' .. ARGV[7]) end
  end
  redis.call('DEL', KEYS[1], KEYS[2])
  redis.call('ZREM', KEYS[3], ARGV[3])
  return 'CLOSED'
end
redis.call('HDEL', KEYS[2], ARGV[1])
local mesh = redis.call('HGET', KEYS[1], 'mesh') == '1'
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  if visible(mesh, ARGV[4], all[i], ARGV[1]) then publish(ARGV[5], all[i + 1], 'm', ARGV[6]) end
end
return 'LEFT'
`);

/** KEYS lobby peers lobbies; ARGV hostMember name prefix code reason → CLOSED | GONE. Closes every member, the host too. */
export const END = script(`
if redis.call('HGET', KEYS[2], '1') ~= ARGV[1] then return 'GONE' end
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do publish(ARGV[3], all[i + 1], 'c', ARGV[4] .. ' ' .. ARGV[5]) end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[2])
return 'CLOSED'
`);

/**
 * The host's process, every beat: KEYS lobby peers lobbies; ARGV hostMember name ttlMs prefix announceAll
 * → number of members dropped (their process stopped beating; the others hear PEER_DISCONNECT) | GONE
 */
export const BEAT = script(`
if redis.call('HGET', KEYS[2], '1') ~= ARGV[1] then return 'GONE' end
local ttl = tonumber(ARGV[3])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
local now = now_ms()
redis.call('ZADD', KEYS[3], now + ttl, ARGV[2])
-- Lobbies whose host's process died expired: their entries go too.
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
redis.call('PEXPIRE', KEYS[3], ttl)
local all = redis.call('HGETALL', KEYS[2])
local dead = {}
for i = 1, #all, 2 do
  local member = all[i + 1]
  local proc = string.sub(member, 1, string.find(member, ' ', 1, true) - 1)
  if all[i] ~= '1' and redis.call('EXISTS', ARGV[4] .. 'proc:' .. proc) == 0 then
    dead[#dead + 1] = all[i]
    redis.call('HDEL', KEYS[2], all[i])
  end
end
if #dead == 0 then return 0 end
local mesh = redis.call('HGET', KEYS[1], 'mesh') == '1'
local left = redis.call('HGETALL', KEYS[2])
for _, id in ipairs(dead) do
  for i = 1, #left, 2 do
    if visible(mesh, ARGV[5], left[i], id) then
      publish(ARGV[4], left[i + 1], 'm', '{"type":3,"id":' .. id .. ',"data":""}')
    end
  end
end
return #dead
`);

/** KEYS lobby peers; ARGV id member → OK | NO_LOBBY (it ended or expired) | GONE (we were dropped) */
export const CHECK = script(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 'NO_LOBBY' end
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 'GONE' end
return 'OK'
`);
