/** One JSON object per line, so CloudWatch Logs Insights can filter on any field. */
export type Logger = (message: string, fields?: Record<string, unknown>) => void;

export function jsonLogger(base: Record<string, unknown>, write: (line: string) => void = console.log): Logger {
  return (message, fields) => {
    write(JSON.stringify({ ...base, message, ...fields }));
  };
}

/** For callers (and tests) that do not care about logs. */
export const silentLogger: Logger = () => {};

/** Log fields for an error: its type, its Node error code (network failures) and its message. */
export function errorFields(err: unknown): Record<string, unknown> {
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as { name?: string; code?: string; message?: string };
  return { error: e.name ?? 'Error', ...(e.code ? { code: e.code } : {}), detail: e.message };
}
