// Godot 3.x Variant encoding (src/godot/variant3.ts): fixtures written from the
// 3.x format rules (core/io/marshalls.cpp of the 3.x branch, the 3.x "Binary
// serialization API" page), byte-exact both ways; round trips; the int/float
// rules; Godot 4-only types refused; malformed input never throws; put_var /
// get_var on a channel pair set to Godot 3, and the default staying Godot 4.
//
// Reading the fixtures: every value starts with a uint32 LE header whose low
// byte is the 3.x type id (NIL 0, BOOL 1, INT 2, REAL 3, STRING 4, VECTOR2 5,
// RECT2 6, VECTOR3 7, TRANSFORM2D 8, PLANE 9, QUAT 10, AABB 11, BASIS 12,
// TRANSFORM 13, COLOR 14, NODE_PATH 15, RID 16, OBJECT 17, DICTIONARY 18,
// ARRAY 19, POOL_BYTE_ARRAY 20, POOL_INT_ARRAY 21, POOL_REAL_ARRAY 22,
// POOL_STRING_ARRAY 23, POOL_VECTOR2_ARRAY 24, POOL_VECTOR3_ARRAY 25,
// POOL_COLOR_ARRAY 26) and whose bit 16 is ENCODE_FLAG_64 (so a header with
// the flag reads `tt 00 01 00`). float32 constants used below, little endian:
// 0 = 00 00 00 00, 0.5 = 00 00 00 3F, 1 = 00 00 80 3F, -1 = 00 00 80 BF,
// 2 = 00 00 00 40, 2.5 = 00 00 20 40, 3 = 00 00 40 40, 4 = 00 00 80 40,
// 5 = 00 00 A0 40, 6 = 00 00 C0 40, 7 = 00 00 E0 40, 8 = 00 00 00 41,
// 9 = 00 00 10 41, +Inf = 00 00 80 7F.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  AABB, Basis, Callable, Color, EncodedObjectAsID, GodotFloat, GodotInt, GodotObject, NodePath, PackedColorArray,
  PackedStringArray, PackedVector2Array, PackedVector3Array, PackedVector4Array, Plane, Projection, Quaternion, RID,
  Rect2, Rect2i, Signal, StringName, Transform2D, Transform3D, Vector2, Vector2i, Vector3, Vector3i, Vector4, Vector4i,
  bytes_to_var, float, int, var_to_bytes,
} from "../../src/godot/variant.js";
import {
  VariantType3, bytes_to_var_godot3, bytes_to_var_with_objects_godot3, decodeVariantGodot3, encodeVariantGodot3,
  var_to_bytes_godot3, var_to_bytes_with_objects_godot3, wasmrtc_get_variant_encoding, wasmrtc_set_variant_encoding,
} from "../../src/godot/variant3.js";
import * as api from "../../src/godot/index.js";
import { Error as GErr, WebRTCPeerConnection, set_log_sink } from "../../src/godot/index.js";
import { LoopbackPeerConnection } from "./loopback.js";

const hex = (s: string) => new Uint8Array((s.replace(/\s+/g, "").match(/../g) ?? []).map((b) => parseInt(b, 16)));
const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ").toUpperCase();

interface Fixture {
  name: string;
  value: unknown;
  bytes: string;
  /** Full objects: encoded with full_objects, decoded with allow_objects. */
  objects?: boolean;
  /** Decodes to this instead of `value` (JS numbers do not keep int/float). */
  decoded?: unknown;
  /** Shortest prefix Godot 3 still accepts (a final PoolByteArray's padding is not checked). */
  acceptsFrom?: number;
}

