/**
 * The handler role's policy, evaluated by an IAM simulator (the local DRS's authorizer) against
 * the requests the handler makes: it can do its job on servers its stack owns, and nothing else.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ExtendedSourceServer, LaunchSettings } from '../../src';
import { OwnerTags } from '../../src/contract';
import { authorizerFromTemplate } from '../local-drs/iam';
import { Authorizer } from '../local-drs/types';
import { CfnTemplate } from '../support/cfn-template';

const ACCOUNT = '222222222222';
const REGION = 'us-east-1';
const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Target/11111111-2222-3333-4444-555555555555`;
const OTHER_STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Other/66666666-2222-3333-4444-555555555555`;
const SERVER = `arn:aws:drs:${REGION}:${ACCOUNT}:source-server/s-0123456789abcdef0`;

function handlerAuthorizer(launchSettings?: LaunchSettings): Authorizer {
  const stack = new Stack(new App(), 'Target', { env: { account: ACCOUNT, region: REGION } });
  new ExtendedSourceServer(stack, 'Server1', {
    stagingSourceServerArn: `arn:aws:drs:${REGION}:111111111111:source-server/s-1234567890abcdef0`,
    launchSettings,
  });
  const template = Template.fromStack(stack).toJSON() as CfnTemplate;
  const roleId = Object.keys(template.Resources ?? {}).find((id) => template.Resources![id].Type === 'AWS::IAM::Role')!;
  return authorizerFromTemplate(template, roleId, { account: ACCOUNT, region: REGION, stackName: 'Target', stackId: STACK_ID });
}

const authorize = handlerAuthorizer();

function allowed(action: string, resource: string, context: Record<string, string | string[]> = {}): boolean {
  return authorize({ action: `drs:${action}`, resource, account: ACCOUNT, region: REGION, context }).allowed;
}

/** Request-tag context as DRS builds it for a request carrying `tags`. */
function requestTags(tags: Record<string, string>): Record<string, string | string[]> {
  return {
    ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])),
    'aws:TagKeys': Object.keys(tags),
  };
}

const ownerTags = (stackId: string) => ({ [OwnerTags.STACK_ID]: stackId, [OwnerTags.LOGICAL_ID]: 'Server1' });
const ownedBy = (stackId: string) => ({ [`aws:ResourceTag/${OwnerTags.STACK_ID}`]: stackId });
const atCreate = { 'drs:CreateAction': 'CreateExtendedSourceServer' };

describe('handler role, evaluated', () => {
  test('reads source servers', () => {
    expect(allowed('DescribeSourceServers', '*')).toBe(true);
    // The handler never lists extensible servers: not granted.
    expect(allowed('ListExtensibleSourceServers', '*')).toBe(false);
  });

  test('extends only with its own stack as owner tag, and tags the new server only at that create', () => {
    const own = requestTags({ ...ownerTags(STACK_ID), App: 'erp' });
    expect(allowed('CreateExtendedSourceServer', '*', own)).toBe(true);
    expect(allowed('TagResource', SERVER, { ...own, ...atCreate })).toBe(true);

    const foreign = requestTags(ownerTags(OTHER_STACK_ID));
    expect(allowed('CreateExtendedSourceServer', '*', foreign)).toBe(false);
    expect(allowed('CreateExtendedSourceServer', '*')).toBe(false);
    expect(allowed('TagResource', SERVER, { ...foreign, ...atCreate })).toBe(false);
  });

  test('never writes owner tags outside the create, not even its own', () => {
    expect(allowed('TagResource', SERVER, { ...requestTags(ownerTags(STACK_ID)), ...ownedBy(STACK_ID) })).toBe(false);
    // A server nobody owns cannot be claimed by tagging it.
    expect(allowed('TagResource', SERVER, requestTags(ownerTags(STACK_ID)))).toBe(false);
  });

  test('updates user tags only on servers its stack owns, and never removes owner tags', () => {
    expect(allowed('TagResource', SERVER, { ...requestTags({ App: 'crm' }), ...ownedBy(STACK_ID) })).toBe(true);
    expect(allowed('UntagResource', SERVER, { 'aws:TagKeys': ['App'], ...ownedBy(STACK_ID) })).toBe(true);

    expect(allowed('TagResource', SERVER, { ...requestTags({ App: 'crm' }), ...ownedBy(OTHER_STACK_ID) })).toBe(false);
    expect(allowed('UntagResource', SERVER, { 'aws:TagKeys': ['App'], ...ownedBy(OTHER_STACK_ID) })).toBe(false);
    expect(allowed('UntagResource', SERVER, { 'aws:TagKeys': [OwnerTags.STACK_ID], ...ownedBy(STACK_ID) })).toBe(false);
    expect(allowed('UntagResource', SERVER, { 'aws:TagKeys': ['App', OwnerTags.LOGICAL_ID], ...ownedBy(STACK_ID) })).toBe(false);
  });

  test('disconnects and deletes only servers its stack owns, in its own account and Region', () => {
    for (const action of ['DisconnectSourceServer', 'DeleteSourceServer']) {
      expect(allowed(action, SERVER, ownedBy(STACK_ID))).toBe(true);
      expect(allowed(action, SERVER, ownedBy(OTHER_STACK_ID))).toBe(false);
      expect(allowed(action, SERVER)).toBe(false);
      expect(allowed(action, SERVER.replace(REGION, 'eu-west-1'), ownedBy(STACK_ID))).toBe(false);
      expect(allowed(action, SERVER.replace(`:${ACCOUNT}:`, ':333333333333:'), ownedBy(STACK_ID))).toBe(false);
    }
  });

  test('can do nothing else in DRS', () => {
    for (const action of ['StartRecovery', 'TerminateRecoveryInstances', 'InitializeService', 'UpdateReplicationConfiguration']) {
      expect(allowed(action, action === 'StartRecovery' ? SERVER : '*', ownedBy(STACK_ID))).toBe(false);
    }
  });
});

