// Demo: our STUN server and our STUN client, both the WebAssembly engine, over
// real UDP on 127.0.0.1. Grows into the data-channel demo.
import { createNodeEndpoint } from "../dist/index.js";

const rounds = Number(process.env.DEMO_ROUNDS ?? 20);
const server = await createNodeEndpoint({ bind: [{ ip: "127.0.0.1", port: 0 }], answerStun: true });
const client = await createNodeEndpoint({ bind: [{ ip: "127.0.0.1", port: 0 }] });
const target = server.sockets[0].local;
console.log(`STUN server (wasm engine) on ${target.ip}:${target.port}`);
const rtts = [];
for (let i = 0; i < rounds; i++) {
  const r = await client.stunBinding(target);
  if (!r.ok) {
    console.error("binding failed:", r.reason);
    process.exitCode = 1;
    break;
  }
  rtts.push(r.rttMs);
  process.stdout.write(`\rbinding ${i + 1}/${rounds}: mapped ${r.mapped.ip}:${r.mapped.port}, rtt ${r.rttMs.toFixed(3)} ms   `);
}
process.stdout.write("\n");
if (rtts.length) {
  rtts.sort((a, b) => a - b);
  const med = rtts[Math.floor(rtts.length / 2)];
  console.log(`round trip: median ${med.toFixed(3)} ms, min ${rtts[0].toFixed(3)} ms, max ${rtts[rtts.length - 1].toFixed(3)} ms`);
  console.log(`client socket ${client.sockets[0].local.ip}:${client.sockets[0].local.port} (mapped address must match)`);
}
client.close();
server.close();
