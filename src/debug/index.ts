// Seeing inside: packet captures (pcapng) and key logs for Wireshark. See docs/debugging.md.
export { PcapngRecorder, pcapngHeader, pcapngPacket, ipUdpPacket, type DatagramCapture, type Direction } from "./pcapng.js";
