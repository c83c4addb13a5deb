/**
 * Each statement of the handler role, evaluated by the IAM simulator the local DRS uses, with the
 * request contexts DRS and IAM build: what it allows, and the nearest requests it must refuse.
 * The statement list is also checked against docs/iam.md, which explains each one.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DrsInitialization, ExtendedSourceServer, StagingAccountExtension } from '../../src';
import { OwnerTags } from '../../src/contract';
import { authorizerFromTemplate } from '../local-drs/iam';
import { Authorizer } from '../local-drs/types';
import { CfnTemplate } from '../support/cfn-template';

const ACCOUNT = '222222222222';
const REGION = 'us-east-1';
const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Target/11111111-2222-3333-4444-555555555555`;
const OTHER_STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Other/66666666-2222-3333-4444-555555555555`;
const SERVER = `arn:aws:drs:${REGION}:${ACCOUNT}:source-server/s-0123456789abcdef0`;
const SLR = `arn:aws:iam::${ACCOUNT}:role/aws-service-role/drs.amazonaws.com/AWSServiceRoleForElasticDisasterRecovery`;
const PROFILES = [
  'AWSElasticDisasterRecoveryReplicationServerRole',
  'AWSElasticDisasterRecoveryConversionServerRole',
  'AWSElasticDisasterRecoveryRecoveryInstanceRole',
].map((name) => `arn:aws:iam::${ACCOUNT}:instance-profile/${name}`);

function targetTemplate(options: { servers?: boolean; initialization?: boolean }): CfnTemplate {
  const stack = new Stack(new App(), 'Target', { env: { account: ACCOUNT, region: REGION } });
  if (options.servers ?? true) {
    new ExtendedSourceServer(stack, 'Server1', {
      stagingSourceServerArn: `arn:aws:drs:${REGION}:111111111111:source-server/s-1234567890abcdef0`,
    });
  }
  if (options.initialization) new DrsInitialization(stack, 'Drs');
  return Template.fromStack(stack).toJSON() as CfnTemplate;
}

function handlerAuthorizer(template: CfnTemplate): Authorizer {
  const roleId = Object.keys(template.Resources!).find((id) => template.Resources![id].Type === 'AWS::IAM::Role')!;
  return authorizerFromTemplate(template, roleId, { account: ACCOUNT, region: REGION, stackName: 'Target', stackId: STACK_ID });
}

const full = handlerAuthorizer(targetTemplate({ initialization: true }));

function allowed(action: string, resource: string, context: Record<string, string | string[]> = {}, authorize = full): boolean {
  return authorize({ action, resource, account: ACCOUNT, region: REGION, context }).allowed;
}

/** The context DRS builds for a request carrying `tags`. */
function requestTags(tags: Record<string, string>): Record<string, string | string[]> {
  return {
    ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])),
    'aws:TagKeys': Object.keys(tags),
  };
}
const owner = (stackId: string, logicalId = 'Server1') => ({ [OwnerTags.STACK_ID]: stackId, [OwnerTags.LOGICAL_ID]: logicalId });
const ownedBy = (stackId: string) => ({ [`aws:ResourceTag/${OwnerTags.STACK_ID}`]: stackId, [`aws:ResourceTag/${OwnerTags.LOGICAL_ID}`]: 'Server1' });
const atExtend = { 'drs:CreateAction': 'CreateExtendedSourceServer' };

describe('ReadOwnStack', () => {
  test('reads this stack\'s resources, and no other stack\'s', () => {
    expect(allowed('cloudformation:DescribeStackResource', STACK_ID)).toBe(true);
    expect(allowed('cloudformation:ListStackResources', STACK_ID)).toBe(true);
    expect(allowed('cloudformation:DescribeStackResource', OTHER_STACK_ID)).toBe(false);
    // Same name, another stack id (a re-created stack).
    expect(allowed('cloudformation:DescribeStackResource', STACK_ID.replace(/[0-9a-f-]{36}$/, '99999999-2222-3333-4444-555555555555'))).toBe(false);
    expect(allowed('cloudformation:DescribeStacks', STACK_ID)).toBe(true);
    expect(allowed('cloudformation:DescribeStacks', OTHER_STACK_ID)).toBe(false);
    expect(allowed('cloudformation:UpdateStack', STACK_ID)).toBe(false);
  });
});

