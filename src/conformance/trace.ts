// A scenario's trace: every event and state change with its virtual time, and
// every datagram's fate with its length and a hash of its bytes. The digest
// (SHA-256 of the lines) is what must be identical in every runtime.
import { sha256 } from "@noble/hashes/sha2";

/** FNV-1a, 32 bits: cheap, and the same in every JavaScript engine. */
export function fnv1a(data: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i]!, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

export class Trace {
  private readonly hash = sha256.create();
  private readonly encoder = new TextEncoder();
  readonly lines: string[] | null;
  count = 0;
  datagrams = 0;

  constructor(private readonly now: () => number, keepLines = false) {
    this.lines = keepLines ? [] : null;
  }

  /** Time in milliseconds with microsecond resolution: what the engine itself sees. */
  private stamp(): string {
    return this.now().toFixed(3);
  }

  add(line: string): void {
    const l = `${this.stamp()} ${line}\n`;
    this.hash.update(this.encoder.encode(l));
    this.lines?.push(l);
    this.count++;
  }

  datagram(kind: string, from: string, to: string, data: Uint8Array): void {
    this.datagrams++;
    this.add(`net ${kind} ${from}>${to} ${data.length} ${fnv1a(data)}`);
  }

  digest(): string {
    return hex(this.hash.digest());
  }
}

/** The run's digest: SHA-256 over each scenario's name and digest, in order. */
export function combineDigests(parts: Array<{ name: string; digest: string }>): string {
  const h = sha256.create();
  const enc = new TextEncoder();
  for (const p of parts) h.update(enc.encode(`${p.name} ${p.digest}\n`));
  return hex(h.digest());
}
