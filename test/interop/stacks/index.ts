// One entry for every foreign stack.
import { chromiumStack } from "./chromium.js";
import { nodeStack } from "./node-stacks.js";
import { pionStack } from "./pion.js";
import type { RemoteStack, StackName } from "./types.js";

export * from "./types.js";
export { loadNodeRTC } from "./node-stacks.js";

export function openStack(name: StackName): Promise<RemoteStack> {
  if (name === "pion") return pionStack();
  return name === "chromium" ? chromiumStack() : nodeStack(name);
}
