// Seeing inside with Wireshark's own tools (Debian's tshark): two engine peers
// over UDP on 127.0.0.1, one of them capturing every datagram to a pcapng file
// and the engine writing NSS key log lines. tshark must read the capture (STUN,
// DTLS, each datagram's direction), decrypt the DTLS records with the key log,
// and — the decrypted payloads re-wrapped as SCTP with text2pcap — show the
// SCTP association, the DCEP DATA_CHANNEL_OPEN with its label and protocol,
// and the message we sent.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { WebRTCDataChannel, WebRTCPeerConnection, createPcapngFileCapture, loadNodeEngineSync } from "../../src/index.js";
import { PcapngRecorder } from "../../src/debug/pcapng.js";

const haveTshark = spawnSync("sh", ["-c", "command -v tshark && command -v text2pcap"]).status === 0;
const dir = mkdtempSync(join(tmpdir(), "wasmrtc-capture-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tshark = (args: string[]) => execFileSync("tshark", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });

async function connectAndSend(capture: { datagram: (...a: never[]) => void }) {
  const a = new WebRTCPeerConnection();
  const b = new WebRTCPeerConnection();
  a.initialize({ wasmrtc: { bind: ["127.0.0.1"], capture } });
  b.initialize({ wasmrtc: { bind: ["127.0.0.1"] } });
  a.session_description_created.connect((t, s) => { a.set_local_description(t, s); b.set_remote_description(t, s); });
  b.session_description_created.connect((t, s) => { b.set_local_description(t, s); a.set_remote_description(t, s); });
  a.ice_candidate_created.connect((m, i, c) => b.add_ice_candidate(m, i, c));
  b.ice_candidate_created.connect((m, i, c) => a.add_ice_candidate(m, i, c));
  const ch = a.create_data_channel("captured-label", { protocol: "proto-x" })!;
  let got = "";
  b.data_channel_received.connect((c) => {
    const poll = setInterval(() => {
      if (c.get_available_packet_count() > 0) got = new TextDecoder().decode(c.get_packet());
      if (got) clearInterval(poll);
    }, 2);
  });
  a.create_offer();
  const pump = async (done: () => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (!done() && Date.now() < end) {
      a.poll();
      b.poll();
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  await pump(() => ch.get_ready_state() === WebRTCDataChannel.STATE_OPEN, 5000);
  ch.write_mode = WebRTCDataChannel.WRITE_MODE_TEXT;
  ch.put_packet(new TextEncoder().encode("hello wireshark"));
  await pump(() => got !== "", 3000);
  a.close();
  b.close();
  await new Promise((r) => setTimeout(r, 50));  // the close_notify leaves with the socket's last sends
  return got;
}

describe.runIf(haveTshark)("packet capture and key log, read by tshark", () => {
  it("tshark decrypts the DTLS of a capture with our key log and shows SCTP and DCEP inside", async () => {
    const keys: string[] = [];
    const engine = loadNodeEngineSync();
    engine.setKeyLog((line) => keys.push(line));
    const pcap = join(dir, "a.pcapng");
    const cap = createPcapngFileCapture(pcap);
    let got: string;
    try {
      got = await connectAndSend(cap);
    } finally {
      cap.close();
      engine.setKeyLog(null);
    }
    expect(got).toBe("hello wireshark");
    // One line per side of the one handshake: the same client random and master secret.
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/);
    expect(keys[1]).toBe(keys[0]);
    const keyFile = join(dir, "keys.txt");
    writeFileSync(keyFile, keys.join("\n") + "\n");

    // The capture itself: STUN first, each frame with its direction.
    const frames = tshark(["-r", pcap, "-T", "fields", "-e", "frame.packet_flags_direction", "-e", "_ws.col.Protocol", "-e", "udp.srcport"]).trim().split("\n");
    expect(frames.length).toBe(cap.packets);
    expect(frames[0]).toMatch(/\tSTUN\t/);
    const dirs = new Set(frames.map((f) => f.split("\t")[0]));
    expect(dirs).toEqual(new Set(["0x00000001", "0x00000002"]));  // inbound and outbound
    const port = frames.map((f) => f.split("\t")[2]).find((p) => p)!;

    // DTLS, decrypted with the key log: the close_notify alert and the application data's plaintext.
    const dtls = ["-r", pcap, "-o", `tls.keylog_file:${keyFile}`, "-d", `udp.port==${port},dtls`];
    expect(tshark(dtls)).toMatch(/Alert \(Level: Warning, Description: Close Notify\)/);
    const without = tshark(["-r", pcap, "-d", `udp.port==${port},dtls`, "-Y", "dtls.record.content_type == 23", "-T", "fields", "-e", "data.data"]);
    expect(without.trim()).toBe("");  // no key log, no plaintext
    const plain = tshark([...dtls, "-Y", "dtls.record.content_type == 23", "-T", "fields", "-e", "data.data"])
      .trim().split("\n").map((l) => l.split(",")[0]!).filter(Boolean);
    expect(plain.length).toBeGreaterThan(5);
    for (const p of plain) expect(p.slice(0, 8)).toBe("13881388");  // SCTP common header: ports 5000 → 5000

    // Wireshark 4.0 does not hand DTLS application data to SCTP by itself: re-wrap the plaintext as SCTP over IP.
    const hexdump = plain.map((h) => `000000 ${h.match(/../g)!.join(" ")}\n`).join("");
    writeFileSync(join(dir, "sctp.txt"), hexdump);
    execFileSync("text2pcap", ["-q", "-i", "132", join(dir, "sctp.txt"), join(dir, "sctp.pcap")]);
    const sctp = tshark(["-r", join(dir, "sctp.pcap")]);
    for (const chunk of ["INIT", "INIT_ACK", "COOKIE_ECHO", "COOKIE_ACK", "DATA_CHANNEL_OPEN_REQUEST", "DATA_CHANNEL_ACK"]) expect(sctp).toContain(chunk);
    expect(tshark(["-r", join(dir, "sctp.pcap"), "-Y", "rtcdc", "-T", "fields", "-e", "rtcdc.label", "-e", "rtcdc.protocol"])).toContain("captured-label\tproto-x");
    const text = tshark(["-r", join(dir, "sctp.pcap"), "-Y", "sctp.data_payload_proto_id == 51", "-T", "fields", "-e", "data.data"]);
    expect(text).toContain(Buffer.from("hello wireshark").toString("hex"));
  }, 30000);

  it("an in-memory capture (pages, workers) is a pcapng file tshark reads", async () => {
    const rec = new PcapngRecorder();
    expect(await connectAndSend(rec)).toBe("hello wireshark");
    const file = join(dir, "mem.pcapng");
    writeFileSync(file, rec.bytes());
    const lines = tshark(["-r", file]).trim().split("\n");
    expect(lines.length).toBe(rec.packets);
    expect(lines[0]).toMatch(/STUN/);
    expect(readFileSync(file).subarray(0, 4).toString("hex")).toBe("0a0d0d0a");  // a section header block
  }, 30000);
});
