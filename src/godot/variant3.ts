// Godot 3.x binary Variant encoding: what a Godot 3 peer's put_var / get_var,
// var2bytes / bytes2var and File.store_var speak. Written from the rules of
// the 3.x branch's core/io/marshalls.cpp (encode_variant / decode_variant),
// core/variant.h (type ids) and the 3.x "Binary serialization API" page.
//
// The rules this file implements, and where they differ from Godot 4 (variant.ts):
// * Header: uint32 LE, type id = header & 0xFF (bits 8-15 are ignored), flags
//   from bit 16. Type ids 0..26; 27 (VARIANT_MAX) and above → ERR_INVALID_DATA.
// * INT: 32-bit unless the value is outside int32, then ENCODE_FLAG_64 (1 << 16)
//   and 64 bits. REAL: float32 unless `double(float(d)) != d`, then the flag and
//   float64 (so 0.5 is 32-bit, 0.1 and NaN 64-bit). Same rule as Godot 4.
// * Math types and Color: always float32 components; the header flag is not
//   consulted on decode (3.x has no double-precision encoding for them).
// * RID: the header alone, no payload; it always decodes to an empty RID.
// * OBJECT: bit 16 = instance id (uint64, 0 = null). Without it: class name
//   string (empty = a null object, nothing follows), uint32 property count,
//   then name string + value pairs; only with allow_objects (else
//   ERR_UNAUTHORIZED).
// * NODE_PATH: (name count | 0x80000000), subname count, flags (bit 0 absolute,
//   bit 1 the obsolete "property" form: one more subname follows), then the
//   strings. Without the high bit (the old format) → ERR_INVALID_DATA.
// * DICTIONARY / ARRAY: uint32 count (bit 31, the old "shared" flag, ignored)
//   then the elements. No typed-container bits (those are Godot 4.x).
// * Pool arrays: uint32 count then the elements (PoolIntArray int32,
//   PoolRealArray float32, PoolStringArray strings as uint32 (length + 1),
//   bytes, NUL, padding). PoolByteArray pads to 4; its padding is not checked
//   on decode (Godot only checks count <= remaining).
// * Strings: uint32 byte length, UTF-8, zero padding to 4 which must be
//   present (else ERR_FILE_EOF). Godot 3's parser skips a leading BOM, stops
//   at the first NUL and rejects malformed UTF-8 (ERR_INVALID_DATA).
//
// Stricter than Godot 3, as the Godot 4 decoder is: counts are checked against
// the bytes left before anything is allocated (Godot 3 lets a PoolStringArray
// or Dictionary count run until a string or value fails); nesting deeper than
// 1024 is ERR_OUT_OF_MEMORY (Godot 3 has no limit); UTF-8 that Godot 3's
// lenient parser lets through but that is not UTF-8 (encoded surrogates,
// 5- and 6-byte forms, code points above U+10FFFF) is ERR_INVALID_DATA.
//
// Encoding refuses what Godot 3 cannot carry rather than converting it: the
// Godot 4-only types (Vector2i, Rect2i, Vector3i, Vector4, Vector4i,
// Projection, StringName, Callable, Signal, PackedInt64Array (BigInt64Array),
// PackedFloat64Array (Float64Array), PackedVector4Array) and a RID with an id
// (Godot 3 sends a RID without it) are ERR_INVALID_PARAMETER, naming the type.
//
// This module reads classes from variant.ts only inside functions: variant.ts
// re-exports this module, and nothing here may touch its bindings while the
// modules are being evaluated.
import { Error } from "./error.js";
import { printError } from "./log.js";
import {
  AABB, Basis, Callable, Color, EncodedObjectAsID, GodotFloat, GodotInt, GodotObject, NodePath, PackedColorArray,
  PackedStringArray, PackedVector2Array, PackedVector3Array, PackedVector4Array, Plane, Projection, Quaternion, RID,
  Rect2, Rect2i, Signal, StringName, Transform2D, Transform3D, Vector2, Vector2i, Vector3, Vector3i, Vector4, Vector4i,
  decodeVariant, encodeVariant,
} from "./variant.js";

