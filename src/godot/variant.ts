// Godot 4 binary Variant encoding (core/io/marshalls.cpp rules, spec §6):
// what var_to_bytes / bytes_to_var and PacketPeer put_var / get_var use.
// Little endian; every value's length is a multiple of 4.
import { Error } from "./error.js";

// ---------------------------------------------------------------- types
export const VariantType = {
  NIL: 0, BOOL: 1, INT: 2, FLOAT: 3, STRING: 4, VECTOR2: 5, VECTOR2I: 6, RECT2: 7, RECT2I: 8, VECTOR3: 9,
  VECTOR3I: 10, TRANSFORM2D: 11, VECTOR4: 12, VECTOR4I: 13, PLANE: 14, QUATERNION: 15, AABB: 16, BASIS: 17,
  TRANSFORM3D: 18, PROJECTION: 19, COLOR: 20, STRING_NAME: 21, NODE_PATH: 22, RID: 23, OBJECT: 24, CALLABLE: 25,
  SIGNAL: 26, DICTIONARY: 27, ARRAY: 28, PACKED_BYTE_ARRAY: 29, PACKED_INT32_ARRAY: 30, PACKED_INT64_ARRAY: 31,
  PACKED_FLOAT32_ARRAY: 32, PACKED_FLOAT64_ARRAY: 33, PACKED_STRING_ARRAY: 34, PACKED_VECTOR2_ARRAY: 35,
  PACKED_VECTOR3_ARRAY: 36, PACKED_COLOR_ARRAY: 37, PACKED_VECTOR4_ARRAY: 38,
} as const;
const T = VariantType;
const VARIANT_MAX = 39;
const FLAG_64 = 1 << 16;
const MAX_DEPTH = 1024;

/** An int for Godot, whatever its value (JS numbers do not say int or float). */
export class GodotInt {
  constructor(readonly value: number | bigint) {}
}
/** A float for Godot, even when the value is integral (5.0). */
export class GodotFloat {
  constructor(readonly value: number) {}
}
export const int = (v: number | bigint): GodotInt => new GodotInt(v);
export const float = (v: number): GodotFloat => new GodotFloat(v);

export class StringName {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}
export class NodePath {
  readonly names: string[];
  readonly subnames: string[];
  readonly absolute: boolean;
  constructor(path: string | { names: string[]; subnames: string[]; absolute: boolean } = "") {
    if (typeof path === "string") {
      this.absolute = path.startsWith("/");
      const [main, ...subs] = path.split(":");
      this.names = main!.split("/").filter((s) => s.length > 0);
      this.subnames = subs.filter((s) => s.length > 0);
    } else {
      this.names = [...path.names];
      this.subnames = [...path.subnames];
      this.absolute = path.absolute;
    }
  }
  toString(): string {
    return (this.absolute ? "/" : "") + this.names.join("/") + (this.subnames.length ? ":" + this.subnames.join(":") : "");
  }
}
export class Vector2 {
  constructor(readonly x = 0, readonly y = 0) {}
}
export class Vector2i {
  constructor(readonly x = 0, readonly y = 0) {}
}
export class Vector3 {
  constructor(readonly x = 0, readonly y = 0, readonly z = 0) {}
}
export class Vector3i {
  constructor(readonly x = 0, readonly y = 0, readonly z = 0) {}
}
export class Vector4 {
  constructor(readonly x = 0, readonly y = 0, readonly z = 0, readonly w = 0) {}
}
export class Vector4i {
  constructor(readonly x = 0, readonly y = 0, readonly z = 0, readonly w = 0) {}
}
export class Rect2 {
  constructor(readonly x = 0, readonly y = 0, readonly width = 0, readonly height = 0) {}
}
export class Rect2i {
  constructor(readonly x = 0, readonly y = 0, readonly width = 0, readonly height = 0) {}
}
export class Color {
  constructor(readonly r = 0, readonly g = 0, readonly b = 0, readonly a = 1) {}
}
export class Plane {
  constructor(readonly x = 0, readonly y = 0, readonly z = 0, readonly d = 0) {}
}
export class Quaternion {
  constructor(readonly x = 0, readonly y = 0, readonly z = 0, readonly w = 1) {}
}
/** Position then size. */
export class AABB {
  constructor(readonly position = new Vector3(), readonly size = new Vector3()) {}
}
/** Three rows of three. */
export class Basis {
  constructor(readonly rows: [Vector3, Vector3, Vector3] = [new Vector3(1, 0, 0), new Vector3(0, 1, 0), new Vector3(0, 0, 1)]) {}
}
/** Three columns: x axis, y axis, origin. */
export class Transform2D {
  constructor(readonly x = new Vector2(1, 0), readonly y = new Vector2(0, 1), readonly origin = new Vector2()) {}
}
export class Transform3D {
  constructor(readonly basis = new Basis(), readonly origin = new Vector3()) {}
}
/** Four columns of four. */
export class Projection {
  constructor(readonly columns: [Vector4, Vector4, Vector4, Vector4] = [
    new Vector4(1, 0, 0, 0), new Vector4(0, 1, 0, 0), new Vector4(0, 0, 1, 0), new Vector4(0, 0, 0, 1)]) {}
}
export class RID {
  constructor(readonly id: bigint = 0n) {}
}
export class EncodedObjectAsID {
  constructor(readonly id: bigint) {}
}
export class Signal {
  constructor(readonly name: string, readonly objectId: bigint) {}
}
export class Callable {}
export class PackedStringArray {
  constructor(readonly values: string[] = []) {}
}
export class PackedVector2Array {
  constructor(readonly values: Vector2[] = []) {}
}
export class PackedVector3Array {
  constructor(readonly values: Vector3[] = []) {}
}
export class PackedColorArray {
  constructor(readonly values: Color[] = []) {}
}
export class PackedVector4Array {
  constructor(readonly values: Vector4[] = []) {}
}
/** A full object (encodeVariant with fullObjects): class name and properties. */
export class GodotObject {
  constructor(readonly className: string, readonly properties: Map<string, unknown> = new Map()) {}
}

