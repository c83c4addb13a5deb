import { CloudFormationClient, DescribeStackResourceCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { cloudFormationClientConfig } from '../../../src/aws/cloudformation/client';
import {
  describeStackResource, isBeingDeleted, listStackResources, MetadataError,
} from '../../../src/aws/cloudformation/stack-resources';

const STACK_ID = 'arn:aws:cloudformation:us-east-1:222222222222:stack/Target/11111111-2222-3333-4444-555555555555';
const cfn = mockClient(CloudFormationClient);
const client = new CloudFormationClient({ region: 'us-east-1' });

function validationError(message: string): Error {
  return Object.assign(new Error(message), { name: 'ValidationError', $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

beforeEach(() => cfn.reset());

describe('describeStackResource', () => {
  test('returns status, physical id and the parsed Metadata, asking for the stack by id', async () => {
    cfn.on(DescribeStackResourceCommand).resolves({
      StackResourceDetail: {
        LogicalResourceId: 'Ext',
        PhysicalResourceId: 'drs-staging-account:111111111111',
        ResourceType: 'Custom::X',
        ResourceStatus: 'UPDATE_COMPLETE',
        LastUpdatedTimestamp: new Date(),
        Metadata: '{"a":{"b":["1"]}}',
      },
    });
    await expect(describeStackResource(client, STACK_ID, 'Ext')).resolves.toEqual({
      exists: true, status: 'UPDATE_COMPLETE', physicalId: 'drs-staging-account:111111111111', type: 'Custom::X', metadata: { a: { b: ['1'] } },
    });
    expect(cfn.commandCalls(DescribeStackResourceCommand)[0].args[0].input).toEqual({ StackName: STACK_ID, LogicalResourceId: 'Ext' });
  });

  test('no Metadata is undefined', async () => {
    cfn.on(DescribeStackResourceCommand).resolves({
      StackResourceDetail: { LogicalResourceId: 'Ext', ResourceType: 'Custom::X', ResourceStatus: 'CREATE_IN_PROGRESS', LastUpdatedTimestamp: new Date() },
    });
    expect((await describeStackResource(client, STACK_ID, 'Ext')).metadata).toBeUndefined();
  });

  test.each([
    `Stack with id ${STACK_ID} does not exist`,
    'Resource Ext does not exist for stack Target',
  ])('"%s" means the resource does not exist', async (message) => {
    cfn.on(DescribeStackResourceCommand).rejects(validationError(message));
    await expect(describeStackResource(client, STACK_ID, 'Ext')).resolves.toEqual({ exists: false });
  });

  test('other errors pass through', async () => {
    cfn.on(DescribeStackResourceCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    await expect(describeStackResource(client, STACK_ID, 'Ext')).rejects.toThrow('denied');
    cfn.on(DescribeStackResourceCommand).rejects(validationError('1 validation error detected'));
    await expect(describeStackResource(client, STACK_ID, 'Ext')).rejects.toThrow('1 validation error');
  });

  test('Metadata that is not JSON is a MetadataError naming the resource', async () => {
    cfn.on(DescribeStackResourceCommand).resolves({
      StackResourceDetail: { LogicalResourceId: 'Ext', ResourceType: 'Custom::X', ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: new Date(), Metadata: '{' },
    });
    const err = await describeStackResource(client, STACK_ID, 'Ext').catch((e) => e);
    expect(err).toBeInstanceOf(MetadataError);
    expect(err.message).toContain('Ext');
  });
});

describe('listStackResources', () => {
  test('follows NextToken across pages', async () => {
    const row = (id: string) => ({ LogicalResourceId: id, PhysicalResourceId: `p-${id}`, ResourceType: 'T', ResourceStatus: 'CREATE_COMPLETE' as const, LastUpdatedTimestamp: new Date() });
    cfn.on(ListStackResourcesCommand, { StackName: STACK_ID, NextToken: undefined }).resolves({ StackResourceSummaries: [row('A'), row('B')], NextToken: 't1' })
      .on(ListStackResourcesCommand, { StackName: STACK_ID, NextToken: 't1' }).resolves({ StackResourceSummaries: [row('C')] });
    await expect(listStackResources(client, STACK_ID)).resolves.toEqual([
      { logicalId: 'A', physicalId: 'p-A', type: 'T', status: 'CREATE_COMPLETE' },
      { logicalId: 'B', physicalId: 'p-B', type: 'T', status: 'CREATE_COMPLETE' },
      { logicalId: 'C', physicalId: 'p-C', type: 'T', status: 'CREATE_COMPLETE' },
    ]);
  });

  test('a stack that does not exist has no resources', async () => {
    cfn.on(ListStackResourcesCommand).rejects(validationError(`Stack with id ${STACK_ID} does not exist`));
    await expect(listStackResources(client, STACK_ID)).resolves.toEqual([]);
  });
});

test('isBeingDeleted', () => {
  expect(['DELETE_IN_PROGRESS', 'DELETE_COMPLETE', 'DELETE_FAILED'].every(isBeingDeleted)).toBe(true);
  expect(['CREATE_COMPLETE', 'UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE', undefined].some(isBeingDeleted)).toBe(false);
});

test('client config: region from the environment, explicit timeouts, no endpoint of its own', () => {
  const config = cloudFormationClientConfig({ AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_CLOUDFORMATION: 'http://127.0.0.1:1' });
  expect(config).toEqual({ region: 'eu-west-1', maxAttempts: 3, requestHandler: { connectionTimeout: 5000, requestTimeout: 10000 } });
});
