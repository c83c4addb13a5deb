import { DrsClient } from '@aws-sdk/client-drs';
import { ResourceTypes } from '../../../src/contract';
import { answerFailedInvocation, isDestinationRecord } from '../../../src/provider/runtime/destination';
import { runHandler } from '../../../src/provider/runtime/dispatch';
import { CloudFormationEvent } from '../../../src/provider/runtime/response';
import { FakeClock, LOGICAL_ID, REGION, STACK_ID } from '../../support/handler-fixtures';

const request: CloudFormationEvent = {
  RequestType: 'Create',
  ResponseURL: 'https://cloudformation-custom-resource-response.s3.amazonaws.com/x',
  StackId: STACK_ID,
  RequestId: 'req-1',
  LogicalResourceId: LOGICAL_ID,
  ResourceType: ResourceTypes.STAGING_ACCOUNT_EXTENSION,
  ResourceProperties: { StagingAccountId: '111111111111' },
};

const record = (payload: unknown) => ({
  version: '1.0',
  timestamp: '2026-01-01T00:00:00.000Z',
  requestContext: { requestId: 'r', functionArn: 'arn:aws:lambda:us-east-1:222222222222:function:f:$LATEST', condition: 'RetriesExhausted', approximateInvokeCount: 3 },
  requestPayload: payload,
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  responsePayload: { errorType: 'Runtime.ExitError', errorMessage: 'signal: killed' },
});

test('recognises Lambda invocation records, not CloudFormation events or scheduled ones', () => {
  expect(isDestinationRecord(record(request))).toBe(true);
  expect(isDestinationRecord(request)).toBe(false);
  expect(isDestinationRecord({ RequestType: 'Reconcile', StackId: STACK_ID })).toBe(false);
  expect(isDestinationRecord(null)).toBe(false);
});

test('answers FAILED to the original ResponseURL, with a failed-create id for a Create and the condition in the reason', async () => {
  const puts: Array<{ url: string; body: any }> = [];
  const clock = new FakeClock();
  await answerFailedInvocation(record(request), { logStreamName: 'stream-1' }, {
    env: {}, sleep: clock.sleep, write: () => {}, put: async (url, body) => { puts.push({ url, body: JSON.parse(body) }); },
  });
  expect(puts).toHaveLength(1);
  expect(puts[0].url).toBe(request.ResponseURL);
  expect(puts[0].body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'failed-create:req-1', RequestId: 'req-1', LogicalResourceId: LOGICAL_ID });
  expect(puts[0].body.Reason).toContain('failed 3 time(s) and Lambda gave up (RetriesExhausted): Runtime.ExitError: signal: killed');
});

test('an Update or Delete keeps its physical id', async () => {
  const puts: any[] = [];
  await answerFailedInvocation(record({ ...request, RequestType: 'Delete', PhysicalResourceId: 'drs-staging-account-extension:111111111111' }), {}, {
    env: {}, write: () => {}, put: async (_url, body) => { puts.push(JSON.parse(body)); },
  });
  expect(puts[0].PhysicalResourceId).toBe('drs-staging-account-extension:111111111111');
});

test('a failed scheduled run (or a record of a record) has nobody to answer: logged only', async () => {
  const put = jest.fn(async () => {});
  const lines: string[] = [];
  await answerFailedInvocation(record({ RequestType: 'Reconcile', StackId: STACK_ID }), {}, { env: {}, put, write: (l) => lines.push(l) });
  await answerFailedInvocation(record(record(request)), {}, { env: {}, put, write: (l) => lines.push(l) });
  expect(put).not.toHaveBeenCalled();
  expect(lines.map((l) => JSON.parse(l).message)).toEqual(['an asynchronous invocation failed for good; nobody to answer', 'an asynchronous invocation failed for good; nobody to answer']);
});

test('runHandler routes the record without touching DRS', async () => {
  const client = new DrsClient({ region: REGION });
  const send = jest.spyOn(client, 'send');
  const puts: string[] = [];
  await runHandler(record(request) as any, {}, { client, env: {}, write: () => {}, put: async (_u, b) => { puts.push(b); } });
  expect(send).not.toHaveBeenCalled();
  expect(JSON.parse(puts[0]).Status).toBe('FAILED');
});
