// Browser entry point: no node: modules.
export * from "./common.js";
