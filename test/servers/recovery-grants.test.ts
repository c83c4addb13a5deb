/**
 * grantStartRecovery and grantStartRecoveryOnStack: the grantee's policy evaluated with the IAM
 * simulator (it can recover the stack's servers and nothing else, and cannot touch owner tags),
 * and cdk-nag acknowledgements that cover the library's statements only.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ExtendedSourceServer } from '../../src';
import { OwnerTags } from '../../src/contract';
import { authorizerFromTemplate } from '../local-drs/iam';
import { Authorizer } from '../local-drs/types';
import { CfnTemplate } from '../support/cfn-template';

const ACCOUNT = '222222222222';
const REGION = 'us-east-1';
const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Target/11111111-2222-3333-4444-555555555555`;
const OTHER_STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Other/66666666-2222-3333-4444-555555555555`;
const SERVER1 = `arn:aws:drs:${REGION}:${ACCOUNT}:source-server/s-0000000000000000a`;
const SERVER2 = `arn:aws:drs:${REGION}:${ACCOUNT}:source-server/s-0000000000000000b`;

interface Built {
  readonly stack: Stack;
  readonly server: ExtendedSourceServer;
  readonly runbook: iam.Role;
}

function build(grant: (b: Built) => void): { built: Built; authorize: Authorizer; template: CfnTemplate } {
  const stack = new Stack(new App(), 'Target', { env: { account: ACCOUNT, region: REGION } });
  const server = new ExtendedSourceServer(stack, 'Server1', {
    stagingSourceServerArn: `arn:aws:drs:${REGION}:111111111111:source-server/s-1234567890abcdef0`,
  });
  const runbook = new iam.Role(stack, 'Runbook', { assumedBy: new iam.AccountRootPrincipal() });
  const built = { stack, server, runbook };
  grant(built);
  const template = Template.fromStack(stack).toJSON() as CfnTemplate;
  const serverId = Object.keys(template.Resources!).find((id) => template.Resources![id].Type === 'Custom::DrsExtendedSourceServer')!;
  const roleId = Object.keys(template.Resources!).find((id) => id.startsWith('Runbook') && template.Resources![id].Type === 'AWS::IAM::Role')!;
  const authorize = authorizerFromTemplate(template, roleId, {
    account: ACCOUNT,
    region: REGION,
    stackName: 'Target',
    stackId: STACK_ID,
    attributes: { [serverId]: { SourceServerArn: SERVER1, SourceServerId: 's-0000000000000000a' } },
  });
  return { built, authorize, template };
}

function allowedFor(authorize: Authorizer) {
  return (action: string, resource: string, context: Record<string, string | string[]> = {}) =>
    authorize({ action, resource, account: ACCOUNT, region: REGION, context }).allowed;
}
const ownedBy = (stackId: string) => ({ [`aws:ResourceTag/${OwnerTags.STACK_ID}`]: stackId });
const tagging = (keys: string[]) => ({
  'aws:TagKeys': keys,
  ...Object.fromEntries(keys.map((k) => [`aws:RequestTag/${k}`, 'x'])),
});

describe('ExtendedSourceServer.grantStartRecoveryOnStack', () => {
  const { authorize } = build(({ stack, runbook }) => ExtendedSourceServer.grantStartRecoveryOnStack(runbook, stack));
  const allowed = allowedFor(authorize);

  test('starts drills and recoveries of every server the stack owns, added later too', () => {
    for (const server of [SERVER1, SERVER2]) {
      expect(allowed('drs:StartRecovery', server, ownedBy(STACK_ID))).toBe(true);
      expect(allowed('drs:DescribeRecoverySnapshots', server, ownedBy(STACK_ID))).toBe(true);
    }
  });

  test('not servers of another stack, made by hand, or in another Region or account', () => {
    expect(allowed('drs:StartRecovery', SERVER1, ownedBy(OTHER_STACK_ID))).toBe(false);
    expect(allowed('drs:StartRecovery', SERVER1)).toBe(false);
    expect(allowed('drs:StartRecovery', SERVER1.replace(REGION, 'eu-west-1'), ownedBy(STACK_ID))).toBe(false);
    expect(allowed('drs:StartRecovery', SERVER1.replace(`:${ACCOUNT}:`, ':333333333333:'), ownedBy(STACK_ID))).toBe(false);
  });

  test('may tag owned servers as StartRecovery does, but never with the owner tag keys', () => {
    expect(allowed('drs:TagResource', SERVER1, { ...ownedBy(STACK_ID), ...tagging(['DrillRun']) })).toBe(true);
    expect(allowed('drs:TagResource', SERVER1, { ...ownedBy(STACK_ID), ...tagging([OwnerTags.STACK_ID]) })).toBe(false);
    expect(allowed('drs:TagResource', SERVER1, { ...ownedBy(STACK_ID), ...tagging(['DrillRun', OwnerTags.LOGICAL_ID]) })).toBe(false);
    expect(allowed('drs:TagResource', SERVER1, { ...ownedBy(OTHER_STACK_ID), ...tagging(['DrillRun']) })).toBe(false);
    expect(allowed('drs:UntagResource', SERVER1, { ...ownedBy(STACK_ID), 'aws:TagKeys': ['DrillRun'] })).toBe(false);
  });

  test('reads what a runbook follows, and cannot disconnect, delete, extend or terminate', () => {
    for (const action of ['drs:DescribeSourceServers', 'drs:DescribeJobs', 'drs:DescribeJobLogItems', 'drs:DescribeRecoveryInstances']) {
      expect(allowed(action, '*')).toBe(true);
    }
    expect(allowed('drs:DisconnectSourceServer', SERVER1, ownedBy(STACK_ID))).toBe(false);
    expect(allowed('drs:DeleteSourceServer', SERVER1, ownedBy(STACK_ID))).toBe(false);
    expect(allowed('drs:CreateExtendedSourceServer', '*')).toBe(false);
    expect(allowed('drs:TerminateRecoveryInstances', `arn:aws:drs:${REGION}:${ACCOUNT}:recovery-instance/i-0123456789abcdef0`)).toBe(false);
  });
});

describe('grantStartRecovery on one server', () => {
  const { authorize, built } = build(({ server, runbook }) => server.grantStartRecovery(runbook));
  const allowed = allowedFor(authorize);

  test('that server only, whatever its tags', () => {
    expect(allowed('drs:StartRecovery', SERVER1)).toBe(true);
    expect(allowed('drs:StartRecovery', SERVER2, ownedBy(STACK_ID))).toBe(false);
    expect(allowed('drs:TagResource', SERVER1, tagging(['DrillRun']))).toBe(true);
    expect(allowed('drs:TagResource', SERVER1, tagging([OwnerTags.STACK_ID]))).toBe(false);
  });

  test('the statements live in a policy of their own attached to the grantee', () => {
    const t = Template.fromStack(built.stack);
    const policies = t.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: built.stack.getLogicalId(built.runbook.node.defaultChild as iam.CfnRole) }] } });
    expect(Object.keys(policies)).toEqual([expect.stringMatching(/^RunbookDrsStartRecoveryPolicy/)]);
  });
});

describe('cdk-nag', () => {
  test('the library acknowledges its own wildcards, on its own policy, and not the grantee\'s other statements', () => {
    const { built } = build(({ stack, server, runbook }) => {
      ExtendedSourceServer.grantStartRecoveryOnStack(runbook, stack);
      server.grantStartRecovery(runbook);
      // The user's own wildcard, in the role's default policy: must still be reported.
      runbook.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
    });
    const findings = new AwsSolutionsChecks().validateScope(built.stack).violations
      .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
    expect(findings).toEqual(['AwsSolutions-IAM5[Resource::*] at Target/Runbook/DefaultPolicy/Resource']);
  });
});
