// A pcapng capture written to a file as it happens (Node, Deno, Bun).
import { closeSync, openSync, writeSync } from "node:fs";
import type { NetAddress } from "../net/address.js";
import { pcapngHeader, pcapngPacket, type DatagramCapture, type Direction } from "./pcapng.js";

export interface PcapngFileCapture extends DatagramCapture {
  readonly path: string;
  packets: number;
  close(): void;
}

/**
 * Opens (truncates) `path` and writes every datagram to it, stamped with wall
 * time. Pass it as `initialize({ wasmrtc: { capture } })` or an endpoint's
 * `capture`, then open the file in Wireshark (with a key log: see docs/debugging.md).
 */
export function createPcapngFileCapture(path: string): PcapngFileCapture {
  const fd = openSync(path, "w");
  writeSync(fd, pcapngHeader());
  const offset = Date.now() - performance.now();  // the real clock's milliseconds → Unix time
  let open = true;
  return {
    path,
    packets: 0,
    datagram(direction: Direction, local: NetAddress, remote: NetAddress, data: Uint8Array, timeMs: number) {
      if (!open) return;
      writeSync(fd, pcapngPacket(direction, local, remote, data, (timeMs + offset) * 1000));
      this.packets++;
    },
    close() {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}