// Every type Godot 3 and Godot 4 share, each derived from the format rules.
const fixtures: Fixture[] = [
  // NIL: the header only.
  { name: "null", value: null, bytes: "00 00 00 00" },
  // BOOL: uint32 0/1.
  { name: "true", value: true, bytes: "01 00 00 00  01 00 00 00" },
  { name: "false", value: false, bytes: "01 00 00 00  00 00 00 00" },
  // INT within int32: flag clear, 4-byte two's complement.
  { name: "int 1", value: 1, bytes: "02 00 00 00  01 00 00 00" },
  { name: "int -2", value: -2, bytes: "02 00 00 00  FE FF FF FF" },
  { name: "int 2147483647 (INT_MAX, still 32-bit)", value: 2147483647, bytes: "02 00 00 00  FF FF FF 7F" },
  { name: "int -2147483648 (INT_MIN, still 32-bit)", value: -2147483648, bytes: "02 00 00 00  00 00 00 80" },
  // INT outside int32: header 02 | 1<<16, then int64 LE. 2^31 = 0x0000000080000000.
  { name: "int 2^31 (64-bit)", value: 2 ** 31, bytes: "02 00 01 00  00 00 00 80 00 00 00 00" },
  // 2^40 = 0x0000010000000000 → LE 00 00 00 00 00 01 00 00.
  { name: "int 2^40 (64-bit)", value: 2 ** 40, bytes: "02 00 01 00  00 00 00 00 00 01 00 00" },
  // -2^40 = 0xFFFFFF0000000000 → LE 00 00 00 00 00 FF FF FF.
  { name: "int -2^40 (64-bit)", value: -(2 ** 40), bytes: "02 00 01 00  00 00 00 00 00 FF FF FF" },
  // 2^63 - 1 = 0x7FFFFFFFFFFFFFFF (a bigint: beyond 2^53).
  { name: "int 2^63-1", value: 2n ** 63n - 1n, bytes: "02 00 01 00  FF FF FF FF FF FF FF 7F" },
  // REAL exactly representable as float32: flag clear, float32. 0.5 = 0x3F000000.
  { name: "float 0.5 (32-bit)", value: 0.5, bytes: "03 00 00 00  00 00 00 3F" },
  // float(1): a REAL even though integral; 1.0f = 0x3F800000.
  { name: "float(1) (32-bit)", value: float(1), decoded: 1, bytes: "03 00 00 00  00 00 80 3F" },
  // +Inf survives the float round trip, so it is 32-bit: 0x7F800000.
  { name: "float +Inf (32-bit)", value: Infinity, bytes: "03 00 00 00  00 00 80 7F" },
  // 0.1 is not a float32: flag set, float64 0x3FB999999999999A.
  { name: "float 0.1 (64-bit)", value: 0.1, bytes: "03 00 01 00  9A 99 99 99 99 99 B9 3F" },
  // STRING: uint32 UTF-8 byte length, bytes, zero padding to 4.
  { name: 'String "hi"', value: "hi", bytes: "04 00 00 00  02 00 00 00  68 69 00 00" },
  { name: 'String ""', value: "", bytes: "04 00 00 00  00 00 00 00" },
  { name: 'String "abcd" (no padding needed)', value: "abcd", bytes: "04 00 00 00  04 00 00 00  61 62 63 64" },
  // "é" is C3 A9 in UTF-8: length 2 (bytes, not characters).
  { name: 'String "é"', value: "é", bytes: "04 00 00 00  02 00 00 00  C3 A9 00 00" },
  // VECTOR2 (5): x, y as float32.
  { name: "Vector2(1, 2)", value: new Vector2(1, 2), bytes: "05 00 00 00  00 00 80 3F  00 00 00 40" },
  // RECT2 (6): position.x, position.y, size.x, size.y.
  { name: "Rect2(1, 2, 3, 4)", value: new Rect2(1, 2, 3, 4), bytes: "06 00 00 00  00 00 80 3F 00 00 00 40 00 00 40 40 00 00 80 40" },
  // VECTOR3 (7): x, y, z.
  { name: "Vector3(1, 2, 3)", value: new Vector3(1, 2, 3), bytes: "07 00 00 00  00 00 80 3F 00 00 00 40 00 00 40 40" },
  // TRANSFORM2D (8): elements[0..2][0..1] = x axis, y axis, origin.
  {
    name: "Transform2D((1,2), (3,4), (5,6))",
    value: new Transform2D(new Vector2(1, 2), new Vector2(3, 4), new Vector2(5, 6)),
    bytes: "08 00 00 00  00 00 80 3F 00 00 00 40  00 00 40 40 00 00 80 40  00 00 A0 40 00 00 C0 40",
  },
  // PLANE (9): normal x, y, z, then d.
  { name: "Plane(0, 1, 0, 2.5)", value: new Plane(0, 1, 0, 2.5), bytes: "09 00 00 00  00 00 00 00 00 00 80 3F 00 00 00 00 00 00 20 40" },
  // QUAT (10): x, y, z, w.
  { name: "Quat(0, 0, 0, 1)", value: new Quaternion(0, 0, 0, 1), bytes: "0A 00 00 00  00 00 00 00 00 00 00 00 00 00 00 00 00 00 80 3F" },
  // AABB (11): position x, y, z, then size x, y, z.
  {
    name: "AABB((1,2,3), (4,5,6))",
    value: new AABB(new Vector3(1, 2, 3), new Vector3(4, 5, 6)),
    bytes: "0B 00 00 00  00 00 80 3F 00 00 00 40 00 00 40 40  00 00 80 40 00 00 A0 40 00 00 C0 40",
  },
  // BASIS (12): elements[row][column], three rows of three.
  {
    name: "Basis (identity)",
    value: new Basis(),
    bytes: "0C 00 00 00  00 00 80 3F 00 00 00 00 00 00 00 00  00 00 00 00 00 00 80 3F 00 00 00 00  00 00 00 00 00 00 00 00 00 00 80 3F",
  },
  // TRANSFORM (13): the basis rows as BASIS, then origin x, y, z.
  {
    name: "Transform(identity, (7,8,9))",
    value: new Transform3D(new Basis(), new Vector3(7, 8, 9)),
    bytes: "0D 00 00 00  00 00 80 3F 00 00 00 00 00 00 00 00  00 00 00 00 00 00 80 3F 00 00 00 00  " +
      "00 00 00 00 00 00 00 00 00 00 80 3F  00 00 E0 40 00 00 00 41 00 00 10 41",
  },
  // COLOR (14): r, g, b, a as float32.
  { name: "Color(1, 0, 0, 1)", value: new Color(1, 0, 0, 1), bytes: "0E 00 00 00  00 00 80 3F 00 00 00 00 00 00 00 00 00 00 80 3F" },
  // NODE_PATH (15), new format: name count | 0x80000000, subname count, flags (1 = absolute),
  // then every name and subname as a STRING body. "/root/a:b" = names [root, a], subnames [b].
  {
    name: 'NodePath("/root/a:b")',
    value: new NodePath("/root/a:b"),
    bytes: "0F 00 00 00  02 00 00 80  01 00 00 00  01 00 00 00  04 00 00 00 72 6F 6F 74  01 00 00 00 61 00 00 00  01 00 00 00 62 00 00 00",
  },
  // An empty relative path: 0 names (high bit still set), 0 subnames, flags 0.
  { name: 'NodePath("")', value: new NodePath(""), bytes: "0F 00 00 00  00 00 00 80  00 00 00 00  00 00 00 00" },
  // RID (16): Godot 3 writes the header and nothing else.
  { name: "RID()", value: new RID(), bytes: "10 00 00 00" },
  // OBJECT (17) as an id: header with ENCODE_FLAG_OBJECT_AS_ID (1<<16), uint64 instance id.
  { name: "Object as id 5", value: new EncodedObjectAsID(5n), bytes: "11 00 01 00  05 00 00 00 00 00 00 00" },
  // OBJECT (17), full: class name STRING body, uint32 property count, then name + value pairs.
  {
    name: "full Object Node {x: 1}",
    value: new GodotObject("Node", new Map<string, unknown>([["x", 1]])),
    objects: true,
    bytes: "11 00 00 00  04 00 00 00 4E 6F 64 65  01 00 00 00  01 00 00 00 78 00 00 00  02 00 00 00 01 00 00 00",
  },
  // DICTIONARY (18): uint32 count, then key, value, key, value… The issue's {"a": 1}.
  {
    name: 'Dictionary {"a": 1}',
    value: { a: 1 },
    bytes: "12 00 00 00  01 00 00 00  04 00 00 00 01 00 00 00 61 00 00 00  02 00 00 00 01 00 00 00",
  },
  // Non-String keys: a Map (int key 1 → "one").
  {
    name: 'Dictionary {1: "one"}',
    value: new Map<unknown, unknown>([[1, "one"]]),
    bytes: "12 00 00 00  01 00 00 00  02 00 00 00 01 00 00 00  04 00 00 00 03 00 00 00 6F 6E 65 00",
  },
  // ARRAY (19): uint32 count, then the elements.
  {
    name: 'Array [1, "a"]',
    value: [1, "a"],
    bytes: "13 00 00 00  02 00 00 00  02 00 00 00 01 00 00 00  04 00 00 00 01 00 00 00 61 00 00 00",
  },
  { name: "Array []", value: [], bytes: "13 00 00 00  00 00 00 00" },
  // POOL_BYTE_ARRAY (20): uint32 count, the bytes, zero padding to 4.
  { name: "PoolByteArray [1,2,3]", value: new Uint8Array([1, 2, 3]), bytes: "14 00 00 00  03 00 00 00  01 02 03 00", acceptsFrom: 11 },
  { name: "PoolByteArray []", value: new Uint8Array(0), bytes: "14 00 00 00  00 00 00 00" },
  // POOL_INT_ARRAY (21): uint32 count, int32 each.
  { name: "PoolIntArray [1,-1]", value: new Int32Array([1, -1]), bytes: "15 00 00 00  02 00 00 00  01 00 00 00  FF FF FF FF" },
  // POOL_REAL_ARRAY (22): uint32 count, float32 each.
  { name: "PoolRealArray [0.5,-1]", value: new Float32Array([0.5, -1]), bytes: "16 00 00 00  02 00 00 00  00 00 00 3F  00 00 80 BF" },
  // POOL_STRING_ARRAY (23): uint32 count; per string uint32 (UTF-8 length + 1), the bytes, a NUL, padding.
  // "ab" → 03 00 00 00 61 62 00 00; "" → 01 00 00 00 00 00 00 00 (the NUL, then 3 padding bytes).
  {
    name: 'PoolStringArray ["ab", ""]',
    value: new PackedStringArray(["ab", ""]),
    bytes: "17 00 00 00  02 00 00 00  03 00 00 00 61 62 00 00  01 00 00 00 00 00 00 00",
  },
  // "abc" + NUL is exactly 4 bytes: no padding.
  { name: 'PoolStringArray ["abc"]', value: new PackedStringArray(["abc"]), bytes: "17 00 00 00  01 00 00 00  04 00 00 00 61 62 63 00" },
  // POOL_VECTOR2_ARRAY (24): uint32 count, x, y each.
  { name: "PoolVector2Array [(1,2)]", value: new PackedVector2Array([new Vector2(1, 2)]), bytes: "18 00 00 00  01 00 00 00  00 00 80 3F 00 00 00 40" },
  // POOL_VECTOR3_ARRAY (25): uint32 count, x, y, z each.
  {
    name: "PoolVector3Array [(1,2,3)]",
    value: new PackedVector3Array([new Vector3(1, 2, 3)]),
    bytes: "19 00 00 00  01 00 00 00  00 00 80 3F 00 00 00 40 00 00 40 40",
  },
  // POOL_COLOR_ARRAY (26): uint32 count, r, g, b, a each.
  {
    name: "PoolColorArray [(1,0,0,1)]",
    value: new PackedColorArray([new Color(1, 0, 0, 1)]),
    bytes: "1A 00 00 00  01 00 00 00  00 00 80 3F 00 00 00 00 00 00 00 00 00 00 80 3F",
  },
];