describe('ReadSourceServers', () => {
  test('describes servers, and lists nothing else', () => {
    expect(allowed('drs:DescribeSourceServers', '*')).toBe(true);
    expect(allowed('drs:ListExtensibleSourceServers', '*')).toBe(false);
    expect(allowed('drs:ListTagsForResource', '*')).toBe(false);
    expect(allowed('drs:ListStagingAccounts', '*')).toBe(false);
  });
});

describe('ExtendOnlyWithOwnerTag', () => {
  test('extends when the request carries both owner tags, the stack one with this stack', () => {
    expect(allowed('drs:CreateExtendedSourceServer', '*', requestTags({ ...owner(STACK_ID), Application: 'erp' }))).toBe(true);
  });

  test('refuses an extension without the logical-id tag, with another stack, or untagged', () => {
    expect(allowed('drs:CreateExtendedSourceServer', '*', requestTags({ [OwnerTags.STACK_ID]: STACK_ID }))).toBe(false);
    expect(allowed('drs:CreateExtendedSourceServer', '*', requestTags(owner(OTHER_STACK_ID)))).toBe(false);
    expect(allowed('drs:CreateExtendedSourceServer', '*', requestTags({ Application: 'erp' }))).toBe(false);
    expect(allowed('drs:CreateExtendedSourceServer', '*')).toBe(false);
  });
});

describe('TagOnExtend', () => {
  test('tags the new server only as part of CreateExtendedSourceServer, with both owner tags', () => {
    expect(allowed('drs:TagResource', SERVER, { ...requestTags(owner(STACK_ID)), ...atExtend })).toBe(true);
    expect(allowed('drs:TagResource', SERVER, { ...requestTags({ [OwnerTags.STACK_ID]: STACK_ID }), ...atExtend })).toBe(false);
    expect(allowed('drs:TagResource', SERVER, { ...requestTags(owner(OTHER_STACK_ID)), ...atExtend })).toBe(false);
    // Another creating operation is not this statement's.
    expect(allowed('drs:TagResource', SERVER, { ...requestTags(owner(STACK_ID)), 'drs:CreateAction': 'StartRecovery' })).toBe(false);
  });

  test('only in this account and Region', () => {
    const ctx = { ...requestTags(owner(STACK_ID)), ...atExtend };
    expect(allowed('drs:TagResource', SERVER.replace(REGION, 'eu-west-1'), ctx)).toBe(false);
    expect(allowed('drs:TagResource', SERVER.replace(`:${ACCOUNT}:`, ':333333333333:'), ctx)).toBe(false);
  });
});

describe('ManageOwnedServers', () => {
  test.each(['drs:DisconnectSourceServer', 'drs:DeleteSourceServer'])('%s only servers tagged with this stack', (action) => {
    expect(allowed(action, SERVER, ownedBy(STACK_ID))).toBe(true);
    expect(allowed(action, SERVER, ownedBy(OTHER_STACK_ID))).toBe(false);
    expect(allowed(action, SERVER)).toBe(false);
  });

  test('changes user tags of owned servers only', () => {
    expect(allowed('drs:TagResource', SERVER, { ...ownedBy(STACK_ID), ...requestTags({ Tier: 'web' }) })).toBe(true);
    expect(allowed('drs:UntagResource', SERVER, { ...ownedBy(STACK_ID), 'aws:TagKeys': ['Tier'] })).toBe(true);
    expect(allowed('drs:TagResource', SERVER, requestTags({ Tier: 'web' }))).toBe(false);
    expect(allowed('drs:UntagResource', SERVER, { ...ownedBy(OTHER_STACK_ID), 'aws:TagKeys': ['Tier'] })).toBe(false);
  });
});

describe('KeepStackIdFromCreate (deny)', () => {
  test('the stack-id tag cannot be written after the create: not re-pointed, not claimed, not even rewritten unchanged', () => {
    // Re-pointing an owned server at another stack.
    expect(allowed('drs:TagResource', SERVER, { ...ownedBy(STACK_ID), ...requestTags({ [OwnerTags.STACK_ID]: OTHER_STACK_ID }) })).toBe(false);
    // Claiming a server nobody owns, or another stack's.
    expect(allowed('drs:TagResource', SERVER, requestTags(owner(STACK_ID)))).toBe(false);
    expect(allowed('drs:TagResource', SERVER, { ...ownedBy(OTHER_STACK_ID), ...requestTags(owner(STACK_ID)) })).toBe(false);
    // Even this stack's own value, mixed with a user tag.
    expect(allowed('drs:TagResource', SERVER, { ...ownedBy(STACK_ID), ...requestTags({ ...owner(STACK_ID), Tier: 'web' }) })).toBe(false);
  });
});

