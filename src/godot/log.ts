// Godot's ERR_PRINT / WARN_PRINT: a message is logged, nothing is thrown.
// Tests and applications may install their own sink.
export type LogSink = (level: "error" | "warning", message: string) => void;

let sink: LogSink = (level, message) => {
  if (level === "error") console.error(`ERROR: ${message}`);
  else console.warn(`WARNING: ${message}`);
};

export function set_log_sink(s: LogSink | null): void {
  sink = s ?? ((level, message) => (level === "error" ? console.error(`ERROR: ${message}`) : console.warn(`WARNING: ${message}`)));
}

export function printError(message: string): void {
  sink("error", message);
}

export function printWarning(message: string): void {
  sink("warning", message);
}
