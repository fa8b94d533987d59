// A handle on one DTLS session inside an endpoint (native/dtls/dtls_endpoint.h),
// running directly over a socket path (no ICE): used for interop tests and
// benchmarks of the DTLS layer on its own.
export interface DtlsAbi {
  wr_dtls_new(h: number, socket: number, family: number, port: number, ip: number, cfg: number, len: number): number;
  wr_dtls_fingerprint(h: number, id: number, out: number, cap: number): number;
  wr_dtls_start(h: number, id: number, nowUs: number): number;
  wr_dtls_send(h: number, id: number, p: number, len: number): number;
  wr_dtls_close(h: number, id: number): number;
}

export interface DtlsHost {
  dtlsCommand<T>(fn: (abi: DtlsAbi, handle: number, nowUs: number) => T): T;
  writeBytes(b: Uint8Array): [number, number];
  forgetDtls(id: number): void;
}

export interface DtlsOptions {
  role: "client" | "server";
  remoteFingerprint?: string;
  verifyFingerprint?: boolean;
  mtu?: number;
  rtoMs?: number;
}

export class DtlsSessionHandle {
  onConnected?(info: { suite: number; group: number; remoteFingerprint: string }): void;
  onData?(data: Uint8Array): void;
  onClosed?(reason: string): void;
  onFailed?(reason: string): void;
  connected = false;
  closed = false;
  failure = "";
  suite = 0;
  group = 0;

  constructor(private readonly host: DtlsHost, readonly id: number, readonly fingerprint: string) {}

  start(): void {
    if (!this.closed) this.host.dtlsCommand((abi, h, now) => abi.wr_dtls_start(h, this.id, now));
  }

  send(data: Uint8Array): boolean {
    if (this.closed) return false;
    return this.host.dtlsCommand((abi, h) => {
      const [p, l] = this.host.writeBytes(data);
      return abi.wr_dtls_send(h, this.id, p, l) === 0;
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.dtlsCommand((abi, h) => abi.wr_dtls_close(h, this.id));
    this.host.forgetDtls(this.id);
  }
}
