// Joins a VirtualNetwork (running on the real clock) to real servers on
// 127.0.0.1: every virtual source address that talks to 127.0.0.1 gets its own
// real UDP socket, so a real server (coturn) sees distinct clients and its
// answers re-enter the virtual network through the NATs.
import { createSocket, type Socket } from "node:dgram";
import { addressKey, type NetAddress } from "../../src/net/address.js";
import type { VirtualNetwork } from "../../src/net/virtual.js";

export const gatewayStats = { out: new Map<number, number>(), inFrom: new Map<number, number>(), firstBytes: new Map<string, number>() };
export function attachLoopbackGateway(net: VirtualNetwork): () => void {
  const sockets = new Map<string, Socket>();
  net.externalRoute = (from, to, data) => {
    if (to.ip !== "127.0.0.1") return false;
    const key = addressKey(from);
    let s = sockets.get(key);
    if (!s) {
      s = createSocket({ type: "udp4", recvBufferSize: 1 << 20 });
      s.bind(0, "127.0.0.1");
      const virtualFrom: NetAddress = { ...from };
      s.on("message", (msg, rinfo) => {
        gatewayStats.inFrom.set(rinfo.port, (gatewayStats.inFrom.get(rinfo.port) ?? 0) + 1);
        const k = `in:${rinfo.port}:${msg[0]}:${msg[1]}`;
        gatewayStats.firstBytes.set(k, (gatewayStats.firstBytes.get(k) ?? 0) + 1);
        net.deliverFromOutside({ family: 4, ip: rinfo.address, port: rinfo.port }, virtualFrom, new Uint8Array(msg));
      });
      sockets.set(key, s);
    }
    gatewayStats.out.set(to.port, (gatewayStats.out.get(to.port) ?? 0) + 1);
    const k = `out:${to.port}:${data[0]}`;
    gatewayStats.firstBytes.set(k, (gatewayStats.firstBytes.get(k) ?? 0) + 1);
    s.send(data, to.port, to.ip);
    return true;
  };
  return () => {
    net.externalRoute = null;
    for (const s of sockets.values()) s.close();
    sockets.clear();
  };
}
