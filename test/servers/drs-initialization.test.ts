import { DrsClient, InitializeServiceCommand } from '@aws-sdk/client-drs';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { DrsInitialization, ExtendedSourceServer } from '../../src';
import { ResourceTypes } from '../../src/contract';
import { handleEvent } from '../../src/provider/runtime/dispatch';
import { CloudFormationEvent } from '../../src/provider/runtime/response';

const ACCOUNT = '222222222222';
const REGION = 'us-east-1';

function stack(): Stack {
  return new Stack(new App(), 'Target', { env: { account: ACCOUNT, region: REGION } });
}

function policyStatements(template: Template): Array<Record<string, unknown>> {
  // The role's default policy; the other is the self-invoke policy every handler has.
  const all = template.findResources('AWS::IAM::Policy');
  const policies = Object.keys(all).filter((id) => !id.includes('SelfInvokePolicy')).map((id) => all[id]);
  expect(policies).toHaveLength(1);
  return policies[0].Properties.PolicyDocument.Statement;
}

describe('DrsInitialization', () => {
  test('one custom resource served by the stack handler, with no properties besides the token, deleted with the stack', () => {
    const s = stack();
    new DrsInitialization(s, 'Drs');
    const template = Template.fromStack(s);
    const fnId = Object.keys(template.findResources('AWS::Lambda::Function'))[0];
    expect(Object.values(template.findResources(ResourceTypes.SERVICE_INITIALIZATION))).toEqual([{
      Type: 'Custom::DrsServiceInitialization',
      Properties: { ServiceToken: { 'Fn::GetAtt': [fnId, 'Arn'] } },
      // Its first request already has the on-failure destination (see handler-provider.ts).
      DependsOn: [Object.keys(template.findResources('AWS::Lambda::EventInvokeConfig'))[0]],
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    }]);
  });

  test('the handler gets the three initialization statements, and the function waits for its policy', () => {
    const s = stack();
    new DrsInitialization(s, 'Drs');
    const template = Template.fromStack(s);
    expect(policyStatements(template).map((st) => st.Sid).filter(Boolean)).toEqual([
      'InitializeDrsService', 'InitializeDrsServiceLinkedRole', 'InitializeDrsInstanceProfiles',
    ]);
    const policyId = Object.keys(template.findResources('AWS::IAM::Policy'))[0];
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0];
    expect(fn.DependsOn).toContain(policyId);
  });

  test('two initializations (e.g. from two libraries) share the handler and its statements', () => {
    const s = stack();
    new DrsInitialization(s, 'A');
    new DrsInitialization(s, 'B');
    const template = Template.fromStack(s);
    template.resourceCountIs(ResourceTypes.SERVICE_INITIALIZATION, 2);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    expect(policyStatements(template).filter((st) => st.Sid === 'InitializeDrsService')).toHaveLength(1);
  });

  test('a server made to depend on it is created after it; `initialized` is its attribute', () => {
    const s = stack();
    const init = new DrsInitialization(s, 'Drs');
    const server = new ExtendedSourceServer(s, 'Server1', {
      stagingSourceServerArn: `arn:aws:drs:${REGION}:111111111111:source-server/s-1234567890abcdef0`,
    });
    server.node.addDependency(init);
    const template = Template.fromStack(s);
    const initId = Object.keys(template.findResources(ResourceTypes.SERVICE_INITIALIZATION))[0];
    expect(Object.values(template.findResources(ResourceTypes.EXTENDED_SOURCE_SERVER))[0].DependsOn)
      .toEqual([Object.keys(template.findResources('AWS::Lambda::EventInvokeConfig'))[0], initId].sort());
    expect(s.resolve(init.initialized)).toEqual({ 'Fn::GetAtt': [initId, 'Initialized'] });
  });

  test('the handler serves what the construct writes: Create initializes, Delete does not call DRS', async () => {
    const s = stack();
    new DrsInitialization(s, 'Drs');
    const template = Template.fromStack(s).toJSON();
    const [logicalId, resource] = Object.entries<any>(template.Resources).find(([, r]) => r.Type === ResourceTypes.SERVICE_INITIALIZATION)!;
    const drs = mockClient(DrsClient);
    drs.on(InitializeServiceCommand).resolves({});
    const event = (RequestType: 'Create' | 'Delete', PhysicalResourceId?: string): CloudFormationEvent => ({
      RequestType,
      ResponseURL: 'https://example.invalid/response',
      StackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Target/1`,
      RequestId: 'r1',
      LogicalResourceId: logicalId,
      ResourceType: resource.Type,
      ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:222222222222:function:f' },
      ...(PhysicalResourceId ? { PhysicalResourceId } : {}),
    });
    const deps = { client: new DrsClient({ region: REGION }), env: { AWS_REGION: REGION }, write: () => undefined };

    const created = await handleEvent(event('Create'), {}, deps);
    expect(created).toEqual({ status: 'SUCCESS', physicalResourceId: `drs-initialization:${ACCOUNT}:${REGION}`, data: { Initialized: 'true' } });
    expect(drs.commandCalls(InitializeServiceCommand)).toHaveLength(1);

    const deleted = await handleEvent(event('Delete', created.physicalResourceId), {}, deps);
    expect(deleted.status).toBe('SUCCESS');
    expect(drs.calls()).toHaveLength(1);
    drs.restore();
  });
});
