// Types of build.mjs (plain JavaScript so bench/datachannel.mjs can use it too).
export declare const repoRoot: string;
export declare const ECHO_DIR: string;
export declare const GOCODE: string;
export declare const BUILD_DIR: string;
export declare function findGo(): { go: string; version: string } | null;
export declare function pionUnavailable(): string | null;
export declare function scanModules(root?: string): { found: Map<string, string>; missing: string[] };
export declare function ensurePionEcho(log?: (line: string) => void): string;