describe('HandOverOnlyWithinThisStack (deny)', () => {
  const handover = { [OwnerTags.LOGICAL_ID]: 'Server2', [OwnerTags.PREVIOUS_LOGICAL_ID]: 'Server1' };
  test('a server of this stack moves between its resources: take over, hand back, confirm', () => {
    expect(allowed('drs:TagResource', SERVER, { ...ownedBy(STACK_ID), ...requestTags({ ...handover, Tier: 'web' }) })).toBe(true);
    expect(allowed('drs:TagResource', SERVER, { ...ownedBy(STACK_ID), ...requestTags({ [OwnerTags.LOGICAL_ID]: 'Server1' }) })).toBe(true);
    expect(allowed('drs:UntagResource', SERVER, { ...ownedBy(STACK_ID), 'aws:TagKeys': [OwnerTags.PREVIOUS_LOGICAL_ID] })).toBe(true);
  });

  test('never on a server of another stack or of none, and never as part of another creating operation', () => {
    for (const resource of [ownedBy(OTHER_STACK_ID), {}]) {
      expect(allowed('drs:TagResource', SERVER, { ...resource, ...requestTags(handover) })).toBe(false);
      expect(allowed('drs:TagResource', SERVER, { ...resource, ...requestTags({ [OwnerTags.LOGICAL_ID]: 'Server1' }) })).toBe(false);
      expect(allowed('drs:UntagResource', SERVER, { ...resource, 'aws:TagKeys': [OwnerTags.PREVIOUS_LOGICAL_ID] })).toBe(false);
    }
    expect(allowed('drs:TagResource', SERVER, { ...requestTags(handover), 'drs:CreateAction': 'StartRecovery' })).toBe(false);
  });

  test('the deny itself refuses, whatever else the role is given: a role with drs:* on everything', () => {
    const stack = new Stack(new App(), 'Target', { env: { account: ACCOUNT, region: REGION } });
    new ExtendedSourceServer(stack, 'Server1', { stagingSourceServerArn: `arn:aws:drs:${REGION}:111111111111:source-server/s-1234567890abcdef0` });
    const role = stack.node.findChild('CdkDrsMultiAccountHandler').node.findChild('Role') as iam.Role;
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['drs:*'], resources: ['*'] }));
    const wide = handlerAuthorizer(Template.fromStack(stack).toJSON() as CfnTemplate);
    expect(allowed('drs:TagResource', SERVER, { ...ownedBy(OTHER_STACK_ID), ...requestTags(handover) }, wide)).toBe(false);
    expect(allowed('drs:TagResource', SERVER, requestTags({ [OwnerTags.LOGICAL_ID]: 'Server1' }), wide)).toBe(false);
    expect(allowed('drs:TagResource', SERVER, { ...ownedBy(STACK_ID), ...requestTags({ [OwnerTags.STACK_ID]: OTHER_STACK_ID }) }, wide)).toBe(false);
    expect(allowed('drs:TagResource', SERVER, { ...ownedBy(STACK_ID), ...requestTags(handover) }, wide)).toBe(true);
  });
});

describe('NeverRemoveOwnerTags (deny)', () => {
  test('owner tags cannot be removed, alone or among user tags (previous-logical-id can: it ends a handover)', () => {
    for (const key of [OwnerTags.STACK_ID, OwnerTags.LOGICAL_ID]) {
      expect(allowed('drs:UntagResource', SERVER, { ...ownedBy(STACK_ID), 'aws:TagKeys': [key] })).toBe(false);
      expect(allowed('drs:UntagResource', SERVER, { ...ownedBy(STACK_ID), 'aws:TagKeys': ['Tier', key] })).toBe(false);
      expect(allowed('drs:UntagResource', SERVER, { ...ownedBy(STACK_ID), 'aws:TagKeys': [OwnerTags.PREVIOUS_LOGICAL_ID, key] })).toBe(false);
    }
  });
});