describe("Godot 3 fixtures, byte-exact both ways", () => {
  for (const fx of fixtures) {
    it(fx.name, () => {
      const enc = encodeVariantGodot3(fx.value, fx.objects === true);
      expect(enc.error, enc.message).toBe(GErr.OK);
      expect(toHex(enc.bytes!)).toBe(toHex(hex(fx.bytes)));
      const dec = decodeVariantGodot3(hex(fx.bytes), fx.objects === true);
      expect(dec.error).toBe(GErr.OK);
      expect(dec.length).toBe(hex(fx.bytes).length);
      expect(dec.value).toEqual("decoded" in fx ? fx.decoded : fx.value);
    });
  }

  it("the fixtures cover every 3.x type id", () => {
    const ids = new Set(fixtures.map((fx) => hex(fx.bytes)[0]));
    for (const id of Object.values(VariantType3)) expect(ids.has(id), `type ${id}`).toBe(true);
    expect(Object.keys(VariantType3)).toHaveLength(27);
  });

  it("decode-only forms Godot 3 produces or accepts", () => {
    const cases: Array<[string, string, unknown]> = [
      // BOOL: any non-zero uint32 is true.
      ["bool 2", "01 00 00 00  02 00 00 00", true],
      // OBJECT id 0 is a null object.
      ["object id 0", "11 00 01 00  00 00 00 00 00 00 00 00", null],
      // Bit 31 of a Dictionary / Array count is the old "shared" flag, ignored.
      ["shared Dictionary {}", "12 00 00 00  00 00 00 80", {}],
      ["shared Array [null]", "13 00 00 00  01 00 00 80  00 00 00 00", [null]],
      // NodePath flags bit 1: the obsolete form where the property follows as one more subname.
      // 1 name "a", 0 subnames + 1, relative → names [a], subnames [p].
      ["NodePath a:p (obsolete property flag)", "0F 00 00 00  01 00 00 80  00 00 00 00  02 00 00 00  01 00 00 00 61 00 00 00  01 00 00 00 70 00 00 00",
        new NodePath({ names: ["a"], subnames: ["p"], absolute: false })],
      // Math types are float32 whatever the flag says (3.x never reads it for them).
      ["Vector2 with bit 16 set", "05 00 01 00  00 00 80 3F 00 00 00 40", new Vector2(1, 2)],
      // Only the low byte is the type: bits 8-15 are masked off (ENCODE_MASK 0xFF).
      ["int with bits 8-15 set", "02 FF 00 00  07 00 00 00", 7],
      // parse_utf8 skips a leading BOM (EF BB BF) and stops at the first NUL.
      ["String with a BOM", "04 00 00 00  05 00 00 00  EF BB BF 68 69 00 00 00", "hi"],
      ["String with an embedded NUL", "04 00 00 00  03 00 00 00  61 00 62 00", "a"],
      // A full object whose class name is empty is a null object; no count follows.
      ["full Object with no class (allow_objects)", "11 00 00 00  00 00 00 00", null],
    ];
    for (const [name, bytes, value] of cases) {
      const dec = decodeVariantGodot3(hex(bytes), true);
      expect(dec.error, name).toBe(GErr.OK);
      expect(dec.value, name).toEqual(value);
    }
    // PoolByteArray: Godot checks count <= remaining, not the padding after the bytes.
    expect(bytes_to_var_godot3(hex("14 00 00 00  03 00 00 00  01 02 03"))).toEqual(new Uint8Array([1, 2, 3]));
  });

  it("the issue: Godot 3's {\"a\": 1} means nothing to the Godot 4 decoder, and the reverse", () => {
    const g3 = hex(fixtures.find((fx) => fx.name === 'Dictionary {"a": 1}')!.bytes);
    expect(bytes_to_var(g3)).toBeNull();  // 0x12 is Godot 4's TRANSFORM3D, 48 bytes it does not have
    expect(bytes_to_var_godot3(g3)).toEqual({ a: 1 });
    const g4 = var_to_bytes({ a: 1 });
    expect(toHex(g4.subarray(0, 4))).toBe("1B 00 00 00");  // Godot 4's DICTIONARY 27 = 3.x VARIANT_MAX
    expect(decodeVariantGodot3(g4).error).toBe(GErr.ERR_INVALID_DATA);
  });
});

