// examples/godot-multiplayer/mesh.mjs runs as its comment says: three players
// join one lobby through the signaling server, form a mesh, and each hears the
// other two; the process exits by itself with 0.
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

describe("examples/godot-multiplayer", () => {
  it("three players mesh through the signaling server and greet each other", () => {
    const out = execFileSync(process.execPath, [resolve(__dirname, "../../examples/godot-multiplayer/mesh.mjs")], { encoding: "utf8", timeout: 45000 });
    expect(out).toMatch(/^lobby \w+ on ws:\/\/127\.0\.0\.1:\d+\/$/m);
    expect(out.match(/ got \{"hello":"from \w+"\} from peer \d+/g)).toHaveLength(6);
    expect(out).toContain("every player heard every other one");
  }, 50000);
});