describe('InitializeDrsService', () => {
  test('initializes DRS; the statement set exists only in stacks that initialize', () => {
    expect(allowed('drs:InitializeService', '*')).toBe(true);
    const serversOnly = handlerAuthorizer(targetTemplate({}));
    expect(allowed('drs:InitializeService', '*', {}, serversOnly)).toBe(false);
    expect(allowed('iam:CreateServiceLinkedRole', SLR, { 'iam:AWSServiceName': 'drs.amazonaws.com' }, serversOnly)).toBe(false);
  });

  test('a stack that only initializes cannot touch source servers', () => {
    const initOnly = handlerAuthorizer(targetTemplate({ servers: false, initialization: true }));
    expect(allowed('drs:InitializeService', '*', {}, initOnly)).toBe(true);
    expect(allowed('drs:DescribeSourceServers', '*', {}, initOnly)).toBe(false);
    expect(allowed('drs:DeleteSourceServer', SERVER, ownedBy(STACK_ID), initOnly)).toBe(false);
  });
});

describe('InitializeDrsServiceLinkedRole', () => {
  test("creates DRS's service-linked role and no other", () => {
    expect(allowed('iam:CreateServiceLinkedRole', SLR, { 'iam:AWSServiceName': 'drs.amazonaws.com' })).toBe(true);
    expect(allowed('iam:CreateServiceLinkedRole', SLR, { 'iam:AWSServiceName': 'ec2.amazonaws.com' })).toBe(false);
    expect(allowed('iam:CreateServiceLinkedRole', `arn:aws:iam::${ACCOUNT}:role/aws-service-role/ec2.amazonaws.com/AWSServiceRoleForEC2`,
      { 'iam:AWSServiceName': 'drs.amazonaws.com' })).toBe(false);
    expect(allowed('iam:CreateServiceLinkedRole', SLR.replace(ACCOUNT, '333333333333'), { 'iam:AWSServiceName': 'drs.amazonaws.com' })).toBe(false);
  });
});

describe('InitializeDrsInstanceProfiles', () => {
  test.each(['iam:GetInstanceProfile', 'iam:CreateInstanceProfile', 'iam:AddRoleToInstanceProfile'])(
    '%s on the three DRS instance profiles only', (action) => {
      for (const profile of PROFILES) expect(allowed(action, profile)).toBe(true);
      expect(allowed(action, `arn:aws:iam::${ACCOUNT}:instance-profile/Admin`)).toBe(false);
      expect(allowed(action, PROFILES[0].replace(ACCOUNT, '333333333333'))).toBe(false);
    });

  test('no other IAM action, on anything', () => {
    for (const action of ['iam:PassRole', 'iam:CreateRole', 'iam:AttachRolePolicy', 'iam:DeleteInstanceProfile', 'iam:RemoveRoleFromInstanceProfile']) {
      expect(allowed(action, `arn:aws:iam::${ACCOUNT}:role/AWSElasticDisasterRecoveryReplicationServerRole`)).toBe(false);
      expect(allowed(action, PROFILES[0])).toBe(false);
    }
  });
});

describe('docs/iam.md', () => {
  test('explains every statement of the handler role by its Sid, whichever constructs a stack uses', () => {
    const stack = new Stack(new App(), 'Target', { env: { account: ACCOUNT, region: REGION } });
    new ExtendedSourceServer(stack, 'Server1', { stagingSourceServerArn: `arn:aws:drs:${REGION}:111111111111:source-server/s-1234567890abcdef0` });
    new StagingAccountExtension(stack, 'Staging', { stagingAccountId: '111111111111' });
    new DrsInitialization(stack, 'Drs');
    const template = Template.fromStack(stack).toJSON() as CfnTemplate;
    const sids = Object.values(template.Resources!).filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((p) => (p.Properties!.PolicyDocument as { Statement: { Sid?: string }[] }).Statement)
      .map((s) => s.Sid).filter((sid): sid is string => sid !== undefined);
    expect(new Set(sids).size).toBeGreaterThanOrEqual(11);
    const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'iam.md'), 'utf8');
    const documented = [...doc.matchAll(/^### `([A-Za-z0-9]+)`/gm)].map((m) => m[1]);
    for (const sid of sids) expect(documented).toContain(sid);
  });
});