describe("int vs float: marshalls.cpp's rules", () => {
  // encode_variant (3.x): INT sets ENCODE_FLAG_64 when `val > INT_MAX || val < INT_MIN`;
  // REAL sets it when `double(float(d)) != d`. Otherwise 32 bits. Decoding follows the flag.
  const header = (v: unknown) => toHex(var_to_bytes_godot3(v).subarray(0, 4));
  it("integral JS numbers are INT: 32-bit inside int32, 64-bit with the flag outside", () => {
    expect(header(1)).toBe("02 00 00 00");
    expect(var_to_bytes_godot3(1)).toHaveLength(8);
    expect(header(2 ** 31 - 1)).toBe("02 00 00 00");
    expect(header(-(2 ** 31))).toBe("02 00 00 00");
    expect(header(2 ** 40)).toBe("02 00 01 00");
    expect(var_to_bytes_godot3(2 ** 40)).toHaveLength(12);
    expect(header(-(2 ** 31) - 1)).toBe("02 00 01 00");
    expect(header(int(3))).toBe("02 00 00 00");
    expect(header(5n)).toBe("02 00 00 00");
  });
  it("other numbers are REAL: float32 when exact, float64 with the flag otherwise", () => {
    expect(header(0.5)).toBe("03 00 00 00");
    expect(var_to_bytes_godot3(0.5)).toHaveLength(8);
    expect(header(0.1)).toBe("03 00 01 00");
    expect(var_to_bytes_godot3(0.1)).toHaveLength(12);
    expect(header(1.5)).toBe("03 00 00 00");
    expect(header(-0.25)).toBe("03 00 00 00");
    expect(header(1e300)).toBe("03 00 01 00");  // float(1e300) is +Inf ≠ 1e300
    expect(header(-Infinity)).toBe("03 00 00 00");
    expect(header(NaN)).toBe("03 00 01 00");  // NaN ≠ NaN: always 64-bit
    expect(Number.isNaN(bytes_to_var_godot3(var_to_bytes_godot3(NaN)) as number)).toBe(true);
    expect(header(float(5))).toBe("03 00 00 00");
    expect(toHex(var_to_bytes_godot3(float(5)))).toBe("03 00 00 00 00 00 A0 40");
    expect(header(2 ** 64)).toBe("03 00 00 00");  // not an int64: a REAL (2^64 is a float32)
  });
  it("int() of a non-integer or beyond 64 bits is refused", () => {
    expect(encodeVariantGodot3(int(1.5)).error).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(encodeVariantGodot3(int(2n ** 63n)).error).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(encodeVariantGodot3(float("x" as unknown as number)).error).toBe(GErr.ERR_INVALID_PARAMETER);
  });
  it("keepTypes decodes INT as GodotInt and REAL as GodotFloat", () => {
    const v = decodeVariantGodot3(var_to_bytes_godot3([int(2), float(2), 2 ** 40]), false, { keepTypes: true }).value as unknown[];
    expect(v[0]).toEqual(new GodotInt(2));
    expect(v[1]).toEqual(new GodotFloat(2));
    expect(v[2]).toEqual(new GodotInt(2 ** 40));
    expect(bytes_to_var_godot3(hex("02 00 01 00  FF FF FF FF FF FF FF 7F"))).toBe(2n ** 63n - 1n);  // beyond 2^53: a bigint
  });
});