describe('handler role with launch settings, evaluated', () => {
  const TEMPLATE = `arn:aws:ec2:${REGION}:${ACCOUNT}:launch-template/lt-0123456789abcdef0`;
  const withSettings = handlerAuthorizer({ copyTags: true });
  const can = (auth: Authorizer, action: string, resource: string, context: Record<string, string | string[]> = {}) =>
    auth({ action, resource, account: ACCOUNT, region: REGION, context }).allowed;

  test('reads and updates the launch configuration of servers its stack owns only', () => {
    for (const action of ['drs:GetLaunchConfiguration', 'drs:UpdateLaunchConfiguration']) {
      expect(can(withSettings, action, SERVER, ownedBy(STACK_ID))).toBe(true);
      expect(can(withSettings, action, SERVER, ownedBy(OTHER_STACK_ID))).toBe(false);
      expect(can(withSettings, action, SERVER)).toBe(false);
      expect(can(withSettings, action, SERVER.replace(REGION, 'eu-west-1'), ownedBy(STACK_ID))).toBe(false);
    }
  });

  test('versions launch templates of its own account and Region only, and reads versions', () => {
    for (const action of ['ec2:CreateLaunchTemplateVersion', 'ec2:ModifyLaunchTemplate']) {
      expect(can(withSettings, action, TEMPLATE)).toBe(true);
      expect(can(withSettings, action, TEMPLATE.replace(REGION, 'eu-west-1'))).toBe(false);
      expect(can(withSettings, action, TEMPLATE.replace(`:${ACCOUNT}:`, ':333333333333:'))).toBe(false);
    }
    expect(can(withSettings, 'ec2:DescribeLaunchTemplateVersions', '*')).toBe(true);
    for (const action of ['ec2:DeleteLaunchTemplate', 'ec2:DeleteLaunchTemplateVersions', 'ec2:RunInstances', 'ec2:CreateLaunchTemplate']) {
      expect(can(withSettings, action, action === 'ec2:RunInstances' ? '*' : TEMPLATE)).toBe(false);
    }
  });

  test('a stack without launch settings gets none of these grants', () => {
    expect(can(authorize, 'drs:GetLaunchConfiguration', SERVER, ownedBy(STACK_ID))).toBe(false);
    expect(can(authorize, 'ec2:CreateLaunchTemplateVersion', TEMPLATE)).toBe(false);
    expect(can(authorize, 'ec2:DescribeLaunchTemplateVersions', '*')).toBe(false);
  });
});
