/**
 * EventBridge PutEvents for the report's one entry. The client is the SDK's, bundled like the
 * DRS client; its endpoint is the SDK's standard one (it honours AWS_ENDPOINT_URL_EVENTBRIDGE).
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';

export { EventBridgeClient };
import type { Env } from '../drs/client';

export interface EventEntry {
  readonly source: string;
  readonly detailType: string;
  readonly detail: unknown;
  readonly eventBusName: string;
}

/** A rejected entry, named so `withRetry` retries EventBridge's per-entry throttling. */
export class PutEventsError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** One attempt per call (retries are withRetry's) and bounded timeouts, like the DRS client. */
export function createEventBridgeClient(env: Env): EventBridgeClient {
  return new EventBridgeClient({
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 10_000 },
  });
}

/** Puts one event and returns its id; throws when the call or the entry failed. */
export async function putEvent(client: EventBridgeClient, entry: EventEntry): Promise<string> {
  const r = await client.send(new PutEventsCommand({
    Entries: [{ Source: entry.source, DetailType: entry.detailType, Detail: JSON.stringify(entry.detail), EventBusName: entry.eventBusName }],
  }));
  const result = r.Entries?.[0];
  if ((r.FailedEntryCount ?? 0) > 0 || !result?.EventId) {
    const code = result?.ErrorCode ?? 'Unknown';
    throw new PutEventsError(code === 'ThrottlingException' ? 'ThrottlingException' : 'PutEventsEntryFailed',
      `PutEvents rejected the entry: ${code}: ${result?.ErrorMessage ?? ''}`);
  }
  return result.EventId;
}