// ---------------------------------------------------------------- types
/** Godot 3.x Variant::Type ids (core/variant.h of the 3.x branch). */
export const VariantType3 = {
  NIL: 0, BOOL: 1, INT: 2, REAL: 3, STRING: 4, VECTOR2: 5, RECT2: 6, VECTOR3: 7, TRANSFORM2D: 8, PLANE: 9, QUAT: 10,
  AABB: 11, BASIS: 12, TRANSFORM: 13, COLOR: 14, NODE_PATH: 15, RID: 16, OBJECT: 17, DICTIONARY: 18, ARRAY: 19,
  POOL_BYTE_ARRAY: 20, POOL_INT_ARRAY: 21, POOL_REAL_ARRAY: 22, POOL_STRING_ARRAY: 23, POOL_VECTOR2_ARRAY: 24,
  POOL_VECTOR3_ARRAY: 25, POOL_COLOR_ARRAY: 26,
} as const;
const T = VariantType3;
const VARIANT_MAX_3 = 27;
const FLAG_64 = 1 << 16;  // ENCODE_FLAG_64, and ENCODE_FLAG_OBJECT_AS_ID for OBJECT
const MAX_DEPTH = 1024;
const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const utf8 = new TextEncoder();
// fatal: malformed input throws; ignoreBOM false: a leading BOM is dropped, as Godot 3's parse_utf8 does.
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

// ---------------------------------------------------------------- encoder
class EncodeError {
  constructor(readonly code: Error, readonly why: string) {}
}

