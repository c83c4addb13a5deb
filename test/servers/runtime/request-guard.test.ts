import { CloudFormationClient, DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';
import {
  CreateExtendedSourceServerCommand, DescribeSourceServersCommand, DrsClient, ListExtensibleSourceServersCommand,
} from '@aws-sdk/client-drs';
import { mockClient } from 'aws-sdk-client-mock';
import { RECONCILE_METADATA_KEY, ResourceTypes } from '../../../src/contract';
import { CloudFormationEvent } from '../../../src/provider/runtime/response';
import { readScheduledRequest, stopReason } from '../../../src/servers/runtime/request-guard';
import { stagingAccountExtension } from '../../../src/servers/runtime/staging-account-extension';
import { extendedServer, FakeClock, lifecycleOptions, REGION, STACK_ID, STAGING, TARGET } from '../../support/handler-fixtures';

const cfn = mockClient(CloudFormationClient);
const drs = mockClient(DrsClient);
const cloudFormation = new CloudFormationClient({ region: REGION });
const client = new DrsClient({ region: REGION });
const LOGICAL_ID = 'Staging1';
const PHYSICAL_ID = `drs-staging-account-extension:${STAGING}`;
const STAGING_ARN = `arn:aws:drs:${REGION}:${STAGING}:source-server/s-11111111111100001`;
const detail = (status: string, metadata?: unknown) => ({
  StackResourceDetail: {
    LogicalResourceId: LOGICAL_ID,
    PhysicalResourceId: PHYSICAL_ID,
    ResourceType: ResourceTypes.STAGING_ACCOUNT_EXTENSION,
    ResourceStatus: status as any,
    LastUpdatedTimestamp: new Date(),
    ...(metadata ? { Metadata: JSON.stringify(metadata) } : {}),
  },
});
const scheduled = { RequestType: 'Reconcile', ResourceType: ResourceTypes.STAGING_ACCOUNT_EXTENSION, StackId: STACK_ID, LogicalResourceId: LOGICAL_ID } as any as CloudFormationEvent;
const reconcileProps = { [RECONCILE_METADATA_KEY]: { StagingAccountId: STAGING, Tags: { team: 'dr' } } };

beforeEach(() => {
  cfn.reset();
  drs.reset();
  drs.on(DescribeSourceServersCommand).resolves({ items: [] });
  drs.on(ListExtensibleSourceServersCommand).resolves({ items: [{ arn: STAGING_ARN, hostname: 'web-1', tags: {} }] });
  drs.on(CreateExtendedSourceServerCommand).resolves({ sourceServer: extendedServer({ from: STAGING_ARN }) });
});

let clock: FakeClock;
function run(e: CloudFormationEvent) {
  clock = new FakeClock();
  return stagingAccountExtension(e, { client, cloudFormation, env: { AWS_REGION: REGION }, invoke: async () => {} } as any,
    lifecycleOptions(clock), { invokedFunctionArn: `arn:aws:lambda:${REGION}:${TARGET}:function:f` });
}

describe('stopReason', () => {
  test.each([
    ['Reconcile', { exists: false }, 'no longer exists'],
    ['Reconcile', { exists: true, status: 'DELETE_IN_PROGRESS' }, 'being deleted'],
    ['Reconcile', { exists: true, status: 'UPDATE_IN_PROGRESS' }, 'in progress'],
    ['Create', { exists: true, status: 'CREATE_COMPLETE' }, 'no longer in progress'],
    ['Create', { exists: true, status: 'CREATE_FAILED' }, 'no longer in progress'],
    ['Update', { exists: true, status: 'DELETE_IN_PROGRESS' }, 'being deleted'],
  ])('%s on %j stops', (type, state, reason) => {
    expect(stopReason(type, state)).toContain(reason);
  });

  test.each([
    ['Reconcile', { exists: true, status: 'CREATE_COMPLETE' }],
    ['Reconcile', { exists: true, status: 'UPDATE_ROLLBACK_COMPLETE' }],
    ['Create', { exists: true, status: 'CREATE_IN_PROGRESS' }],
    ['Update', { exists: true, status: 'UPDATE_IN_PROGRESS' }],
    ['Delete', { exists: false }],
  ])('%s on %j goes on', (type, state) => {
    expect(stopReason(type, state)).toBeUndefined();
  });
});

describe('scheduled runs', () => {
  test('read the properties from the resolved Metadata and the physical id from CloudFormation', async () => {
    cfn.on(DescribeStackResourceCommand).resolves(detail('UPDATE_COMPLETE', reconcileProps));
    await expect(readScheduledRequest(cloudFormation, scheduled, RECONCILE_METADATA_KEY))
      .resolves.toEqual({ properties: reconcileProps[RECONCILE_METADATA_KEY], physicalResourceId: PHYSICAL_ID });
    const outcome = await run(scheduled);
    expect(outcome).toMatchObject({ physicalResourceId: PHYSICAL_ID, data: { ExtendedCount: '1' } });
    expect(drs.commandCalls(CreateExtendedSourceServerCommand)[0].args[0].input.tags).toMatchObject({ team: 'dr' });
    expect(cfn.commandCalls(DescribeStackResourceCommand)[0].args[0].input).toEqual({ StackName: STACK_ID, LogicalResourceId: LOGICAL_ID });
  });

  test.each(['DELETE_IN_PROGRESS', 'DELETE_COMPLETE', 'UPDATE_IN_PROGRESS'])('a resource in %s: no DRS call at all', async (status) => {
    cfn.on(DescribeStackResourceCommand).resolves(detail(status, reconcileProps));
    expect(await run(scheduled)).toMatchObject({ continued: true });
    expect(drs.calls()).toHaveLength(0);
  });

  test('a resource that is gone: no DRS call', async () => {
    cfn.on(DescribeStackResourceCommand).rejects(Object.assign(new Error(`Stack with id ${STACK_ID} does not exist`), { name: 'ValidationError' }));
    expect(await run(scheduled)).toMatchObject({ continued: true });
    expect(drs.calls()).toHaveLength(0);
  });

  test('a Delete starting between the read and the creates stops the run before any create', async () => {
    cfn.on(DescribeStackResourceCommand).resolvesOnce(detail('UPDATE_COMPLETE', reconcileProps)).resolves(detail('DELETE_IN_PROGRESS', reconcileProps));
    expect(await run(scheduled)).toMatchObject({ continued: true });
    expect(drs.commandCalls(CreateExtendedSourceServerCommand)).toHaveLength(0);
  });
});

describe('continuations of CloudFormation requests', () => {
  const continuation = (RequestType: 'Create' | 'Update') => ({
    RequestType,
    ResponseURL: 'https://x',
    StackId: STACK_ID,
    RequestId: 'req-1',
    LogicalResourceId: LOGICAL_ID,
    ResourceType: ResourceTypes.STAGING_ACCOUNT_EXTENSION,
    PhysicalResourceId: PHYSICAL_ID,
    ResourceProperties: { StagingAccountId: STAGING },
    Continuation: { invocation: 2, startedAt: new FakeClock().now(), extended: 0, pruned: 0 },
  }) as any as CloudFormationEvent;

  test('a duplicate continuation finds its request answered and exits without acting', async () => {
    cfn.on(DescribeStackResourceCommand).resolves(detail('CREATE_COMPLETE'));
    expect(await run(continuation('Create'))).toMatchObject({ continued: true });
    expect(drs.calls()).toHaveLength(0);
  });

  test('while the request is in progress it carries on', async () => {
    cfn.on(DescribeStackResourceCommand).resolves(detail('UPDATE_IN_PROGRESS'));
    expect(await run(continuation('Update'))).toMatchObject({ physicalResourceId: PHYSICAL_ID, data: { ExtendedCount: '1' } });
  });
});
