/**
 * EventBridge PutEvents for one entry, over a SigV4-signed HTTPS request (see sigv4.ts for why
 * there is no client). The endpoint follows the SDKs' configuration: `AWS_ENDPOINT_URL_EVENTBRIDGE`,
 * else `AWS_ENDPOINT_URL`, else `https://events.<region>.<dnsSuffix>`.
 */
import { Credentials, sign } from './sigv4';
import type { Env } from '../drs/client';

export interface EventEntry {
  readonly source: string;
  readonly detailType: string;
  readonly detail: unknown;
  readonly eventBusName: string;
  readonly resources?: string[];
}

export interface PutEventsOptions {
  readonly env: Env;
  readonly fetch?: typeof fetch;
  readonly now?: () => Date;
  /** @default 10000 */
  readonly timeoutMs?: number;
}

/** An error shaped like the SDK's, so `withRetry` retries throttling and 5xx. */
export class PutEventsError extends Error {
  readonly $metadata: { readonly httpStatusCode?: number };
  constructor(name: string, message: string, status?: number) {
    super(message);
    this.name = name;
    this.$metadata = { httpStatusCode: status };
  }
}

export function eventsEndpoint(env: Env, region: string): string {
  const explicit = env.AWS_ENDPOINT_URL_EVENTBRIDGE ?? env.AWS_ENDPOINT_URL;
  if (explicit) return explicit;
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://events.${region}.${suffix}`;
}

export function credentialsFromEnv(env: Env): Credentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new Error('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (Lambda sets them from the function role)');
  return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
}

/** Puts one event; throws PutEventsError when the call or the entry failed. */
export async function putEvent(entry: EventEntry, options: PutEventsOptions): Promise<string> {
  const region = options.env.AWS_REGION ?? options.env.AWS_DEFAULT_REGION;
  if (!region) throw new Error('AWS_REGION must be set');
  const url = new URL(eventsEndpoint(options.env, region));
  const body = JSON.stringify({
    Entries: [{
      Source: entry.source,
      DetailType: entry.detailType,
      Detail: JSON.stringify(entry.detail),
      EventBusName: entry.eventBusName,
      ...(entry.resources ? { Resources: entry.resources } : {}),
    }],
  });
  const headers = sign({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
    body,
    region,
    service: 'events',
    credentials: credentialsFromEnv(options.env),
    date: (options.now ?? (() => new Date()))(),
  });
  const res = await (options.fetch ?? fetch)(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    // not JSON: reported below by status
  }
  if (!res.ok) {
    const type = String(json.__type ?? `HTTP${res.status}`).split('#').pop()!;
    throw new PutEventsError(type, `PutEvents failed: ${String(json.message ?? json.Message ?? text).slice(0, 500)}`, res.status);
  }
  const result = (json.Entries as Array<Record<string, string>> | undefined)?.[0];
  if (Number(json.FailedEntryCount ?? 0) > 0 || !result?.EventId) {
    const code = result?.ErrorCode ?? 'Unknown';
    // EventBridge's own throttling of one entry is retryable.
    const name = code === 'ThrottlingException' ? 'ThrottlingException' : 'PutEventsEntryFailed';
    throw new PutEventsError(name, `PutEvents rejected the entry: ${code}: ${result?.ErrorMessage ?? ''}`);
  }
  return result.EventId;
}
