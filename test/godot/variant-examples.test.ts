// Godot 4 Variant encoding: the spec's worked examples byte-exact (§6.4), round
// trips of every supported type, and malformed input that must never throw.
import { describe, expect, it } from "vitest";
import {
  AABB, Basis, Color, EncodedObjectAsID, GodotFloat, GodotInt, GodotObject, NodePath, PackedColorArray,
  PackedStringArray, PackedVector2Array, PackedVector3Array, PackedVector4Array, Plane, Projection, Quaternion, RID,
  Rect2, Rect2i, StringName, Transform2D, Transform3D, Vector2, Vector2i, Vector3, Vector3i, Vector4, Vector4i,
  bytes_to_var, bytes_to_var_with_objects, decodeVariant, encodeVariant, float, int, var_to_bytes,
  var_to_bytes_with_objects,
} from "../../src/godot/variant.js";
import { Error as GErr } from "../../src/godot/error.js";

const hex = (s: string) => new Uint8Array(s.replace(/\s+/g, "").match(/../g)!.map((b) => parseInt(b, 16)));
const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ").toUpperCase();

describe("§6.4 worked examples, byte-exact both ways", () => {
  const examples: Array<[string, unknown, string]> = [
    ["null", null, "00 00 00 00"],
    ["true", true, "01 00 00 00  01 00 00 00"],
    ["int 5", 5, "02 00 00 00  05 00 00 00"],
    ["int -1", -1, "02 00 00 00  FF FF FF FF"],
    ["int 2147483648", 2147483648, "02 00 01 00  00 00 00 80 00 00 00 00"],
    ["float 1.5", 1.5, "03 00 00 00  00 00 C0 3F"],
    ["float 0.1", 0.1, "03 00 01 00  9A 99 99 99 99 99 B9 3F"],
    ['String "hi"', "hi", "04 00 00 00  02 00 00 00  68 69 00 00"],
    ['String ""', "", "04 00 00 00  00 00 00 00"],
    ['[1, "a"]', [1, "a"], "1C 00 00 00  02 00 00 00  02 00 00 00 01 00 00 00  04 00 00 00 01 00 00 00 61 00 00 00"],
    ['{"a": true}', { a: true }, "1B 00 00 00  01 00 00 00  04 00 00 00 01 00 00 00 61 00 00 00  01 00 00 00 01 00 00 00"],
    ["PackedByteArray [1,2,3]", new Uint8Array([1, 2, 3]), "1D 00 00 00  03 00 00 00  01 02 03 00"],
    ["PackedInt32Array [1,-1]", new Int32Array([1, -1]), "1E 00 00 00  02 00 00 00  01 00 00 00  FF FF FF FF"],
    ['PackedStringArray ["ab"]', new PackedStringArray(["ab"]), "22 00 00 00  01 00 00 00  03 00 00 00  61 62 00 00"],
    ["Vector2 (1, 2)", new Vector2(1, 2), "05 00 00 00  00 00 80 3F  00 00 00 40"],
    ["Color (1, 0, 0, 1)", new Color(1, 0, 0, 1), "14 00 00 00  00 00 80 3F  00 00 00 00  00 00 00 00  00 00 80 3F"],
    ["int(5) vs float(5)", float(5), "03 00 00 00  00 00 A0 40"],
  ];
  for (const [name, value, bytes] of examples) {
    it(name, () => {
      expect(toHex(var_to_bytes(value))).toBe(toHex(hex(bytes)));
      const back = bytes_to_var(hex(bytes));
      if (value instanceof GodotFloat) expect(back).toBe(value.value);
      else expect(back).toEqual(value);
    });
  }
  it("an explicit int(5) encodes as an int", () => {
    expect(toHex(var_to_bytes(int(5)))).toBe(toHex(hex("02 00 00 00 05 00 00 00")));
  });
});

