/**
 * The function is its own on-failure destination (an EventInvokeConfig, see
 * constructs/handler-provider.ts): when Lambda gives up on an asynchronous invocation (every
 * attempt failed, timed out or crashed, or the event grew too old), it invokes the function with an
 * invocation record. For a CloudFormation request, the handler then answers FAILED to the original
 * ResponseURL, so the stack fails in minutes instead of waiting an hour for an answer that would
 * never come. A scheduled reconciliation has nobody to answer: the record is only logged.
 *
 * The record (Lambda developer guide, "Capturing records of Lambda asynchronous invocations"):
 * `{ version, timestamp, requestContext: { requestId, functionArn, condition, approximateInvokeCount },
 *    requestPayload, responseContext: { statusCode, executedVersion, functionError }, responsePayload }`.
 */
import { CloudFormationEvent, fallbackPhysicalId, PutFunction, responseBody, sendResponse } from './response';
import type { Env } from '../../aws/drs/client';
import { jsonLogger } from '../../common/runtime/log';

export interface InvocationRecord {
  readonly requestContext: {
    readonly requestId?: string;
    readonly condition?: string;
    readonly approximateInvokeCount?: number;
  };
  readonly requestPayload: unknown;
  readonly responseContext?: { readonly functionError?: string };
  readonly responsePayload?: unknown;
}

const REQUEST_TYPES = ['Create', 'Update', 'Delete'];

export function isDestinationRecord(event: unknown): event is InvocationRecord {
  const e = event as Partial<InvocationRecord> | null;
  return typeof e === 'object' && e !== null && typeof e.requestContext === 'object' && e.requestContext !== null &&
    'requestPayload' in e && !('RequestType' in (e as object));
}

function isCloudFormationRequest(payload: unknown): payload is CloudFormationEvent {
  const p = payload as Partial<CloudFormationEvent> | null;
  return typeof p === 'object' && p !== null && typeof p.ResponseURL === 'string' && typeof p.RequestId === 'string' &&
    REQUEST_TYPES.includes(p.RequestType as string);
}

/** What the last attempt said, when Lambda passed it on (an error's type and message). */
function lastError(record: InvocationRecord): string {
  const r = record.responsePayload as { errorType?: string; errorMessage?: string } | undefined;
  if (r && typeof r === 'object' && (r.errorType || r.errorMessage)) return `: ${[r.errorType, r.errorMessage].filter(Boolean).join(': ')}`;
  return record.responseContext?.functionError ? ` (${record.responseContext.functionError})` : '';
}

export interface AnswerOptions {
  readonly put?: PutFunction;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly write?: (line: string) => void;
  readonly env: Env;
  /** First pause between two attempts of the response PUT. @default RESPONSE_BASE_DELAY_MS */
  readonly responseRetryBaseDelayMs?: number;
}

/** Answers FAILED for the request a failed asynchronous invocation carried, if it was CloudFormation's. */
export async function answerFailedInvocation(
  record: InvocationRecord, context: { readonly logStreamName?: string }, options: AnswerOptions,
): Promise<void> {
  const request = record.requestPayload;
  const condition = record.requestContext.condition ?? 'unknown';
  const attempts = record.requestContext.approximateInvokeCount;
  if (!isCloudFormationRequest(request)) {
    jsonLogger({ requestType: 'DestinationRecord' }, options.write)('an asynchronous invocation failed for good; nobody to answer', {
      condition, attempts: attempts ?? null, payloadType: (request as { RequestType?: string } | null)?.RequestType ?? null,
    });
    return;
  }
  const log = jsonLogger({ requestType: request.RequestType, logicalId: request.LogicalResourceId }, options.write);
  const physicalResourceId = fallbackPhysicalId(request);
  const reason = `the handler's invocation for this request failed ${attempts ?? 'several'} time(s) and Lambda gave up (${condition})${lastError(record)}` +
    `; see the function's log${context.logStreamName ? ` (this answer from log stream ${context.logStreamName})` : ''}, then retry the deployment`;
  log('answering FAILED for a request whose invocations all failed', { condition, attempts: attempts ?? null, physicalResourceId });
  await sendResponse(request.ResponseURL, responseBody(request, { status: 'FAILED', physicalResourceId, reason }), {
    put: options.put, sleep: options.sleep, log, baseDelayMs: options.responseRetryBaseDelayMs,
  });
}
