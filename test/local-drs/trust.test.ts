import { runSimulation } from '@cloud-copilot/iam-simulate';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { StagingRole, stagingPolicyArn, StagingStack, trustFromTemplates } from './trust';
import { TrustQuery } from './types';
import { CfnTemplate, PolicyDocument } from '../support/cfn-template';

const STAGING = '111111111111';
const TARGET = '222222222222';
const OTHER_TARGET = '333333333333';
const ROLE = `DRSStagingAccountRole_${TARGET}`;

const query: TrustQuery = {
  stagingAccount: STAGING,
  targetAccount: TARGET,
  region: 'eu-west-1',
  partition: 'aws',
  stagingSourceServerArn: `arn:aws:drs:eu-west-1:${STAGING}:source-server/s-0123456789abcdef0`,
};

function conditionsFor(target: string): Record<string, Record<string, string>> {
  return {
    StringLike: { 'sts:SourceIdentity': target, 'aws:SourceAccount': target },
    ArnLike: { 'aws:SourceArn': 'arn:aws:drs:*:*:source-server/*' },
  };
}

interface RoleShape {
  readonly roleName?: string;
  readonly path?: string;
  readonly managedPolicy?: string;
  readonly actions?: string[];
  readonly conditions?: Record<string, Record<string, string>> | null;
  readonly extraStatement?: iam.PolicyStatement;
}

/** A staging stack synthesized with CDK, in the shape the library's StagingAccountTrust is meant to produce. */
function stagingStack(shape: RoleShape = {}, account = STAGING): StagingStack {
  const app = new App();
  const stack = new Stack(app, 'Staging', { env: { account, region: 'eu-west-1' } });
  const conditions = shape.conditions === null ? undefined : shape.conditions ?? conditionsFor(TARGET);
  const drs = new iam.ServicePrincipal('drs.amazonaws.com');
  const role = new iam.Role(stack, 'StagingRole', {
    roleName: shape.roleName ?? ROLE,
    path: shape.path ?? '/service-role/',
    assumedBy: new iam.ServicePrincipal('drs.amazonaws.com', { conditions }),
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(shape.managedPolicy ?? 'service-role/AWSElasticDisasterRecoveryStagingAccountPolicy_v2')],
  });
  for (const action of shape.actions ?? ['sts:SetSourceIdentity']) {
    role.assumeRolePolicy!.addStatements(new iam.PolicyStatement({ actions: [action], principals: [drs], conditions }));
  }
  if (shape.extraStatement) role.assumeRolePolicy!.addStatements(shape.extraStatement);
  return { account, region: 'eu-west-1', template: app.synth().getStackByName('Staging').template as CfnTemplate };
}