describe("round trips", () => {
  const values: unknown[] = [
    0, 2147483647, -2147483648, 2 ** 40, -(2 ** 52), 2n ** 63n - 1n, -(2n ** 63n), 3.25, -0.1, Infinity, -Infinity,
    "", "ünïcödé ✓ 🎮", "a\u0001b", [], [[], [[1]], { x: [2] }], {}, { nested: { deep: [1, 2, { k: "v" }] } },
    new Map<unknown, unknown>([[1, "one"], ["two", 2], [true, null]]),
    new Uint8Array(0), new Uint8Array([255, 0, 7, 1, 9]), new Int32Array([0, -5, 2 ** 31 - 1]),
    new BigInt64Array([0n, -(2n ** 63n), 2n ** 63n - 1n]), new Float32Array([1.5, -2]), new Float64Array([0.1, 1e300]),
    new PackedStringArray(["", "a", "ünï"]), new StringName("name"), new NodePath("/root/Main/Player:position:x"),
    new NodePath("relative/path"), new Vector2(0.5, -1), new Vector2i(-3, 4), new Rect2(1, 2, 3, 4), new Rect2i(1, -2, 3, 4),
    new Vector3(1, 2, 3), new Vector3i(1, 2, -3), new Transform2D(new Vector2(1, 2), new Vector2(3, 4), new Vector2(5, 6)),
    new Vector4(1, 2, 3, 4), new Vector4i(1, 2, 3, -4), new Plane(0, 1, 0, 2.5), new Quaternion(0, 0, 0, 1),
    new AABB(new Vector3(1, 2, 3), new Vector3(4, 5, 6)), new Basis(), new Transform3D(new Basis(), new Vector3(7, 8, 9)),
    new Projection(), new Color(0.25, 0.5, 0.75, 1), new RID(123n), new EncodedObjectAsID(99n),
    new PackedVector2Array([new Vector2(1, 2)]), new PackedVector3Array([new Vector3(1, 2, 3)]),
    new PackedColorArray([new Color(1, 0, 1, 0.5)]), new PackedVector4Array([new Vector4(1, 2, 3, 4)]),
  ];
  it("every supported type survives encode → decode", () => {
    for (const v of values) {
      const enc = encodeVariant(v);
      expect(enc.error, String(v)).toBe(GErr.OK);
      expect(enc.bytes!.length % 4).toBe(0);
      const dec = decodeVariant(enc.bytes!);
      expect(dec.error).toBe(GErr.OK);
      expect(dec.length).toBe(enc.bytes!.length);
      expect(dec.value).toEqual(v);
    }
  });

  it("NaN always takes the 64-bit form; keepTypes keeps int vs float", () => {
    const b = var_to_bytes(NaN);
    expect(toHex(b.subarray(0, 4))).toBe("03 00 01 00");
    expect(Number.isNaN(bytes_to_var(b) as number)).toBe(true);
    const typed = decodeVariant(var_to_bytes([int(2), float(2)]), false, { keepTypes: true }).value as unknown[];
    expect(typed[0]).toBeInstanceOf(GodotInt);
    expect(typed[1]).toBeInstanceOf(GodotFloat);
  });

  it("full objects need permission both ways", () => {
    const o = new GodotObject("Node2D", new Map<string, unknown>([["position", new Vector2(1, 2)]]));
    expect(encodeVariant(o).error).toBe(GErr.ERR_INVALID_PARAMETER);
    const b = var_to_bytes_with_objects(o);
    expect(decodeVariant(b).error).toBe(GErr.ERR_UNAUTHORIZED);
    expect(bytes_to_var_with_objects(b)).toEqual(o);
    expect(bytes_to_var(b)).toBeNull();
  });

  it("refuses what Godot cannot carry, without throwing", () => {
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    for (const bad of [() => 1, Symbol("s"), cyclic, new Uint16Array(2), new (class Foo {})(), int(1.5), int(2n ** 64n)]) {
      const r = encodeVariant(bad);
      expect(r.error).not.toBe(GErr.OK);
      expect(var_to_bytes(bad)).toEqual(new Uint8Array(0));
    }
    let deep: unknown = 1;
    for (let i = 0; i < 1100; i++) deep = [deep];
    expect(encodeVariant(deep).error).toBe(GErr.ERR_OUT_OF_MEMORY);
  });
});

describe("malformed input → the spec's errors, never a throw or a hang", () => {
  it("every truncation of a valid encoding fails cleanly", () => {
    const full = var_to_bytes({ list: [1, "two", new Vector3(1, 2, 3)], bytes: new Uint8Array([1, 2, 3, 4, 5]), s: "héllo" });
    for (let cut = 0; cut < full.length; cut++) {
      const r = decodeVariant(full.subarray(0, cut));
      expect(r.error, `cut ${cut}`).not.toBe(GErr.OK);
      expect([GErr.ERR_INVALID_DATA, GErr.ERR_FILE_EOF]).toContain(r.error);
      expect(bytes_to_var(full.subarray(0, cut))).toBeNull();
    }
  });

  it("bad type ids, huge counts, invalid UTF-8, the old NodePath format", () => {
    expect(decodeVariant(hex("27 00 00 00")).error).toBe(GErr.ERR_INVALID_DATA);  // 39 = VARIANT_MAX
    expect(decodeVariant(hex("FF 00 00 00")).error).toBe(GErr.ERR_INVALID_DATA);
    expect(decodeVariant(hex("1C 00 00 00 FF FF FF 7F")).error).toBe(GErr.ERR_INVALID_DATA);  // array count
    expect(decodeVariant(hex("1D 00 00 00 FF FF FF FF")).error).toBe(GErr.ERR_INVALID_DATA);  // byte array count
    expect(decodeVariant(hex("04 00 00 00 10 00 00 00 61 62")).error).toBe(GErr.ERR_FILE_EOF);  // string body short
    expect(decodeVariant(hex("04 00 00 00 02 00 00 00 C3 28 00 00")).error).toBe(GErr.ERR_INVALID_DATA);  // bad UTF-8
    expect(decodeVariant(hex("16 00 00 00 01 00 00 00 00 00 00 00")).error).toBe(GErr.ERR_INVALID_DATA);  // old NodePath
    expect(decodeVariant(new Uint8Array(0)).error).toBe(GErr.ERR_INVALID_DATA);
    expect(decodeVariant("nope" as unknown as Uint8Array).error).toBe(GErr.ERR_INVALID_PARAMETER);
  });

  it("nesting deeper than 1024 is ERR_OUT_OF_MEMORY", () => {
    const depth = 1025;
    const b = new Uint8Array(depth * 8 + 4);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < depth; i++) {
      dv.setUint32(i * 8, 28, true);
      dv.setUint32(i * 8 + 4, 1, true);
    }
    expect(decodeVariant(b).error).toBe(GErr.ERR_OUT_OF_MEMORY);
  });

  it("trailing bytes after the first value are ignored (get_var)", () => {
    const b = new Uint8Array([...var_to_bytes(7), 1, 2, 3]);
    expect(bytes_to_var(b)).toBe(7);
  });

  it("2,000 random inputs never throw", () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 2000; i++) {
      const b = new Uint8Array(4 + (i % 64));
      for (let j = 0; j < b.length; j++) b[j] = rnd();
      b[0] = b[0]! % 40;  // mostly valid type ids, so the payload parsers run
      b[1] = 0;
      expect(() => decodeVariant(b)).not.toThrow();
    }
  });
});