// ---------------------------------------------------------------- encoder
class Writer {
  buf = new Uint8Array(64);
  dv = new DataView(this.buf.buffer);
  len = 0;
  private need(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
    this.dv = new DataView(nb.buffer);
  }
  u32(v: number): void {
    this.need(4);
    this.dv.setUint32(this.len, v >>> 0, true);
    this.len += 4;
  }
  i32(v: number): void {
    this.need(4);
    this.dv.setInt32(this.len, v, true);
    this.len += 4;
  }
  i64(v: bigint): void {
    this.need(8);
    this.dv.setBigInt64(this.len, v, true);
    this.len += 8;
  }
  f32(v: number): void {
    this.need(4);
    this.dv.setFloat32(this.len, v, true);
    this.len += 4;
  }
  f64(v: number): void {
    this.need(8);
    this.dv.setFloat64(this.len, v, true);
    this.len += 8;
  }
  bytes(b: Uint8Array): void {
    this.need(b.length + 3);
    this.buf.set(b, this.len);
    this.len += b.length;
    while (this.len % 4) this.buf[this.len++] = 0;
  }
  string(s: string): void {
    const b = utf8.encode(s);
    this.u32(b.length);
    this.bytes(b);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

class EncodeError {
  constructor(readonly code: Error, readonly why: string) {}
}

function encodeInt(w: Writer, v: number | bigint): void {
  const b = typeof v === "bigint" ? v : Number.isInteger(v) ? BigInt(v) : null;
  if (b === null) throw new EncodeError(Error.ERR_INVALID_PARAMETER, "int() needs an integer");
  if (b < INT64_MIN || b > INT64_MAX) throw new EncodeError(Error.ERR_INVALID_PARAMETER, "int outside the 64-bit range");
  if (b >= -(2n ** 31n) && b < 2n ** 31n) {
    w.u32(T.INT);
    w.i32(Number(b));
  } else {
    w.u32(T.INT | FLAG_64);
    w.i64(b);
  }
}

function encodeFloat(w: Writer, v: number): void {
  // 32 bits when the value survives the round trip to float32 (NaN never does).
  if (Math.fround(v) === v) {
    w.u32(T.FLOAT);
    w.f32(v);
  } else {
    w.u32(T.FLOAT | FLAG_64);
    w.f64(v);
  }
}

const reals = (w: Writer, ...v: number[]) => v.forEach((x) => w.f32(x));

function encodeValue(w: Writer, v: unknown, depth: number, seen: Set<object>, fullObjects: boolean): void {
  if (depth > MAX_DEPTH) throw new EncodeError(Error.ERR_OUT_OF_MEMORY, "nesting deeper than 1024");
  if (v === null || v === undefined) return w.u32(T.NIL);
  switch (typeof v) {
    case "boolean":
      w.u32(T.BOOL);
      return w.u32(v ? 1 : 0);
    case "number":
      return Number.isInteger(v) && Math.abs(v) < 2 ** 63 ? encodeInt(w, v) : encodeFloat(w, v);
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
  if (o instanceof GodotFloat) return encodeFloat(w, o.value);
  if (o instanceof StringName) {
    w.u32(T.STRING_NAME);
    return w.string(o.value);
  }
  if (o instanceof Vector2) return w.u32(T.VECTOR2), reals(w, o.x, o.y);
  if (o instanceof Vector2i) return w.u32(T.VECTOR2I), w.i32(o.x), w.i32(o.y);
  if (o instanceof Rect2) return w.u32(T.RECT2), reals(w, o.x, o.y, o.width, o.height);
  if (o instanceof Rect2i) return w.u32(T.RECT2I), [o.x, o.y, o.width, o.height].forEach((x) => w.i32(x));
  if (o instanceof Vector3) return w.u32(T.VECTOR3), reals(w, o.x, o.y, o.z);
  if (o instanceof Vector3i) return w.u32(T.VECTOR3I), [o.x, o.y, o.z].forEach((x) => w.i32(x));
  if (o instanceof Transform2D) return w.u32(T.TRANSFORM2D), reals(w, o.x.x, o.x.y, o.y.x, o.y.y, o.origin.x, o.origin.y);
  if (o instanceof Vector4) return w.u32(T.VECTOR4), reals(w, o.x, o.y, o.z, o.w);
  if (o instanceof Vector4i) return w.u32(T.VECTOR4I), [o.x, o.y, o.z, o.w].forEach((x) => w.i32(x));
  if (o instanceof Plane) return w.u32(T.PLANE), reals(w, o.x, o.y, o.z, o.d);
  if (o instanceof Quaternion) return w.u32(T.QUATERNION), reals(w, o.x, o.y, o.z, o.w);
  if (o instanceof AABB) return w.u32(T.AABB), reals(w, o.position.x, o.position.y, o.position.z, o.size.x, o.size.y, o.size.z);
  if (o instanceof Basis) return w.u32(T.BASIS), o.rows.forEach((r) => reals(w, r.x, r.y, r.z));
  if (o instanceof Transform3D) {
    w.u32(T.TRANSFORM3D);
    o.basis.rows.forEach((r) => reals(w, r.x, r.y, r.z));
    return reals(w, o.origin.x, o.origin.y, o.origin.z);
  }
  if (o instanceof Projection) return w.u32(T.PROJECTION), o.columns.forEach((c) => reals(w, c.x, c.y, c.z, c.w));
  if (o instanceof Color) return w.u32(T.COLOR), [o.r, o.g, o.b, o.a].forEach((x) => w.f32(x));
  if (o instanceof NodePath) {
    w.u32(T.NODE_PATH);
    w.u32((o.names.length | 0x80000000) >>> 0);
    w.u32(o.subnames.length);
    w.u32(o.absolute ? 1 : 0);
    for (const s of [...o.names, ...o.subnames]) w.string(s);
    return;
  }
  if (o instanceof RID) return w.u32(T.RID), w.i64(BigInt.asIntN(64, o.id));
  if (o instanceof EncodedObjectAsID) return w.u32(T.OBJECT | FLAG_64), w.i64(BigInt.asIntN(64, o.id));
  if (o instanceof GodotObject) {
    if (!fullObjects) throw new EncodeError(Error.ERR_INVALID_PARAMETER, "full objects need full_objects = true");
    w.u32(T.OBJECT);
    w.string(o.className);
    w.u32(o.properties.size);
    for (const [k, val] of o.properties) {
      w.string(k);
      withCycleCheck(o, seen, () => encodeValue(w, val, depth + 1, seen, fullObjects));
    }
    return;
  }
  if (o instanceof Signal) return w.u32(T.SIGNAL), w.string(o.name), w.i64(BigInt.asIntN(64, o.objectId));
  if (o instanceof Callable) return w.u32(T.CALLABLE);
  if (o instanceof Uint8Array) return w.u32(T.PACKED_BYTE_ARRAY), w.u32(o.length), w.bytes(o);
  if (o instanceof Int32Array) return w.u32(T.PACKED_INT32_ARRAY), w.u32(o.length), o.forEach((x) => w.i32(x));
  if (o instanceof BigInt64Array) return w.u32(T.PACKED_INT64_ARRAY), w.u32(o.length), o.forEach((x) => w.i64(x));
  if (o instanceof Float32Array) return w.u32(T.PACKED_FLOAT32_ARRAY), w.u32(o.length), o.forEach((x) => w.f32(x));
  if (o instanceof Float64Array) return w.u32(T.PACKED_FLOAT64_ARRAY), w.u32(o.length), o.forEach((x) => w.f64(x));
  if (o instanceof PackedStringArray) {
    w.u32(T.PACKED_STRING_ARRAY);
    w.u32(o.values.length);
    for (const s of o.values) {
      const b = utf8.encode(String(s));
      w.u32(b.length + 1);  // length counts the NUL terminator
      const withNul = new Uint8Array(b.length + 1);
      withNul.set(b);
      w.bytes(withNul);
    }
    return;
  }
  if (o instanceof PackedVector2Array) return w.u32(T.PACKED_VECTOR2_ARRAY), w.u32(o.values.length), o.values.forEach((p) => reals(w, p.x, p.y));
  if (o instanceof PackedVector3Array) return w.u32(T.PACKED_VECTOR3_ARRAY), w.u32(o.values.length), o.values.forEach((p) => reals(w, p.x, p.y, p.z));
  if (o instanceof PackedColorArray) return w.u32(T.PACKED_COLOR_ARRAY), w.u32(o.values.length), o.values.forEach((c) => reals(w, c.r, c.g, c.b, c.a));
  if (o instanceof PackedVector4Array) return w.u32(T.PACKED_VECTOR4_ARRAY), w.u32(o.values.length), o.values.forEach((p) => reals(w, p.x, p.y, p.z, p.w));
  if (ArrayBuffer.isView(o) || o instanceof ArrayBuffer) {
    throw new EncodeError(Error.ERR_INVALID_PARAMETER, `${o.constructor.name} has no Godot packed array type`);
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

function withCycleCheck(o: object, seen: Set<object>, fn: () => void): void {
  if (seen.has(o)) throw new EncodeError(Error.ERR_INVALID_PARAMETER, "cyclic structure");
  seen.add(o);
  fn();
  seen.delete(o);
}

export function encodeVariant(value: unknown, fullObjects = false): { error: number; bytes?: Uint8Array; message?: string } {
  const w = new Writer();
  try {
    encodeValue(w, value, 0, new Set(), fullObjects);
  } catch (e) {
    if (e instanceof EncodeError) return { error: e.code, message: e.why };
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
  readonly dv: DataView;
  constructor(readonly b: Uint8Array) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  need(n: number, code: Error = Error.ERR_INVALID_DATA): void {
    if (n < 0 || this.b.length - this.pos < n) throw new DecodeError(code);
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
  real(wide: boolean): number {
    return wide ? this.f64() : this.f32();
  }
  /** n bytes plus padding to 4; strings must carry their padding (Godot checks it), byte arrays need not. */
  raw(n: number, code: Error = Error.ERR_INVALID_DATA, padRequired = false): Uint8Array {
    const pad = (4 - (n % 4)) % 4;
    this.need(padRequired ? n + pad : n, code);
    const out = this.b.slice(this.pos, this.pos + n);
    this.pos = Math.min(this.b.length, this.pos + n + pad);
    return out;
  }
  string(): string {
    const len = this.u32();
    const bytes = this.raw(len, Error.ERR_FILE_EOF, true);
    const nul = bytes.indexOf(0);
    try {
      return utf8Strict.decode(nul >= 0 ? bytes.subarray(0, nul) : bytes);
    } catch {
      throw new DecodeError(Error.ERR_INVALID_DATA);
    }
  }
  /** A count whose elements take at least `min` bytes each must fit what is left. */
  count(min: number): number {
    const n = this.u32();
    if (n * min > this.b.length - this.pos) throw new DecodeError(Error.ERR_INVALID_DATA);
    return n;
  }
}

interface DecodeOpts {
  keepTypes?: boolean;
}

function readTypedInfo(r: Reader, kind: number): void {
  // Typed containers: a builtin type id, or a class name / script path string, follows the header.
  if (kind === 1) {
    if (r.u32() >= VARIANT_MAX) throw new DecodeError(Error.ERR_INVALID_DATA);
  } else if (kind === 2 || kind === 3) {
    r.string();
  }
}

function decodeValue(r: Reader, depth: number, allowObjects: boolean, opts: DecodeOpts): unknown {
  if (depth > MAX_DEPTH) throw new DecodeError(Error.ERR_OUT_OF_MEMORY);
  const header = r.u32();
  const type = header & 0xff;
  const wide = (header & FLAG_64) !== 0;
  const rv = () => r.real(wide);
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
    case T.FLOAT: {
      const v = wide ? r.f64() : r.f32();
      return opts.keepTypes ? new GodotFloat(v) : v;
    }
    case T.STRING:
      return r.string();
    case T.STRING_NAME:
      return new StringName(r.string());
    case T.VECTOR2:
      return new Vector2(rv(), rv());
    case T.VECTOR2I:
      return new Vector2i(r.i32(), r.i32());
    case T.RECT2:
      return new Rect2(rv(), rv(), rv(), rv());
    case T.RECT2I:
      return new Rect2i(r.i32(), r.i32(), r.i32(), r.i32());
    case T.VECTOR3:
      return new Vector3(rv(), rv(), rv());
    case T.VECTOR3I:
      return new Vector3i(r.i32(), r.i32(), r.i32());
    case T.TRANSFORM2D:
      return new Transform2D(new Vector2(rv(), rv()), new Vector2(rv(), rv()), new Vector2(rv(), rv()));
    case T.VECTOR4:
      return new Vector4(rv(), rv(), rv(), rv());
    case T.VECTOR4I:
      return new Vector4i(r.i32(), r.i32(), r.i32(), r.i32());
    case T.PLANE:
      return new Plane(rv(), rv(), rv(), rv());
    case T.QUATERNION:
      return new Quaternion(rv(), rv(), rv(), rv());
    case T.AABB:
      return new AABB(new Vector3(rv(), rv(), rv()), new Vector3(rv(), rv(), rv()));
    case T.BASIS:
      return new Basis([new Vector3(rv(), rv(), rv()), new Vector3(rv(), rv(), rv()), new Vector3(rv(), rv(), rv())]);
    case T.TRANSFORM3D: {
      const b = new Basis([new Vector3(rv(), rv(), rv()), new Vector3(rv(), rv(), rv()), new Vector3(rv(), rv(), rv())]);
      return new Transform3D(b, new Vector3(rv(), rv(), rv()));
    }
    case T.PROJECTION: {
      const c = () => new Vector4(rv(), rv(), rv(), rv());
      return new Projection([c(), c(), c(), c()]);
    }
    case T.COLOR:
      return new Color(r.f32(), r.f32(), r.f32(), r.f32());
    case T.NODE_PATH: {
      const first = r.u32();
      if (!(first & 0x80000000)) throw new DecodeError(Error.ERR_INVALID_DATA);  // the old format
      const names = first & 0x7fffffff;
      const subnames = r.u32();
      const flags = r.u32();
      if ((names + subnames) * 4 > r.b.length - r.pos) throw new DecodeError(Error.ERR_INVALID_DATA);
      const all: string[] = [];
      for (let i = 0; i < names + subnames; i++) all.push(r.string());
      return new NodePath({ names: all.slice(0, names), subnames: all.slice(names), absolute: (flags & 1) !== 0 });
    }
    case T.RID:
      return new RID(r.i64());
    case T.OBJECT: {
      if (wide) {
        const id = r.i64();
        return id === 0n ? null : new EncodedObjectAsID(id);
      }
      if (!allowObjects) throw new DecodeError(Error.ERR_UNAUTHORIZED);
      const className = r.string();
      const n = r.count(8);
      const props = new Map<string, unknown>();
      for (let i = 0; i < n; i++) props.set(r.string(), decodeValue(r, depth + 1, allowObjects, opts));
      return new GodotObject(className, props);
    }
    case T.CALLABLE:
      return new Callable();
    case T.SIGNAL:
      return new Signal(r.string(), r.i64());
    case T.DICTIONARY: {
      readTypedInfo(r, (header >> 16) & 3);
      readTypedInfo(r, (header >> 18) & 3);
      const n = r.count(8) & 0x7fffffff;  // bit 31 was the old "shared" flag
      const entries: Array<[unknown, unknown]> = [];
      for (let i = 0; i < n; i++) {
        const k = decodeValue(r, depth + 1, allowObjects, opts);
        entries.push([k, decodeValue(r, depth + 1, allowObjects, opts)]);
      }
      // Plain object when every key is a string; a Map otherwise (keys of any type).
      if (entries.every(([k]) => typeof k === "string")) {
        const obj: Record<string, unknown> = {};
        for (const [k, val] of entries) obj[k as string] = val;
        return obj;
      }
      return new Map(entries);
    }
    case T.ARRAY: {
      readTypedInfo(r, (header >> 16) & 3);
      const n = r.count(4) & 0x7fffffff;
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(decodeValue(r, depth + 1, allowObjects, opts));
      return out;
    }
    case T.PACKED_BYTE_ARRAY: {
      const n = r.count(1);
      return r.raw(n);
    }
    case T.PACKED_INT32_ARRAY: {
      const n = r.count(4);
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = r.i32();
      return out;
    }
    case T.PACKED_INT64_ARRAY: {
      const n = r.count(8);
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = r.i64();
      return out;
    }
    case T.PACKED_FLOAT32_ARRAY: {
      const n = r.count(4);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = r.f32();
      return out;
    }
    case T.PACKED_FLOAT64_ARRAY: {
      const n = r.count(8);
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = r.f64();
      return out;
    }
    case T.PACKED_STRING_ARRAY: {
      const n = r.count(4);
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push(r.string());
      return new PackedStringArray(out);
    }
    case T.PACKED_VECTOR2_ARRAY: {
      const n = r.count(wide ? 16 : 8);
      const out: Vector2[] = [];
      for (let i = 0; i < n; i++) out.push(new Vector2(rv(), rv()));
      return new PackedVector2Array(out);
    }
    case T.PACKED_VECTOR3_ARRAY: {
      const n = r.count(wide ? 24 : 12);
      const out: Vector3[] = [];
      for (let i = 0; i < n; i++) out.push(new Vector3(rv(), rv(), rv()));
      return new PackedVector3Array(out);
    }
    case T.PACKED_COLOR_ARRAY: {
      const n = r.count(16);
      const out: Color[] = [];
      for (let i = 0; i < n; i++) out.push(new Color(r.f32(), r.f32(), r.f32(), r.f32()));
      return new PackedColorArray(out);
    }
    case T.PACKED_VECTOR4_ARRAY: {
      const n = r.count(wide ? 32 : 16);
      const out: Vector4[] = [];
      for (let i = 0; i < n; i++) out.push(new Vector4(rv(), rv(), rv(), rv()));
      return new PackedVector4Array(out);
    }
    default:
      throw new DecodeError(Error.ERR_INVALID_DATA);  // type id >= VARIANT_MAX
  }
}

export function decodeVariant(bytes: Uint8Array, allowObjects = false, opts: DecodeOpts = {}):
  { error: number; value?: unknown; length?: number } {
  if (!(bytes instanceof Uint8Array)) return { error: Error.ERR_INVALID_PARAMETER };
  const r = new Reader(bytes);
  try {
    const value = decodeValue(r, 0, allowObjects, opts);
    return { error: Error.OK, value, length: r.pos };
  } catch (e) {
    if (e instanceof DecodeError) return { error: e.code };
    if (e instanceof RangeError) return { error: Error.ERR_OUT_OF_MEMORY };  // call stack exhausted
    return { error: Error.ERR_INVALID_DATA };
  }
}

// ---------------------------------------------------------------- Godot's globals
export function var_to_bytes(value: unknown): Uint8Array {
  const r = encodeVariant(value, false);
  return r.bytes ?? new Uint8Array(0);
}
export function var_to_bytes_with_objects(value: unknown): Uint8Array {
  const r = encodeVariant(value, true);
  return r.bytes ?? new Uint8Array(0);
}
export function bytes_to_var(bytes: Uint8Array): unknown {
  const r = decodeVariant(bytes, false);
  return r.error === Error.OK ? r.value ?? null : null;
}
export function bytes_to_var_with_objects(bytes: Uint8Array): unknown {
  const r = decodeVariant(bytes, true);
  return r.error === Error.OK ? r.value ?? null : null;
}

// ---------------------------------------------------------------- wasmrtc: Godot 3's encoding (variant3.ts)
export {
  VariantType3, encodeVariantGodot3, decodeVariantGodot3, var_to_bytes_godot3, var_to_bytes_with_objects_godot3,
  bytes_to_var_godot3, bytes_to_var_with_objects_godot3, wasmrtc_set_variant_encoding, wasmrtc_get_variant_encoding,
  type VariantEncoding,
} from "./variant3.js";