class Writer {
  private buf = new Uint8Array(64);
  private dv = new DataView(this.buf.buffer);
  private len = 0;
  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }
  u32(v: number): void {
    this.grow(4);
    this.dv.setUint32(this.len, v >>> 0, true);
    this.len += 4;
  }
  i32(v: number): void {
    this.grow(4);
    this.dv.setInt32(this.len, v, true);
    this.len += 4;
  }
  i64(v: bigint): void {
    this.grow(8);
    this.dv.setBigInt64(this.len, v, true);
    this.len += 8;
  }
  f32(...v: number[]): void {
    this.grow(4 * v.length);
    for (const x of v) {
      this.dv.setFloat32(this.len, x, true);
      this.len += 4;
    }
  }
  f64(v: number): void {
    this.grow(8);
    this.dv.setFloat64(this.len, v, true);
    this.len += 8;
  }
  /** Raw bytes, then zeros up to a multiple of 4. */
  padded(b: Uint8Array): void {
    this.grow(b.length + 3);
    this.buf.set(b, this.len);
    this.len += b.length;
    while (this.len % 4) this.buf[this.len++] = 0;
  }
  string(s: string): void {
    const b = utf8.encode(s);
    this.u32(b.length);
    this.padded(b);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

function encodeInt(w: Writer, v: number | bigint): void {
  const b = typeof v === "bigint" ? v : Number.isInteger(v) ? BigInt(v) : null;
  if (b === null) throw new EncodeError(Error.ERR_INVALID_PARAMETER, "int() needs an integer");
  if (b < INT64_MIN || b > INT64_MAX) throw new EncodeError(Error.ERR_INVALID_PARAMETER, "int outside the 64-bit range");
  if (b >= INT32_MIN && b <= INT32_MAX) {
    w.u32(T.INT);
    w.i32(Number(b));
  } else {
    w.u32(T.INT | FLAG_64);
    w.i64(b);
  }
}

function encodeReal(w: Writer, v: number): void {
  if (typeof v !== "number") throw new EncodeError(Error.ERR_INVALID_PARAMETER, "float() needs a number");
  // marshalls.cpp: `float f = d; if (double(f) != d) flags |= ENCODE_FLAG_64;` (NaN != NaN, so NaN is 64-bit).
  if (Math.fround(v) === v) {
    w.u32(T.REAL);
    w.f32(v);
  } else {
    w.u32(T.REAL | FLAG_64);
    w.f64(v);
  }
}

/** The Godot 4 types Godot 3 has no id for; matched by class so the error can name it. */
function godot4OnlyName(o: object): string | null {
  if (o instanceof Vector2i) return "Vector2i";
  if (o instanceof Rect2i) return "Rect2i";
  if (o instanceof Vector3i) return "Vector3i";
  if (o instanceof Vector4) return "Vector4";
  if (o instanceof Vector4i) return "Vector4i";
  if (o instanceof Projection) return "Projection";
  if (o instanceof StringName) return "StringName";
  if (o instanceof Callable) return "Callable";
  if (o instanceof Signal) return "Signal";
  if (o instanceof BigInt64Array) return "PackedInt64Array (BigInt64Array)";
  if (o instanceof Float64Array) return "PackedFloat64Array (Float64Array)";
  if (o instanceof PackedVector4Array) return "PackedVector4Array";
  return null;
}

function withCycleCheck(o: object, seen: Set<object>, fn: () => void): void {
  if (seen.has(o)) throw new EncodeError(Error.ERR_INVALID_PARAMETER, "cyclic structure");
  seen.add(o);
  fn();
  seen.delete(o);
}

function encodeValue(w: Writer, v: unknown, depth: number, seen: Set<object>, fullObjects: boolean): void {
  if (depth > MAX_DEPTH) throw new EncodeError(Error.ERR_OUT_OF_MEMORY, "nesting deeper than 1024");
  if (v === null || v === undefined) return w.u32(T.NIL);
  switch (typeof v) {
    case "boolean":
      w.u32(T.BOOL);
      return w.u32(v ? 1 : 0);
    case "number":
      return Number.isInteger(v) && Math.abs(v) < 2 ** 63 ? encodeInt(w, v) : encodeReal(w, v);
    case "bigint":
      return encodeInt(w, v);
    case "string":
      w.u32(T.STRING);
      return w.string(v);
    case "function":
    case "symbol":
      throw new EncodeError(Error.ERR_INVALID_PARAMETER, `a ${typeof v} cannot be encoded`);
  }
  const o = v as object;
  if (o instanceof GodotInt) return encodeInt(w, o.value);
  if (o instanceof GodotFloat) return encodeReal(w, o.value);
  const only4 = godot4OnlyName(o);
  if (only4) throw new EncodeError(Error.ERR_INVALID_PARAMETER, `${only4} is a Godot 4 type; Godot 3's encoding has no id for it`);
  if (o instanceof Vector2) return w.u32(T.VECTOR2), w.f32(o.x, o.y);
  if (o instanceof Rect2) return w.u32(T.RECT2), w.f32(o.x, o.y, o.width, o.height);
  if (o instanceof Vector3) return w.u32(T.VECTOR3), w.f32(o.x, o.y, o.z);
  if (o instanceof Transform2D) return w.u32(T.TRANSFORM2D), w.f32(o.x.x, o.x.y, o.y.x, o.y.y, o.origin.x, o.origin.y);
  if (o instanceof Plane) return w.u32(T.PLANE), w.f32(o.x, o.y, o.z, o.d);
  if (o instanceof Quaternion) return w.u32(T.QUAT), w.f32(o.x, o.y, o.z, o.w);
  if (o instanceof AABB) return w.u32(T.AABB), w.f32(o.position.x, o.position.y, o.position.z, o.size.x, o.size.y, o.size.z);
  if (o instanceof Basis) return w.u32(T.BASIS), o.rows.forEach((r) => w.f32(r.x, r.y, r.z));
  if (o instanceof Transform3D) {
    w.u32(T.TRANSFORM);
    o.basis.rows.forEach((r) => w.f32(r.x, r.y, r.z));
    return w.f32(o.origin.x, o.origin.y, o.origin.z);
  }
  if (o instanceof Color) return w.u32(T.COLOR), w.f32(o.r, o.g, o.b, o.a);
  if (o instanceof NodePath) {
    w.u32(T.NODE_PATH);
    w.u32((o.names.length | 0x80000000) >>> 0);
    w.u32(o.subnames.length);
    w.u32(o.absolute ? 1 : 0);
    for (const s of [...o.names, ...o.subnames]) w.string(s);
    return;
  }
  if (o instanceof RID) {
    // Godot 3 writes the header only; a RID with an id would arrive empty, so it is refused instead.
    if (o.id !== 0n) throw new EncodeError(Error.ERR_INVALID_PARAMETER, "Godot 3's encoding sends a RID without its id");
    return w.u32(T.RID);
  }
  if (o instanceof EncodedObjectAsID) return w.u32(T.OBJECT | FLAG_64), w.i64(BigInt.asIntN(64, o.id));
  if (o instanceof GodotObject) {
    if (!fullObjects) throw new EncodeError(Error.ERR_INVALID_PARAMETER, "full objects need full_objects = true");
    // An empty class name is how Godot 3 writes a null object: nothing would follow it.
    if (o.className === "") throw new EncodeError(Error.ERR_INVALID_PARAMETER, "an object needs a class name");
    w.u32(T.OBJECT);
    w.string(o.className);
    w.u32(o.properties.size);
    withCycleCheck(o, seen, () => {
      for (const [k, val] of o.properties) {
        w.string(k);
        encodeValue(w, val, depth + 1, seen, fullObjects);
      }
    });
    return;
  }
  if (o instanceof Uint8Array) return w.u32(T.POOL_BYTE_ARRAY), w.u32(o.length), w.padded(o);
  if (o instanceof Int32Array) return w.u32(T.POOL_INT_ARRAY), w.u32(o.length), o.forEach((x) => w.i32(x));
  if (o instanceof Float32Array) return w.u32(T.POOL_REAL_ARRAY), w.u32(o.length), o.forEach((x) => w.f32(x));
  if (o instanceof PackedStringArray) {
    w.u32(T.POOL_STRING_ARRAY);
    w.u32(o.values.length);
    for (const s of o.values) {
      const b = utf8.encode(String(s));
      const withNul = new Uint8Array(b.length + 1);  // the length written counts the NUL
      withNul.set(b);
      w.u32(withNul.length);
      w.padded(withNul);
    }
    return;
  }
  if (o instanceof PackedVector2Array) return w.u32(T.POOL_VECTOR2_ARRAY), w.u32(o.values.length), o.values.forEach((p) => w.f32(p.x, p.y));
  if (o instanceof PackedVector3Array) return w.u32(T.POOL_VECTOR3_ARRAY), w.u32(o.values.length), o.values.forEach((p) => w.f32(p.x, p.y, p.z));
  if (o instanceof PackedColorArray) return w.u32(T.POOL_COLOR_ARRAY), w.u32(o.values.length), o.values.forEach((c) => w.f32(c.r, c.g, c.b, c.a));
  if (ArrayBuffer.isView(o) || o instanceof ArrayBuffer) {
    throw new EncodeError(Error.ERR_INVALID_PARAMETER, `${o.constructor.name} has no Godot 3 pool array type`);
  }
  if (Array.isArray(o)) {
    w.u32(T.ARRAY);
    w.u32(o.length);
    withCycleCheck(o, seen, () => o.forEach((e) => encodeValue(w, e, depth + 1, seen, fullObjects)));
    return;
  }
  if (o instanceof Map || Object.getPrototypeOf(o) === Object.prototype || Object.getPrototypeOf(o) === null) {
    const entries: Array<[unknown, unknown]> = o instanceof Map ? [...o.entries()] : Object.entries(o);
    w.u32(T.DICTIONARY);
    w.u32(entries.length);
    withCycleCheck(o, seen, () => {
      for (const [k, val] of entries) {
        encodeValue(w, k, depth + 1, seen, fullObjects);
        encodeValue(w, val, depth + 1, seen, fullObjects);
      }
    });
    return;
  }
  throw new EncodeError(Error.ERR_INVALID_PARAMETER, `${o.constructor?.name ?? "object"} cannot be encoded`);
}

/** Godot 3's encode_variant. Same result shape as encodeVariant (Godot 4). */
export function encodeVariantGodot3(value: unknown, fullObjects = false): { error: number; bytes?: Uint8Array; message?: string } {
  const w = new Writer();
  try {
    encodeValue(w, value, 0, new Set(), fullObjects === true);
  } catch (e) {
    if (e instanceof EncodeError) return { error: e.code, message: e.why };
    if (e instanceof RangeError) return { error: Error.ERR_OUT_OF_MEMORY, message: String(e) };
    return { error: Error.ERR_INVALID_PARAMETER, message: String(e) };
  }
  return { error: Error.OK, bytes: w.result() };
}

// ---------------------------------------------------------------- decoder
class DecodeError {
  constructor(readonly code: Error) {}
}

class Reader {
  pos = 0;
  private readonly dv: DataView;
  constructor(private readonly b: Uint8Array) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  get left(): number {
    return this.b.length - this.pos;
  }
  need(n: number, code: Error = Error.ERR_INVALID_DATA): void {
    if (!(n >= 0) || this.left < n) throw new DecodeError(code);
  }
  u32(): number {
    this.need(4);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.dv.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i64(): bigint {
    this.need(8);
    const v = this.dv.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }
  f32(): number {
    this.need(4);
    const v = this.dv.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.dv.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /** A string: length, UTF-8 bytes, padding that must be there (ERR_FILE_EOF otherwise). */
  string(): string {
    const len = this.u32();
    const pad = (4 - (len % 4)) % 4;
    this.need(len + pad, Error.ERR_FILE_EOF);
    const bytes = this.b.subarray(this.pos, this.pos + len);
    this.pos += len + pad;
    const nul = bytes.indexOf(0);
    try {
      return utf8Strict.decode(nul >= 0 ? bytes.subarray(0, nul) : bytes);
    } catch {
      throw new DecodeError(Error.ERR_INVALID_DATA);
    }
  }
  /** PoolByteArray body: count bytes must be there; the padding after them need not be. */
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.b.slice(this.pos, this.pos + n);
    this.pos = Math.min(this.b.length, this.pos + n + ((4 - (n % 4)) % 4));
    return out;
  }
  /** An element count, checked before anything is allocated: `count` elements of at least `min` bytes must fit. */
  count(raw: number, min: number): number {
    if (raw * min > this.left) throw new DecodeError(Error.ERR_INVALID_DATA);
    return raw;
  }
}

interface DecodeOpts {
  /** INT → GodotInt and REAL → GodotFloat, so a re-encode keeps the type. */
  keepTypes?: boolean;
}

function decodeValue(r: Reader, depth: number, allowObjects: boolean, opts: DecodeOpts): unknown {
  if (depth > MAX_DEPTH) throw new DecodeError(Error.ERR_OUT_OF_MEMORY);
  const header = r.u32();
  const type = header & 0xff;
  const wide = (header & FLAG_64) !== 0;
  const f = () => r.f32();
  const v2 = () => new Vector2(f(), f());
  const v3 = () => new Vector3(f(), f(), f());
  const next = () => decodeValue(r, depth + 1, allowObjects, opts);
  switch (type) {
    case T.NIL:
      return null;
    case T.BOOL:
      return r.u32() !== 0;
    case T.INT: {
      const v = wide ? r.i64() : BigInt(r.i32());
      const n = v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      return opts.keepTypes ? new GodotInt(n) : n;
    }
    case T.REAL: {
      const v = wide ? r.f64() : r.f32();
      return opts.keepTypes ? new GodotFloat(v) : v;
    }
    case T.STRING:
      return r.string();
    case T.VECTOR2:
      return v2();
    case T.RECT2:
      return new Rect2(f(), f(), f(), f());
    case T.VECTOR3:
      return v3();
    case T.TRANSFORM2D:
      return new Transform2D(v2(), v2(), v2());
    case T.PLANE:
      return new Plane(f(), f(), f(), f());
    case T.QUAT:
      return new Quaternion(f(), f(), f(), f());
    case T.AABB:
      return new AABB(v3(), v3());
    case T.BASIS:
      return new Basis([v3(), v3(), v3()]);
    case T.TRANSFORM: {
      const basis = new Basis([v3(), v3(), v3()]);
      return new Transform3D(basis, v3());
    }
    case T.COLOR:
      return new Color(f(), f(), f(), f());
    case T.NODE_PATH: {
      const first = r.u32();
      if (!(first & 0x80000000)) throw new DecodeError(Error.ERR_INVALID_DATA);  // the old format
      const names = first & 0x7fffffff;
      let subnames = r.u32();
      const flags = r.u32();
      if (flags & 2) subnames++;  // the obsolete form with the property apart from the subpath
      r.count(names + subnames, 4);
      const all: string[] = [];
      for (let i = 0; i < names + subnames; i++) all.push(r.string());
      return new NodePath({ names: all.slice(0, names), subnames: all.slice(names), absolute: (flags & 1) !== 0 });
    }
    case T.RID:
      return new RID();  // Godot 3 sends no payload
    case T.OBJECT: {
      if (wide) {
        const id = r.i64();
        return id === 0n ? null : new EncodedObjectAsID(id);
      }
      if (!allowObjects) throw new DecodeError(Error.ERR_UNAUTHORIZED);
      const className = r.string();
      if (className === "") return null;
      const n = r.count(r.u32(), 8);
      const props = new Map<string, unknown>();
      for (let i = 0; i < n; i++) {
        const name = r.string();
        props.set(name, next());
      }
      return new GodotObject(className, props);
    }
    case T.DICTIONARY: {
      const n = r.count(r.u32() & 0x7fffffff, 8);  // bit 31 was the "shared" flag
      const entries: Array<[unknown, unknown]> = [];
      for (let i = 0; i < n; i++) {
        const k = next();
        entries.push([k, next()]);
      }
      // As the Godot 4 decoder: a plain object when every key is a String, a Map otherwise.
      if (entries.every(([k]) => typeof k === "string")) {
        const obj: Record<string, unknown> = {};
        for (const [k, val] of entries) obj[k as string] = val;
        return obj;
      }
      return new Map(entries);
    }
    case T.ARRAY: {
      const n = r.count(r.u32() & 0x7fffffff, 4);
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(next());
      return out;
    }
    case T.POOL_BYTE_ARRAY:
      return r.bytes(r.count(r.u32(), 1));
    case T.POOL_INT_ARRAY: {
      const n = r.count(r.u32(), 4);
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = r.i32();
      return out;
    }
    case T.POOL_REAL_ARRAY: {
      const n = r.count(r.u32(), 4);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = r.f32();
      return out;
    }
    case T.POOL_STRING_ARRAY: {
      const n = r.count(r.u32(), 4);
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push(r.string());
      return new PackedStringArray(out);
    }
    case T.POOL_VECTOR2_ARRAY: {
      const n = r.count(r.u32(), 8);
      const out: Vector2[] = [];
      for (let i = 0; i < n; i++) out.push(v2());
      return new PackedVector2Array(out);
    }
    case T.POOL_VECTOR3_ARRAY: {
      const n = r.count(r.u32(), 12);
      const out: Vector3[] = [];
      for (let i = 0; i < n; i++) out.push(v3());
      return new PackedVector3Array(out);
    }
    case T.POOL_COLOR_ARRAY: {
      const n = r.count(r.u32(), 16);
      const out: Color[] = [];
      for (let i = 0; i < n; i++) out.push(new Color(f(), f(), f(), f()));
      return new PackedColorArray(out);
    }
    default:
      throw new DecodeError(Error.ERR_INVALID_DATA);  // type id >= VARIANT_MAX (27)
  }
}

/** Godot 3's decode_variant. Same result shape as decodeVariant (Godot 4); never throws. */
export function decodeVariantGodot3(bytes: Uint8Array, allowObjects = false, opts: DecodeOpts = {}):
  { error: number; value?: unknown; length?: number } {
  if (!(bytes instanceof Uint8Array)) return { error: Error.ERR_INVALID_PARAMETER };
  const r = new Reader(bytes);
  try {
    const value = decodeValue(r, 0, allowObjects === true, opts ?? {});
    return { error: Error.OK, value, length: r.pos };
  } catch (e) {
    if (e instanceof DecodeError) return { error: e.code };
    if (e instanceof RangeError) return { error: Error.ERR_OUT_OF_MEMORY };  // call stack exhausted
    return { error: Error.ERR_INVALID_DATA };
  }
}

// ---------------------------------------------------------------- Godot 3's globals (var2bytes / bytes2var)
/** Godot 3's var2bytes: the bytes, or an empty array when the value cannot be encoded. */
export function var_to_bytes_godot3(value: unknown): Uint8Array {
  return encodeVariantGodot3(value, false).bytes ?? new Uint8Array(0);
}
/** Godot 3's var2bytes(value, true). */
export function var_to_bytes_with_objects_godot3(value: unknown): Uint8Array {
  return encodeVariantGodot3(value, true).bytes ?? new Uint8Array(0);
}
/** Godot 3's bytes2var: the value, or null for malformed input. */
export function bytes_to_var_godot3(bytes: Uint8Array): unknown {
  const r = decodeVariantGodot3(bytes, false);
  return r.error === Error.OK ? r.value ?? null : null;
}
/** Godot 3's bytes2var(bytes, true). */
export function bytes_to_var_with_objects_godot3(bytes: Uint8Array): unknown {
  const r = decodeVariantGodot3(bytes, true);
  return r.error === Error.OK ? r.value ?? null : null;
}

// ---------------------------------------------------------------- wasmrtc: which encoding put_var / get_var speak
/** "godot4" (the default) or "godot3", for a peer running Godot 3.x. */
export type VariantEncoding = "godot3" | "godot4";

let processEncoding: VariantEncoding = "godot4";

export function isVariantEncoding(v: unknown): v is VariantEncoding {
  return v === "godot3" || v === "godot4";
}

/**
 * wasmrtc extension: the Variant encoding put_var / get_var use on every data
 * channel that has not chosen its own (`wasmrtc_variant_encoding`). Godot 4 is
 * the default. var_to_bytes / bytes_to_var always speak Godot 4; the `_godot3`
 * functions always Godot 3.
 */
export function wasmrtc_set_variant_encoding(encoding: unknown): Error {
  if (!isVariantEncoding(encoding)) {
    printError(`wasmrtc_set_variant_encoding: the encoding must be "godot4" or "godot3", not ${String(encoding)}.`);
    return Error.ERR_INVALID_PARAMETER;
  }
  processEncoding = encoding;
  return Error.OK;
}

export function wasmrtc_get_variant_encoding(): VariantEncoding {
  return processEncoding;
}

/** Encode with the named encoding (put_var's path). */
export function encodeVariantAs(encoding: VariantEncoding, value: unknown, fullObjects = false):
  { error: number; bytes?: Uint8Array; message?: string } {
  return encoding === "godot3" ? encodeVariantGodot3(value, fullObjects) : encodeVariant(value, fullObjects);
}

/** Decode with the named encoding (get_var's path). */
export function decodeVariantAs(encoding: VariantEncoding, bytes: Uint8Array, allowObjects = false, opts: DecodeOpts = {}):
  { error: number; value?: unknown; length?: number } {
  return encoding === "godot3" ? decodeVariantGodot3(bytes, allowObjects, opts) : decodeVariant(bytes, allowObjects, opts);
}