describe("round trips", () => {
  const values: unknown[] = [
    null, true, false, 0, 1, -1, 2147483647, -2147483648, 2 ** 40, -(2 ** 52), 2n ** 63n - 1n, -(2n ** 63n),
    0.5, 3.25, -0.1, 0.1, Infinity, -Infinity, 1e300, "", "hi", "ünïcödé ✓ 🎮", "a\u0001b", [], [[], [[1]], { x: [2] }],
    {}, { nested: { deep: [1, 2, { k: "v" }] } }, new Map<unknown, unknown>([[1, "one"], ["two", 2], [true, null], [new Vector2(1, 2), []]]),
    new Vector2(0.5, -1), new Rect2(1, 2, 3, 4), new Vector3(1, 2, 3),
    new Transform2D(new Vector2(1, 2), new Vector2(3, 4), new Vector2(5, 6)), new Plane(0, 1, 0, 2.5),
    new Quaternion(0, 0, 0, 1), new AABB(new Vector3(1, 2, 3), new Vector3(4, 5, 6)), new Basis(),
    new Transform3D(new Basis([new Vector3(1, 2, 3), new Vector3(4, 5, 6), new Vector3(7, 8, 9)]), new Vector3(7, 8, 9)),
    new Color(0.25, 0.5, 0.75, 1), new NodePath("/root/Main/Player:position:x"), new NodePath("relative/path"),
    new NodePath("ünï:cödé"), new RID(), new EncodedObjectAsID(99n), new EncodedObjectAsID(-1n),
    new Uint8Array(0), new Uint8Array([255, 0, 7, 1, 9]), new Int32Array([0, -5, 2 ** 31 - 1, -(2 ** 31)]),
    new Float32Array([1.5, -2, 0.25]), new PackedStringArray(["", "a", "ünï", "abc"]),
    new PackedVector2Array([new Vector2(1, 2), new Vector2(-3, 0.5)]), new PackedVector3Array([new Vector3(1, 2, 3)]),
    new PackedColorArray([new Color(1, 0, 1, 0.5)]), new PackedVector2Array([]),
    [null, true, 1, 0.1, "s", new Vector3(1, 2, 3), new Uint8Array([1]), { k: new PackedStringArray(["x"]) }],
  ];
  it("every shared type survives encode → decode, each encoding a multiple of 4 bytes", () => {
    for (const v of values) {
      const enc = encodeVariantGodot3(v);
      expect(enc.error, `${String(v)}: ${enc.message}`).toBe(GErr.OK);
      expect(enc.bytes!.length % 4).toBe(0);
      const dec = decodeVariantGodot3(enc.bytes!);
      expect(dec.error).toBe(GErr.OK);
      expect(dec.length).toBe(enc.bytes!.length);
      expect(dec.value).toEqual(v);
      // And again: decode → encode gives the same bytes.
      expect(toHex(var_to_bytes_godot3(dec.value))).toBe(toHex(enc.bytes!));
    }
  });

  it("full objects need permission both ways", () => {
    const o = new GodotObject("Node2D", new Map<string, unknown>([["position", new Vector2(1, 2)], ["name", "n"]]));
    expect(encodeVariantGodot3(o).error).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(var_to_bytes_godot3(o)).toEqual(new Uint8Array(0));
    const b = var_to_bytes_with_objects_godot3(o);
    expect(b.length).toBeGreaterThan(0);
    expect(decodeVariantGodot3(b).error).toBe(GErr.ERR_UNAUTHORIZED);
    expect(bytes_to_var_godot3(b)).toBeNull();
    expect(bytes_to_var_with_objects_godot3(b)).toEqual(o);
    expect(decodeVariantGodot3(var_to_bytes_with_objects_godot3([o]), false).error).toBe(GErr.ERR_UNAUTHORIZED);
    // Godot 3 writes a null object as an empty class name, so a class is required.
    expect(encodeVariantGodot3(new GodotObject(""), true).error).toBe(GErr.ERR_INVALID_PARAMETER);
  });
});

describe("what Godot 3 cannot carry is refused, never converted", () => {
  const only4: Array<[string, unknown]> = [
    ["Vector2i", new Vector2i(1, 2)],
    ["Rect2i", new Rect2i(1, 2, 3, 4)],
    ["Vector3i", new Vector3i(1, 2, 3)],
    ["Vector4", new Vector4(1, 2, 3, 4)],
    ["Vector4i", new Vector4i(1, 2, 3, 4)],
    ["Projection", new Projection()],
    ["StringName", new StringName("n")],
    ["Callable", new Callable()],
    ["Signal", new Signal("s", 1n)],
    ["PackedInt64Array", new BigInt64Array([1n])],
    ["PackedFloat64Array", new Float64Array([0.1])],
    ["PackedVector4Array", new PackedVector4Array([new Vector4()])],
  ];
  for (const [name, v] of only4) {
    it(`${name}: ERR_INVALID_PARAMETER naming the type, alone and nested`, () => {
      const r = encodeVariantGodot3(v);
      expect(r.error).toBe(GErr.ERR_INVALID_PARAMETER);
      expect(r.message).toContain(name);
      expect(r.message).toMatch(/Godot 4/);
      expect(r.bytes).toBeUndefined();
      expect(var_to_bytes_godot3(v)).toEqual(new Uint8Array(0));
      for (const wrapped of [[1, v], { k: v }, new Map([[v, 1]])]) {
        expect(encodeVariantGodot3(wrapped).error).toBe(GErr.ERR_INVALID_PARAMETER);
      }
      // The Godot 4 encoder does carry it.
      expect(var_to_bytes(v).length).toBeGreaterThan(0);
    });
  }

  it("a RID with an id (Godot 3 sends none), and what neither encoding carries", () => {
    const rid = encodeVariantGodot3(new RID(5n));
    expect(rid.error).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(rid.message).toMatch(/RID/);
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    for (const bad of [() => 1, Symbol("s"), cyclic, new Uint16Array(2), new ArrayBuffer(4), new (class Foo {})()]) {
      const r = encodeVariantGodot3(bad);
      expect(r.error).toBe(GErr.ERR_INVALID_PARAMETER);
      expect(var_to_bytes_godot3(bad)).toEqual(new Uint8Array(0));
    }
    let deep: unknown = 1;
    for (let i = 0; i < 1100; i++) deep = [deep];
    expect(encodeVariantGodot3(deep).error).toBe(GErr.ERR_OUT_OF_MEMORY);
    // The same object twice, side by side, is not a cycle.
    const shared = [1];
    expect(encodeVariantGodot3([shared, shared]).error).toBe(GErr.OK);
  });
});

