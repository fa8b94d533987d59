// Reads native/crypto/testdata/vectors.txt, shared with the C++ tests.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

export interface Vector {
  op: string;
  line: number;
  f: Record<string, string>;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));

export function loadVectors(): Vector[] {
  const text = readFileSync(resolve(__dirname, "../../native/crypto/testdata/vectors.txt"), "utf8");
  const out: Vector[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim() || line.startsWith("#")) return;
    const [op, ...kv] = line.trim().split(/\s+/);
    const f: Record<string, string> = {};
    for (const p of kv) {
      const eq = p.indexOf("=");
      f[p.slice(0, eq)] = p.slice(eq + 1);
    }
    out.push({ op: op!, line: i + 1, f });
  });
  return out;
}
