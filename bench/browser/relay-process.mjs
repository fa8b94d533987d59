// The relay of `npm run bench:browser` in a process of its own, so that
// process.cpuUsage() here is the relay's CPU alone. createRelayServer from
// dist/index.js on 127.0.0.1, allowed to relay to 127.0.0.1, quotas lifted
// unless BENCH_RELAY_QUOTA=default (the defaults cap one allocation at 5,000
// datagrams/s and 5 MB/s, which would cap the page's throughput).
//
// IPC: { t: "cpu", id } -> { t: "cpu", id, cpu: process.cpuUsage(), stats }; { t: "exit" }.
import { pathToFileURL } from "node:url";

const w = await import(pathToFileURL(process.env.WASMRTC_DIST).href);
const unlimited = { datagramsPerSecond: Infinity, bytesPerSecond: Infinity };
const defaults = process.env.BENCH_RELAY_QUOTA === "default";
const relay = await w.createRelayServer({
  secret: process.env.BENCH_RELAY_SECRET,
  host: "127.0.0.1",
  port: 0,
  relayIp: "127.0.0.1",
  allow: ["127.0.0.1/32"],
  origins: ["*"],
  maxAllocationsPerUser: 1000,
  maxClientsPerIp: 1000,
  ...(defaults ? {} : { allocationQuota: unlimited, totalQuota: unlimited }),
});
process.on("message", async (m) => {
  if (m.t === "cpu") process.send({ t: "cpu", id: m.id, cpu: process.cpuUsage(), stats: relay.stats() });
  else if (m.t === "exit") {
    await Promise.race([relay.close(), new Promise((r) => setTimeout(r, 1000))]);
    process.exit(0);
  }
});
process.on("disconnect", () => process.exit(0));
process.send({ t: "ready", url: relay.url, quotas: defaults ? "default" : "unlimited" });