describe("malformed input → the errors, never a throw", () => {
  const failsCleanly = (b: Uint8Array, what: string, allow = false) => {
    let r: ReturnType<typeof decodeVariantGodot3> | undefined;
    expect(() => (r = decodeVariantGodot3(b, allow)), what).not.toThrow();
    expect(r!.error, what).not.toBe(GErr.OK);
    expect(r!.value, what).toBeUndefined();
    return r!.error;
  };

  it("every truncation of every fixture", () => {
    let cuts = 0;
    for (const fx of fixtures) {
      const full = hex(fx.bytes);
      const from = fx.acceptsFrom ?? full.length;
      for (let cut = 0; cut < full.length; cut++) {
        const part = full.subarray(0, cut);
        if (cut >= from) {
          // Only a final PoolByteArray's missing padding: Godot 3 accepts it, and so do we.
          expect(decodeVariantGodot3(part, fx.objects === true).value, `${fx.name} cut ${cut}`).toEqual(fx.value);
          continue;
        }
        const err = failsCleanly(part, `${fx.name} cut ${cut}`, fx.objects === true);
        expect([GErr.ERR_INVALID_DATA, GErr.ERR_FILE_EOF], `${fx.name} cut ${cut}`).toContain(err);
        expect(bytes_to_var_godot3(part)).toBeNull();
        cuts++;
      }
    }
    // Every cut below acceptsFrom was checked (783 of them).
    expect(cuts).toBe(fixtures.reduce((n, fx) => n + (fx.acceptsFrom ?? hex(fx.bytes).length), 0));
    // And a nested value: every cut of it fails too.
    const nested = var_to_bytes_godot3({ list: [1, "two", new Vector3(1, 2, 3), 2 ** 40, 0.1], bytes: new Uint8Array([1, 2, 3, 4, 5]),
      path: new NodePath("/a/b:c"), names: new PackedStringArray(["héllo", ""]), s: "héllo" });
    for (let cut = 0; cut < nested.length; cut++) {
      const err = failsCleanly(nested.subarray(0, cut), `nested cut ${cut}`);
      expect([GErr.ERR_INVALID_DATA, GErr.ERR_FILE_EOF]).toContain(err);
    }
  });

  it("a truncated string body is ERR_FILE_EOF, its missing padding too", () => {
    expect(decodeVariantGodot3(hex("04 00 00 00  10 00 00 00  61 62")).error).toBe(GErr.ERR_FILE_EOF);
    expect(decodeVariantGodot3(hex("04 00 00 00  02 00 00 00  68 69")).error).toBe(GErr.ERR_FILE_EOF);
    expect(decodeVariantGodot3(hex("04 00 00 00  02 00 00 00  68 69 00")).error).toBe(GErr.ERR_FILE_EOF);
    expect(decodeVariantGodot3(hex("04 00 00 00  02 00")).error).toBe(GErr.ERR_INVALID_DATA);  // no length word
  });

  it("bad type ids: 27 (VARIANT_MAX) and above, every one of them", () => {
    for (let id = 27; id < 256; id++) {
      const b = new Uint8Array([id, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
      expect(failsCleanly(b, `id ${id}`)).toBe(GErr.ERR_INVALID_DATA);
    }
    expect(decodeVariantGodot3(new Uint8Array(0)).error).toBe(GErr.ERR_INVALID_DATA);
    expect(decodeVariantGodot3("nope" as unknown as Uint8Array).error).toBe(GErr.ERR_INVALID_PARAMETER);
  });

  it("huge counts fail before anything is allocated", () => {
    const huge: Array<[string, string, boolean?]> = [
      ["Array", "13 00 00 00  FF FF FF 7F"],
      ["Array (shared bit + huge)", "13 00 00 00  FF FF FF FF"],
      ["Dictionary", "12 00 00 00  FF FF FF 7F"],
      ["PoolByteArray", "14 00 00 00  FF FF FF FF"],
      ["PoolByteArray count 5 of 4", "14 00 00 00  05 00 00 00  01 02 03 04"],
      ["PoolIntArray (count * 4 overflows int32)", "15 00 00 00  00 00 00 40"],
      ["PoolIntArray", "15 00 00 00  FF FF FF 3F"],
      ["PoolRealArray", "16 00 00 00  FF FF FF FF"],
      ["PoolStringArray", "17 00 00 00  FF FF FF 7F"],
      ["PoolStringArray (negative as int32)", "17 00 00 00  FF FF FF FF"],
      ["PoolVector2Array", "18 00 00 00  FF FF FF 0F"],
      ["PoolVector3Array", "19 00 00 00  FF FF FF 0F"],
      ["PoolColorArray", "1A 00 00 00  FF FF FF 0F"],
      ["NodePath names", "0F 00 00 00  FF FF FF FF  00 00 00 00  00 00 00 00"],
      ["NodePath subnames", "0F 00 00 00  00 00 00 80  FF FF FF FF  02 00 00 00"],
      ["Object properties", "11 00 00 00  01 00 00 00 41 00 00 00  FF FF FF 7F", true],
    ];
    for (const [name, bytes, allow] of huge) {
      const t = performance.now();
      expect(failsCleanly(hex(bytes), name, allow === true), name).toBe(GErr.ERR_INVALID_DATA);
      expect(performance.now() - t, name).toBeLessThan(250);  // an allocation from the count would take far longer, or throw
    }
    // String lengths: ERR_FILE_EOF, as Godot's _decode_string.
    expect(failsCleanly(hex("04 00 00 00  FF FF FF 7F  61 00 00 00"), "String 2^31-1")).toBe(GErr.ERR_FILE_EOF);
    expect(failsCleanly(hex("04 00 00 00  FF FF FF FF  61 00 00 00"), "String -1")).toBe(GErr.ERR_FILE_EOF);
  });

  it("the old NodePath format and objects without permission", () => {
    expect(failsCleanly(hex("0F 00 00 00  01 00 00 00  61 00 00 00"), "old NodePath")).toBe(GErr.ERR_INVALID_DATA);
    expect(failsCleanly(hex("11 00 00 00  04 00 00 00 4E 6F 64 65  00 00 00 00"), "object")).toBe(GErr.ERR_UNAUTHORIZED);
    expect(failsCleanly(hex("13 00 00 00  01 00 00 00  11 00 00 00  00 00 00 00"), "nested object")).toBe(GErr.ERR_UNAUTHORIZED);
  });

  it("bad UTF-8, wherever a string is", () => {
    const bad = ["C3 28", "C0 80" /* 2-byte overlong, Godot 3 rejects it */, "80 61", "E2 82", "FF 61", "ED A0 80" /* surrogate */,
      "F8 88 80 80 80" /* 5-byte form */];
    for (const b of bad) {
      const body = hex(b);
      const len = body.length;
      const pad = (4 - (len % 4)) % 4;
      const str = [len, 0, 0, 0, ...body, ...new Array(pad).fill(0)];
      const where: Array<[string, number[]]> = [
        ["String", [4, 0, 0, 0, ...str]],
        ["Dictionary key", [0x12, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, ...str, 0, 0, 0, 0]],
        ["NodePath name", [0x0f, 0, 0, 0, 1, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, ...str]],
        ["Array element", [0x13, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, ...str]],
      ];
      for (const [name, bytes] of where) expect(failsCleanly(new Uint8Array(bytes), `${name} ${b}`)).toBe(GErr.ERR_INVALID_DATA);
      // PoolStringArray elements carry their NUL in the length.
      const withNul = [...body, 0];
      const pad2 = (4 - (withNul.length % 4)) % 4;
      const psa = [0x17, 0, 0, 0, 1, 0, 0, 0, withNul.length, 0, 0, 0, ...withNul, ...new Array(pad2).fill(0)];
      expect(failsCleanly(new Uint8Array(psa), `PoolStringArray ${b}`)).toBe(GErr.ERR_INVALID_DATA);
    }
  });

  it("nesting: 1024 levels decode, 1025 are ERR_OUT_OF_MEMORY", () => {
    const nested = (arrays: number) => {
      const b = new Uint8Array(arrays * 8 + 4);  // each level: ARRAY header, count 1; then a NIL
      const dv = new DataView(b.buffer);
      for (let i = 0; i < arrays; i++) {
        dv.setUint32(i * 8, VariantType3.ARRAY, true);
        dv.setUint32(i * 8 + 4, 1, true);
      }
      return b;
    };
    expect(decodeVariantGodot3(nested(1024)).error).toBe(GErr.OK);
    expect(failsCleanly(nested(1025), "1025 arrays")).toBe(GErr.ERR_OUT_OF_MEMORY);
    expect(failsCleanly(nested(100000), "100000 arrays")).toBe(GErr.ERR_OUT_OF_MEMORY);
    // Dictionaries nest through their values.
    const dict = new Uint8Array(2000 * 12 + 4);
    const dv = new DataView(dict.buffer);
    for (let i = 0; i < 2000; i++) {
      dv.setUint32(i * 12, VariantType3.DICTIONARY, true);
      dv.setUint32(i * 12 + 4, 1, true);
      dv.setUint32(i * 12 + 8, VariantType3.NIL, true);  // key null, value: the next level
    }
    expect(failsCleanly(dict, "2000 dictionaries")).toBe(GErr.ERR_OUT_OF_MEMORY);
  });

  it("trailing bytes after the first value are ignored (get_var)", () => {
    const b = new Uint8Array([...var_to_bytes_godot3(7), 1, 2, 3]);
    expect(bytes_to_var_godot3(b)).toBe(7);
    expect(decodeVariantGodot3(b).length).toBe(8);
  });

  it("5,000 random inputs never throw", () => {
    let seed = 424242;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 5000; i++) {
      const b = new Uint8Array(4 + (i % 96));
      for (let j = 0; j < b.length; j++) b[j] = rnd();
      b[0] = b[0]! % 28;  // mostly valid ids, so every payload parser runs
      if (i % 2) b[2] = 0;  // half of them without flags
      // Small counts now and then, so containers recurse into the random rest.
      if (i % 3 === 0 && b.length >= 8) (b[5] = 0), (b[6] = 0), (b[7] = 0), (b[4] = b[4]! % 4);
      expect(() => decodeVariantGodot3(b, i % 2 === 0)).not.toThrow();
      expect(() => decodeVariantGodot3(b, i % 2 === 0, { keepTypes: true })).not.toThrow();
    }
  });
});

describe("put_var / get_var speak Godot 3 on request", () => {
  let logs: string[] = [];
  beforeEach(() => {
    logs = [];
    set_log_sink((level, m) => logs.push(`${level}: ${m}`));
    WebRTCPeerConnection.set_default_extension("LoopbackPeerConnection");
  });
  afterEach(() => {
    wasmrtc_set_variant_encoding("godot4");
    set_log_sink(null);
  });

  function openPair() {
    const p1 = new WebRTCPeerConnection();
    const p2 = new WebRTCPeerConnection();
    p1.session_description_created.connect((t, s) => {
      p1.set_local_description(t, s);
      p2.set_remote_description(t, s);
    });
    p2.session_description_created.connect((t, s) => {
      p2.set_local_description(t, s);
      p1.set_remote_description(t, s);
    });
    p1.ice_candidate_created.connect((m, i, n) => p2.add_ice_candidate(m, i, n));
    p2.ice_candidate_created.connect((m, i, n) => p1.add_ice_candidate(m, i, n));
    const a = p1.create_data_channel("vars", { negotiated: true, id: 5 })!;
    const b = p2.create_data_channel("vars", { negotiated: true, id: 5 })!;
    p1.create_offer();
    for (let i = 0; i < 10; i++) (p1.poll(), p2.poll());
    expect(p1).toBeInstanceOf(LoopbackPeerConnection);
    expect(a.get_ready_state()).toBe(api.WebRTCDataChannel.STATE_OPEN);
    expect(b.get_ready_state()).toBe(api.WebRTCDataChannel.STATE_OPEN);
    return { p1, p2, a, b };
  }

  it('both ends on godot3 exchange {"a": 1}; the wire carries 12 00 00 00 …', () => {
    const { p1, p2, a, b } = openPair();
    a.wasmrtc_variant_encoding = "godot3";
    b.wasmrtc_variant_encoding = "godot3";
    expect(a.wasmrtc_variant_encoding).toBe("godot3");
    expect(a.put_var({ a: 1 })).toBe(GErr.OK);
    expect(a.put_var({ a: 1 })).toBe(GErr.OK);
    p2.poll();
    const wire = b.get_packet();
    expect(toHex(wire.subarray(0, 4))).toBe("12 00 00 00");
    expect(toHex(wire)).toBe(toHex(hex("12 00 00 00  01 00 00 00  04 00 00 00 01 00 00 00 61 00 00 00  02 00 00 00 01 00 00 00")));
    expect(b.get_var()).toEqual({ a: 1 });
    // And back, with more types.
    const v = { pos: new Vector3(1, 2, 3), names: new PackedStringArray(["x"]), big: 2 ** 40, f: 0.1, n: float(5) };
    expect(b.put_var(v)).toBe(GErr.OK);
    p1.poll();
    expect(a.get_var()).toEqual({ ...v, n: 5 });
    expect(logs).toEqual([]);
  });

  it("the default stays Godot 4 (1B 00 00 00 …)", () => {
    const { p2, a, b } = openPair();
    expect(wasmrtc_get_variant_encoding()).toBe("godot4");
    expect(a.wasmrtc_variant_encoding).toBe("godot4");
    a.put_var({ a: 1 });
    p2.poll();
    expect(toHex(b.get_packet().subarray(0, 4))).toBe("1B 00 00 00");
  });

  it("the process default applies to channels without their own choice; a channel's choice wins", () => {
    const { p1, p2, a, b } = openPair();
    expect(api.wasmrtc_set_variant_encoding("godot3")).toBe(GErr.OK);  // exported next to var_to_bytes
    expect(api.wasmrtc_get_variant_encoding()).toBe("godot3");
    expect(a.wasmrtc_variant_encoding).toBe("godot3");
    a.put_var([1]);
    p2.poll();
    expect(toHex(b.get_packet().subarray(0, 4))).toBe("13 00 00 00");  // 3.x ARRAY
    b.wasmrtc_variant_encoding = "godot4";
    b.put_var([1]);
    p1.poll();
    expect(toHex(a.get_packet().subarray(0, 4))).toBe("1C 00 00 00");  // 4.x ARRAY
    b.wasmrtc_variant_encoding = null;  // back to the process default
    expect(b.wasmrtc_variant_encoding).toBe("godot3");
    wasmrtc_set_variant_encoding("godot4");
    expect(a.wasmrtc_variant_encoding).toBe("godot4");
  });

  it("invalid choices are refused with a message and change nothing", () => {
    const { a } = openPair();
    expect(wasmrtc_set_variant_encoding("godot2")).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(wasmrtc_set_variant_encoding(3)).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(wasmrtc_get_variant_encoding()).toBe("godot4");
    a.wasmrtc_variant_encoding = "godot3";
    a.wasmrtc_variant_encoding = "Godot3" as unknown as "godot3";
    expect(a.wasmrtc_variant_encoding).toBe("godot3");
    expect(logs.filter((l) => /must be "godot4"/.test(l))).toHaveLength(3);
  });

  it("a Godot 4-only value on a godot3 channel: put_var returns the encoder's error, naming the type; nothing is sent", () => {
    const { p2, a, b } = openPair();
    a.wasmrtc_variant_encoding = "godot3";
    expect(a.put_var(new Vector2i(1, 2))).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(a.put_var({ id: new StringName("x") })).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(logs.some((l) => /put_var: the value cannot be encoded .*Vector2i.*Godot 3 encoding/.test(l))).toBe(true);
    expect(logs.some((l) => /StringName/.test(l))).toBe(true);
    p2.poll();
    expect(b.get_available_packet_count()).toBe(0);
    // encode_buffer_max_size applies to Godot 3's bytes too.
    a.encode_buffer_max_size = 1024;
    expect(a.put_var(new Uint8Array(2000))).toBe(GErr.ERR_OUT_OF_MEMORY);
  });

  it("mismatched ends: Godot 3 bytes read as Godot 4 are null + a message (the issue), and the reverse", () => {
    const { p1, p2, a, b } = openPair();
    a.wasmrtc_variant_encoding = "godot3";
    a.put_var({ a: 1 });
    p2.poll();
    expect(b.get_var()).toBeNull();
    expect(logs.some((l) => /get_var: malformed Variant/.test(l))).toBe(true);
    b.put_var({ a: true });
    p1.poll();
    logs = [];
    expect(a.get_var()).toBeNull();
    expect(logs.some((l) => /malformed Variant \(error 30, Godot 3 encoding\)/.test(l))).toBe(true);
  });

  it("objects on a godot3 channel need allow_objects, as on Godot 4", () => {
    const { p2, a, b } = openPair();
    a.wasmrtc_variant_encoding = "godot3";
    b.wasmrtc_variant_encoding = "godot3";
    const o = new GodotObject("Node", new Map<string, unknown>([["x", 1]]));
    expect(a.put_var(o)).toBe(GErr.ERR_INVALID_PARAMETER);
    expect(a.put_var(o, true)).toBe(GErr.OK);
    expect(a.put_var(o, true)).toBe(GErr.OK);
    p2.poll();
    expect(b.get_var()).toBeNull();
    expect(b.get_var(true)).toEqual(o);
  });
});
