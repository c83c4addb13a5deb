/** One JSON object per line, so CloudWatch Logs Insights can filter on any field. */
export type Logger = (message: string, fields?: Record<string, unknown>) => void;

export function jsonLogger(base: Record<string, unknown>, write: (line: string) => void = console.log): Logger {
  return (message, fields) => {
    write(JSON.stringify({ ...base, message, ...fields }));
  };
}

/** For callers (and tests) that do not care about logs. */
export const silentLogger: Logger = () => {};
