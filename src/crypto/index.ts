// The portable crypto surface: the provider interface, the @noble provider and
// the CRC tables. NodeCryptoProvider lives in ./node.js and is exported only by
// the Node entry point (src/index.ts), so browser bundles never see node:crypto.
export * from "./provider.js";
export { NobleCryptoProvider } from "./noble.js";
export { crc32, crc32c } from "./crc.js";
