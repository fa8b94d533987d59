// What every PacketPeer (WebRTCDataChannel, MultiplayerPeer) does the same way:
// put_var / get_var over packets in a chosen Variant encoding, and
// encode_buffer_max_size's rule.
import { Error } from "./error.js";
import { printError } from "./log.js";
import { decodeVariantAs, encodeVariantAs, type VariantEncoding } from "./variant3.js";

export const DEFAULT_ENCODE_MAX = 8 * 1024 * 1024;

const tag = (encoding: VariantEncoding) => (encoding === "godot3" ? ", Godot 3 encoding" : "");

/** put_var's encoding step: the packet, or the error to return (already printed). */
export function encodePacketVar(value: unknown, fullObjects: boolean, encodeMax: number, encoding: VariantEncoding): { error: Error; bytes?: Uint8Array } {
  const enc = encodeVariantAs(encoding, value, fullObjects);
  if (enc.error !== Error.OK || !enc.bytes) {
    const why = enc.message ? `: ${enc.message}` : "";
    printError(`put_var: the value cannot be encoded (error ${enc.error}${why}${tag(encoding)}).`);
    return { error: enc.error as Error };
  }
  if (enc.bytes.length > encodeMax) {
    printError(`put_var: encoded size ${enc.bytes.length} exceeds encode_buffer_max_size ${encodeMax}.`);
    return { error: Error.ERR_OUT_OF_MEMORY };
  }
  return { error: Error.OK, bytes: enc.bytes };
}

/** get_var's decoding step: the value, or null (printed) for a malformed packet. */
export function decodePacketVar(data: Uint8Array, allowObjects: boolean, encoding: VariantEncoding): unknown {
  const dec = decodeVariantAs(encoding, data, allowObjects);
  if (dec.error !== Error.OK) {
    printError(`get_var: malformed Variant (error ${dec.error}${tag(encoding)}).`);
    return null;
  }
  return dec.value ?? null;
}

/** Godot: 1024 … 256 MiB, rounded up to a power of two; null (printed) when out of range. */
export function roundEncodeMax(v: unknown): number | null {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1024 || v > 256 * 1024 * 1024) {
    printError("encode_buffer_max_size must be an integer between 1024 and 268435456.");
    return null;
  }
  let p = 1024;
  while (p < v) p *= 2;
  return p;
}