describe('trustFromTemplates', () => {
  test('the documented staging role is trusted', () => {
    expect(trustFromTemplates([stagingStack()])(query)).toEqual({ trusted: true });
  });

  test('the documented trust policy is allowed by iam-simulate\'s validating runSimulation too', async () => {
    const template = stagingStack().template;
    const role = Object.values(template.Resources!).find((r) => r.Type === 'AWS::IAM::Role')!;
    const trustPolicy = role.Properties!.AssumeRolePolicyDocument as PolicyDocument;
    for (const action of ['sts:AssumeRole', 'sts:SetSourceIdentity']) {
      for (const [account, expected] of [[TARGET, 'Allowed'], [OTHER_TARGET, 'ImplicitlyDenied']]) {
        const result = await runSimulation({
          request: {
            principal: 'drs.amazonaws.com',
            action,
            resource: { resource: `arn:aws:iam::${STAGING}:role/service-role/${ROLE}`, accountId: STAGING },
            contextVariables: {
              'sts:SourceIdentity': account,
              'aws:SourceAccount': account,
              'aws:SourceArn': `arn:aws:drs:eu-west-1:${account}:source-server/s-0123456789abcdef0`,
            },
          },
          identityPolicies: [],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          resourcePolicy: trustPolicy,
        }, {});
        if (result.resultType === 'error') throw new Error(result.errors.message);
        expect({ action, account, result: result.overallResult }).toEqual({ action, account, result: expected });
      }
    }
  });

  test('a role under the wrong path is not trusted', () => {
    expect(trustFromTemplates([stagingStack({ path: '/' })])(query)).toEqual({
      trusted: false,
      reason: `staging account ${STAGING} does not trust ${TARGET}: role ${ROLE} in ${STAGING} has path / (expected /service-role/)`,
    });
  });

  test('a role with the wrong name is not trusted, and the reason names what was found', () => {
    const d = trustFromTemplates([stagingStack({ roleName: `DRSStagingRole_${TARGET}` })])(query);
    expect(d).toEqual({
      trusted: false,
      reason: `staging account ${STAGING} has no role named ${ROLE}, so it does not trust ${TARGET} (it has DRSStagingRole_${TARGET})`,
    });
  });

  test('a role for a different target account does not trust this one', () => {
    const stack = stagingStack({ roleName: `DRSStagingAccountRole_${OTHER_TARGET}`, conditions: conditionsFor(OTHER_TARGET) });
    const trust = trustFromTemplates([stack]);
    expect(trust(query)).toEqual({
      trusted: false,
      reason: `staging account ${STAGING} has no role named ${ROLE}, so it does not trust ${TARGET} ` +
        `(it has DRSStagingAccountRole_${OTHER_TARGET}, which trusts ${OTHER_TARGET})`,
    });
    expect(trust({ ...query, targetAccount: OTHER_TARGET })).toEqual({ trusted: true });
  });

  test('the v1 managed policy is not enough', () => {
    const d = trustFromTemplates([stagingStack({ managedPolicy: 'service-role/AWSElasticDisasterRecoveryStagingAccountPolicy' })])(query);
    expect(d.trusted).toBe(false);
    expect(d.reason).toBe(`staging account ${STAGING} does not trust ${TARGET}: role ${ROLE} in ${STAGING} has the managed policy ` +
      `AWSElasticDisasterRecoveryStagingAccountPolicy (v1), which lacks drs:IssueAgentCertificateForDrs; attach ${stagingPolicyArn('aws')} instead`);
  });

  test('a missing managed policy is reported', () => {
    const d = trustFromTemplates([stagingStack({ managedPolicy: 'ReadOnlyAccess' })])(query);
    expect(d.reason).toContain(`role ${ROLE} in ${STAGING} does not have the managed policy arn:aws:iam::aws:policy/service-role/AWSElasticDisasterRecoveryStagingAccountPolicy_v2`);
  });

  test('without sts:SetSourceIdentity the role is not trusted', () => {
    const d = trustFromTemplates([stagingStack({ actions: [] })])(query);
    expect(d.trusted).toBe(false);
    expect(d.reason).toContain(`the trust policy of role ${ROLE} in ${STAGING} does not let drs.amazonaws.com perform sts:SetSourceIdentity for target account ${TARGET}`);
    expect(d.reason).not.toContain('perform sts:AssumeRole');
  });

  test('conditions for the wrong source account deny DRS from the target account', () => {
    const d = trustFromTemplates([stagingStack({
      conditions: { StringLike: { 'sts:SourceIdentity': TARGET, 'aws:SourceAccount': OTHER_TARGET }, ArnLike: { 'aws:SourceArn': 'arn:aws:drs:*:*:source-server/*' } },
    })])(query);
    expect(d.trusted).toBe(false);
    expect(d.reason).toContain(`does not let drs.amazonaws.com perform sts:AssumeRole for target account ${TARGET} ` +
      `(sts:SourceIdentity=${TARGET}, aws:SourceAccount=${TARGET}, aws:SourceArn=arn:aws:drs:eu-west-1:${TARGET}:source-server/s-0123456789abcdef0)`);
  });

  test('a trust policy without conditions is too permissive', () => {
    const d = trustFromTemplates([stagingStack({ conditions: null })])(query);
    expect(d.trusted).toBe(false);
    expect(d.reason).toContain(`the trust policy of role ${ROLE} in ${STAGING} is too permissive: drs.amazonaws.com can assume it for account 999999999999`);
    expect(d.reason).toContain(`restrict aws:SourceAccount and sts:SourceIdentity to ${TARGET}`);
  });

  test('a trust policy that checks only one of the two accounts is too permissive', () => {
    const onlyIdentity = trustFromTemplates([stagingStack({ conditions: { StringLike: { 'sts:SourceIdentity': TARGET } } })])(query);
    expect(onlyIdentity.reason).toContain('is too permissive: drs.amazonaws.com can assume it with aws:SourceAccount=999999999999');
    const onlyAccount = trustFromTemplates([stagingStack({ conditions: { StringLike: { 'aws:SourceAccount': TARGET } } })])(query);
    expect(onlyAccount.reason).toContain('is too permissive: drs.amazonaws.com can assume it with sts:SourceIdentity=999999999999');
  });

  test('a trust policy that also lets another account assume the role is too permissive', () => {
    const d = trustFromTemplates([stagingStack({
      extraStatement: new iam.PolicyStatement({ actions: ['sts:AssumeRole'], principals: [new iam.AccountPrincipal('999999999999')] }),
    })])(query);
    expect(d).toEqual({
      trusted: false,
      reason: `staging account ${STAGING} does not trust ${TARGET}: the trust policy of role ${ROLE} in ${STAGING} is too permissive: ` +
        'arn:aws:iam::999999999999:role/outsider can assume it; only drs.amazonaws.com may',
    });
  });

  test('the probe account never coincides with the queried accounts', () => {
    const stack = stagingStack({ roleName: 'DRSStagingAccountRole_999999999999', conditions: conditionsFor('999999999999') });
    expect(trustFromTemplates([stack])({ ...query, targetAccount: '999999999999' })).toEqual({ trusted: true });
  });

  test('a staging account with nothing registered, and a role in another partition', () => {
    expect(trustFromTemplates([])(query).reason).toBe(
      `staging account ${STAGING} has no role named ${ROLE}, so it does not trust ${TARGET} (no staging stack or role is registered for that account)`);
    const gov = { ...stagingStack(), partition: 'aws-us-gov' };
    expect(trustFromTemplates([gov])(query).reason).toContain(`role ${ROLE} in ${STAGING} is in partition aws-us-gov, but the target account uses aws`);
  });

  test('an invalid trust policy is reported, not evaluated', () => {
    const role: StagingRole = {
      account: STAGING,
      roleName: ROLE,
      path: '/service-role/',
      managedPolicyArns: [stagingPolicyArn('aws')],
      trustPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }] },
    };
    const d = trustFromTemplates([], { extraRoles: [role] })(query);
    expect(d.trusted).toBe(false);
    expect(d.reason).toMatch(new RegExp(`role ${ROLE} in ${STAGING}: trust policy '${ROLE} trust policy' is invalid: .*Principal`));
  });

  test('removing the staging stack or account revokes trust; roles can be added directly', () => {
    const trust = trustFromTemplates([]);
    const id = trust.addStack(stagingStack());
    expect(trust(query)).toEqual({ trusted: true });
    expect(trust.roles().map((r) => [r.id, r.role.roleName])).toEqual([[id, ROLE]]);
    expect(trust.removeStack(id)).toBe(true);
    expect(trust(query).trusted).toBe(false);
    expect(trust.removeStack(id)).toBe(false);

    const roleId = trust.addRole({
      account: STAGING,
      roleName: ROLE,
      path: '/service-role/',
      managedPolicyArns: [stagingPolicyArn('aws')],
      trustPolicy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'drs.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'], Condition: conditionsFor(TARGET) }],
      },
    });
    expect(trust(query)).toEqual({ trusted: true });
    expect(trust.removeRole(roleId)).toBe(true);
    expect(trust(query).trusted).toBe(false);

    trust.addStack(stagingStack());
    trust.addStack({ ...stagingStack({}, '444444444444'), stackName: 'other-staging' });
    trust.removeAccount(STAGING);
    expect(trust(query).trusted).toBe(false);
    expect(trust({ ...query, stagingAccount: '444444444444' })).toEqual({ trusted: true });
    expect(() => trust.addStack({ ...stagingStack(), stackName: 'other-staging' })).toThrow(/other-staging is already registered/);
  });
});

