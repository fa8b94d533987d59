// The hostile datagrams of hostile-generator.mjs (see there), built once into
// pools: a module of its own so a benchmark can feed the same bytes straight to
// an endpoint.
import { createHmac, randomBytes, randomInt } from "node:crypto";

const POOL = 256;  // prebuilt datagrams per kind

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
function crc32(b) {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A STUN Binding request: USERNAME, PRIORITY, ICE-CONTROLLING, MESSAGE-INTEGRITY (random key), FINGERPRINT. */
function stunRequest(username) {
  const attrs = [];
  const attr = (type, value) => {
    const h = Buffer.alloc(4);
    h.writeUInt16BE(type, 0);
    h.writeUInt16BE(value.length, 2);
    const pad = Buffer.alloc((4 - (value.length % 4)) % 4);
    attrs.push(Buffer.concat([h, value, pad]));
  };
  attr(0x0006, Buffer.from(username));
  const prio = Buffer.alloc(4);
  prio.writeUInt32BE(0x6e7f1eff);
  attr(0x0024, prio);
  attr(0x802a, randomBytes(8));
  const header = (extra) => {
    const h = Buffer.alloc(20);
    h.writeUInt16BE(0x0001, 0);
    h.writeUInt16BE(attrs.reduce((n, a) => n + a.length, 0) + extra, 2);
    h.writeUInt32BE(0x2112a442, 4);
    txid.copy(h, 8);
    return h;
  };
  const txid = randomBytes(12);
  // MESSAGE-INTEGRITY over the message with its length covering the attribute itself (RFC 8489 §14.5).
  const mi = createHmac("sha1", randomBytes(16)).update(Buffer.concat([header(24), ...attrs])).digest();
  attr(0x0008, mi);
  const withFp = Buffer.concat([header(8), ...attrs]);
  const fp = Buffer.alloc(4);
  fp.writeUInt32BE((crc32(withFp) ^ 0x5354554e) >>> 0);
  attr(0x8028, fp);
  return Buffer.concat([header(0), ...attrs]);
}

const randomUfrag = () => randomBytes(6).toString("base64url").slice(0, 4 + randomInt(8));

/** A DTLS 1.2 ClientHello in one record (epoch 0), as a new client's first flight. */
function clientHello() {
  const body = Buffer.concat([
    Buffer.from([0xfe, 0xfd]), randomBytes(32),  // client_version, random
    Buffer.from([0]),                             // session_id
    Buffer.from([0]),                             // cookie
    Buffer.from([0, 4, 0xc0, 0x2b, 0xc0, 0x2f]),  // cipher suites
    Buffer.from([1, 0]),                          // compression
    Buffer.from([0, 4, 0x00, 0x17, 0x00, 0x00]),  // extensions: extended_master_secret
  ]);
  const hs = Buffer.alloc(12);
  hs[0] = 1;  // client_hello
  hs.writeUIntBE(body.length, 1, 3);
  hs.writeUInt16BE(randomInt(3), 4);  // message_seq
  hs.writeUIntBE(0, 6, 3);            // fragment_offset
  hs.writeUIntBE(body.length, 9, 3);  // fragment_length
  const rec = Buffer.alloc(13);
  rec[0] = 22;
  rec.writeUInt16BE(0xfeff, 1);
  rec.writeUInt16BE(0, 3);            // epoch
  rec.writeUIntBE(randomInt(1 << 24), 5, 6);
  rec.writeUInt16BE(hs.length + body.length, 11);
  return Buffer.concat([rec, hs, body]);
}

/** An epoch-1 application_data record of random bytes (AES-GCM-looking: explicit nonce, ciphertext, tag). */
function dtlsGarbage() {
  const payload = randomBytes(8 + 16 + randomInt(1150));
  const rec = Buffer.alloc(13);
  rec[0] = 23;
  rec.writeUInt16BE(0xfefd, 1);
  rec.writeUInt16BE(1, 3);
  rec.writeUIntBE(randomInt(1 << 30), 5, 6);
  rec.writeUInt16BE(payload.length, 11);
  return Buffer.concat([rec, payload]);
}

function truncated() {
  switch (randomInt(5)) {
    case 0: return Buffer.alloc(0);
    case 1: return stunRequest(`${randomUfrag()}:${randomUfrag()}`).subarray(0, 1 + randomInt(40));
    case 2: return clientHello().subarray(0, 1 + randomInt(60));
    case 3: return Buffer.concat([Buffer.from([0x40 + randomInt(16), 0, 0x04, 0]), randomBytes(randomInt(3))]);
    default: {
      // A STUN header whose length claims more than the datagram holds.
      const h = Buffer.alloc(20 + randomInt(12));
      h.writeUInt16BE(0x0001, 0);
      h.writeUInt16BE(500, 2);
      h.writeUInt32BE(0x2112a442, 4);
      return h;
    }
  }
}

function oversize() {
  const b = randomBytes(1201 + randomInt(65507 - 1201 + 1));
  const first = randomInt(3);
  if (first === 0) {
    b[0] = 0; b[1] = 1; b.writeUInt16BE((b.length - 20) & 0xfffc, 2); b.writeUInt32BE(0x2112a442, 4);
  } else if (first === 1) {
    b[0] = 23; b[1] = 0xfe; b[2] = 0xfd; b.writeUInt16BE(Math.min(b.length - 13, 0xffff), 11);
  }
  return b;
}

export function buildPools(ufrags) {
  const many = (n, f) => Array.from({ length: n }, f);
  const pick = (a) => a[randomInt(a.length)];
  return {
    "stun-random": many(POOL, () => stunRequest(`${randomUfrag()}:${randomUfrag()}`)),
    "stun-ufrag": many(POOL, () => stunRequest(`${ufrags.length ? pick(ufrags) : randomUfrag()}:${randomUfrag()}`)),
    "dtls-hello": many(POOL, clientHello),
    "dtls-garbage": many(POOL, dtlsGarbage),
    truncated: many(POOL, truncated),
    random: many(POOL, () => randomBytes(1 + randomInt(1400))),
    "channel-data": many(POOL, () => { const b = randomBytes(4 + randomInt(1200)); b[0] = 0x40 + randomInt(16); return b; }),
    oversize: many(32, oversize),
  };
}

// Per 1000 datagrams.
export const MIX = [
  ["stun-random", 250], ["stun-ufrag", 250], ["dtls-hello", 150], ["dtls-garbage", 150],
  ["truncated", 80], ["random", 60], ["channel-data", 55], ["oversize", 5],
];