describe('templates with more than staging roles', () => {
  test('unnamed roles are ignored and a named role that cannot be resolved is reported, not thrown', () => {
    const { template } = stagingStack();
    const roleId = Object.keys(template.Resources!).find((id) => template.Resources![id].Type === 'AWS::IAM::Role')!;
    const broken: CfnTemplate = {
      ...template,
      Resources: {
        ...template.Resources,
        Unnamed: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Statement: [] }, Policies: [{ PolicyName: 'p', PolicyDocument: { 'Fn::GetAtt': ['Server', 'Arn'] } }] } },
        Server: { Type: 'Custom::Thing', Properties: {} },
      },
    };
    expect(trustFromTemplates([{ account: STAGING, region: 'eu-west-1', template: broken }])(query)).toEqual({ trusted: true });

    const unresolvable: CfnTemplate = {
      ...broken,
      Resources: {
        ...broken.Resources,
        [roleId]: {
          ...template.Resources![roleId],
          Properties: { ...template.Resources![roleId].Properties, Policies: [{ PolicyName: 'p', PolicyDocument: { 'Fn::GetAtt': ['Server', 'Arn'] } }] },
        },
      },
    };
    const d = trustFromTemplates([{ account: STAGING, region: 'eu-west-1', template: unresolvable, stackName: 'Staging' }])(query);
    expect(d.trusted).toBe(false);
    expect(d.reason).toContain(`role ${ROLE} in ${STAGING} (${roleId} in stack Staging) could not be resolved from its template: Fn::GetAtt Server.Arn`);
    const withAttrs = trustFromTemplates([{
      account: STAGING, region: 'eu-west-1', template: unresolvable, attributes: { Server: { Arn: 'arn:aws:x' } },
    }]);
    expect(withAttrs(query)).toEqual({ trusted: true });
  });
});
