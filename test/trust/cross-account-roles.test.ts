/**
 * The failback and right-sizing roles: names, paths and policies as the DRS user guide lists
 * them, and trust policies evaluated with the IAM simulator for who may and may not assume them.
 */
import { runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { FailbackAndRightSizingRoles } from '../../src';
import { CfnTemplate, resolve } from '../support/cfn-template';

const THIS = '111111111111';
const TRUSTED = '222222222222';
const REGION = 'us-east-1';
const INSTANCE = `arn:aws:ec2:${REGION}:${THIS}:instance/i-0123456789abcdef0`;

function deployed(trustedAccounts = [TRUSTED]) {
  const stack = new Stack(new App(), 'Roles', { env: { account: THIS, region: REGION } });
  const construct = new FailbackAndRightSizingRoles(stack, 'Failback', { trustedAccounts });
  const template = Template.fromStack(stack).toJSON() as CfnTemplate;
  const ctx = { account: THIS, region: REGION, stackName: 'Roles' };
  const roles = Object.fromEntries(Object.entries(template.Resources!)
    .filter(([, r]) => r.Type === 'AWS::IAM::Role')
    .map(([, r]) => [String(r.Properties!.RoleName), resolve(template, r.Properties, ctx) as any]));
  return { stack, construct, template, roles };
}

/** Whether `principal` may perform `action` (an STS action) on the role, given the role's trust policy only. */
function mayAssume(role: any, principal: string, action: string, context: Record<string, string | string[]> = {}): boolean {
  const roleArn = `arn:aws:iam::${THIS}:role${role.Path}${role.RoleName}`;
  const isIamPrincipal = principal.startsWith('arn:');
  const simulation: Simulation = {
    request: { principal, action, resource: { resource: roleArn, accountId: THIS }, contextVariables: context },
    // The caller's own permissions are granted so that only the trust policy decides.
    identityPolicies: isIamPrincipal
      ? [{ name: 'caller', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:*', Resource: '*' }] } }]
      : [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: { __validated: true, policyDocument: role.AssumeRolePolicyDocument, metadata: { name: 'trust' }, errors: [] },
  };
  return runUnsafeSimulation(simulation, {}) === 'Allowed';
}

describe('FailbackAndRightSizingRoles', () => {
  test('three roles per trusted account, under service-role/, named <Role>_<trusted>, with the documented policies', () => {
    const { roles } = deployed();
    expect(Object.keys(roles).sort()).toEqual([
      `DRSCrossAccountAgentAuthorizedRole_${TRUSTED}`,
      `DRSCrossAccountAgentRole_${TRUSTED}`,
      `DRSCrossAccountReplicationRole_${TRUSTED}`,
    ]);
    for (const role of Object.values<any>(roles)) expect(role.Path).toBe('/service-role/');
    expect(roles[`DRSCrossAccountReplicationRole_${TRUSTED}`].ManagedPolicyArns)
      .toEqual(['arn:aws:iam::aws:policy/service-role/AWSElasticDisasterRecoveryCrossAccountReplicationPolicy']);
    expect(roles[`DRSCrossAccountAgentRole_${TRUSTED}`].ManagedPolicyArns)
      .toEqual(['arn:aws:iam::aws:policy/service-role/AWSElasticDisasterRecoveryEc2InstancePolicy']);
    const authorized = roles[`DRSCrossAccountAgentAuthorizedRole_${TRUSTED}`];
    expect(authorized.ManagedPolicyArns).toBeUndefined();
    const agentRoleThere = `arn:aws:iam::${TRUSTED}:role/service-role/DRSCrossAccountAgentRole_${THIS}`;
    expect(authorized.Policies).toEqual([{
      PolicyName: 'AssumeAgentRole',
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession'], Resource: agentRoleThere },
          { Effect: 'Allow', Action: 'sts:SetSourceIdentity', Resource: agentRoleThere, Condition: { StringLike: { 'sts:SourceIdentity': 'i-*' } } },
        ],
      },
    }]);
  });

  test('the replication role: DRS acting for the trusted account only', () => {
    const role = deployed().roles[`DRSCrossAccountReplicationRole_${TRUSTED}`];
    const forTrusted = (arn: string) => ({ 'aws:SourceAccount': TRUSTED, 'aws:SourceArn': arn });
    const recoveryInstance = `arn:aws:drs:${REGION}:${TRUSTED}:recovery-instance/i-0123456789abcdef0`;
    const sourceServer = `arn:aws:drs:${REGION}:${TRUSTED}:source-server/s-0123456789abcdef0`;
    expect(mayAssume(role, 'drs.amazonaws.com', 'sts:AssumeRole', forTrusted(recoveryInstance))).toBe(true);
    expect(mayAssume(role, 'drs.amazonaws.com', 'sts:AssumeRole', forTrusted(sourceServer))).toBe(true);
    expect(mayAssume(role, 'drs.amazonaws.com', 'sts:SetSourceIdentity', { ...forTrusted(sourceServer), 'sts:SourceIdentity': TRUSTED })).toBe(true);

    // Another account's DRS, another kind of DRS resource, another identity, another service.
    expect(mayAssume(role, 'drs.amazonaws.com', 'sts:AssumeRole', { 'aws:SourceAccount': '333333333333', 'aws:SourceArn': sourceServer.replace(TRUSTED, '333333333333') })).toBe(false);
    expect(mayAssume(role, 'drs.amazonaws.com', 'sts:AssumeRole', forTrusted(`arn:aws:drs:${REGION}:${TRUSTED}:source-network/sn-0123456789abcdef0`))).toBe(false);
    expect(mayAssume(role, 'drs.amazonaws.com', 'sts:AssumeRole')).toBe(false);
    expect(mayAssume(role, 'drs.amazonaws.com', 'sts:SetSourceIdentity', { ...forTrusted(sourceServer), 'sts:SourceIdentity': '333333333333' })).toBe(false);
    expect(mayAssume(role, 'ec2.amazonaws.com', 'sts:AssumeRole', forTrusted(sourceServer))).toBe(false);
    expect(mayAssume(role, `arn:aws:iam::${TRUSTED}:root`, 'sts:AssumeRole', forTrusted(sourceServer))).toBe(false);
  });

  test('the agent role: only the trusted account\'s authorized role for this account, source identity an instance', () => {
    const role = deployed().roles[`DRSCrossAccountAgentRole_${TRUSTED}`];
    const authorized = `arn:aws:iam::${TRUSTED}:role/service-role/DRSCrossAccountAgentAuthorizedRole_${THIS}`;
    const as = (arn: string) => ({ 'aws:PrincipalArn': arn });
    expect(mayAssume(role, authorized, 'sts:AssumeRole', as(authorized))).toBe(true);
    expect(mayAssume(role, authorized, 'sts:TagSession', as(authorized))).toBe(true);
    expect(mayAssume(role, authorized, 'sts:SetSourceIdentity', { ...as(authorized), 'sts:SourceIdentity': 'i-0123456789abcdef0' })).toBe(true);

    const other = `arn:aws:iam::${TRUSTED}:role/Admin`;
    expect(mayAssume(role, other, 'sts:AssumeRole', as(other))).toBe(false);
    const forOtherAccount = authorized.replace(`_${THIS}`, '_333333333333');
    expect(mayAssume(role, forOtherAccount, 'sts:AssumeRole', as(forOtherAccount))).toBe(false);
    expect(mayAssume(role, authorized, 'sts:SetSourceIdentity', { ...as(authorized), 'sts:SourceIdentity': 'admin' })).toBe(false);
  });

  test('the agent authorized role: this account\'s instance sessions tagged with their own instance', () => {
    const role = deployed().roles[`DRSCrossAccountAgentAuthorizedRole_${TRUSTED}`];
    const instanceRole = `arn:aws:sts::${THIS}:assumed-role/AWSElasticDisasterRecoveryRecoveryInstanceRole/i-0123456789abcdef0`;
    const tagged = (tag: string) => ({
      'ec2:SourceInstanceARN': INSTANCE,
      'aws:RequestTag/SourceInstanceARN': tag,
      'aws:TagKeys': ['SourceInstanceARN'],
      'sts:TransitiveTagKeys': ['SourceInstanceARN'],
    });
    expect(mayAssume(role, instanceRole, 'sts:AssumeRole', tagged(INSTANCE))).toBe(true);
    expect(mayAssume(role, instanceRole, 'sts:TagSession', tagged(INSTANCE))).toBe(true);

    // Claiming another instance, not passing the tag on, or from another account.
    expect(mayAssume(role, instanceRole, 'sts:AssumeRole', tagged(INSTANCE.replace('i-0123', 'i-9999')))).toBe(false);
    expect(mayAssume(role, instanceRole, 'sts:AssumeRole', { ...tagged(INSTANCE), 'sts:TransitiveTagKeys': [] })).toBe(false);
    expect(mayAssume(role, instanceRole.replace(THIS, TRUSTED), 'sts:AssumeRole', tagged(INSTANCE))).toBe(false);
  });

  test('roles are found per trusted account; unknown accounts are named in the error', () => {
    const { construct, stack } = deployed([TRUSTED, '333333333333']);
    expect(construct.trustedAccounts).toEqual([TRUSTED, '333333333333']);
    expect(stack.resolve(construct.replicationRoleFor('333333333333').roleName)).toEqual({ Ref: expect.stringMatching(/^FailbackReplicationRole333333333333/) });
    expect(stack.resolve(construct.agentRoleFor(TRUSTED).roleName)).toEqual({ Ref: expect.stringMatching(/^FailbackAgentRole222222222222/) });
    expect(stack.resolve(construct.agentAuthorizedRoleFor(TRUSTED).roleName)).toEqual({ Ref: expect.stringMatching(/^FailbackAgentAuthorizedRole/) });
    expect(() => construct.agentRoleFor('444444444444'))
      .toThrow("FailbackAndRightSizingRoles Roles/Failback: '444444444444' is not one of its trustedAccounts (222222222222, 333333333333)");
  });

  test('validates the accounts, naming the construct and the prop', () => {
    const stack = new Stack(new App(), 'Roles', { env: { account: THIS, region: REGION } });
    expect(() => new FailbackAndRightSizingRoles(stack, 'A', { trustedAccounts: [] }))
      .toThrow('FailbackAndRightSizingRoles Roles/A: trustedAccounts must list at least one account');
    expect(() => new FailbackAndRightSizingRoles(stack, 'B', { trustedAccounts: ['12345'] }))
      .toThrow("trustedAccounts[0] must be a 12-digit AWS account id, got '12345'");
    expect(() => new FailbackAndRightSizingRoles(stack, 'C', { trustedAccounts: [TRUSTED, TRUSTED] }))
      .toThrow(`trustedAccounts lists '${TRUSTED}' more than once`);
    expect(() => new FailbackAndRightSizingRoles(stack, 'D', { trustedAccounts: [THIS] }))
      .toThrow(`trustedAccounts lists this stack's own account ${THIS}`);
  });

  test('in an environment-agnostic stack the names use the deploy-time account', () => {
    const stack = new Stack(new App(), 'Agnostic');
    new FailbackAndRightSizingRoles(stack, 'Failback', { trustedAccounts: [TRUSTED] });
    const authorized = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Role'))
      .find((r) => r.Properties.RoleName === `DRSCrossAccountAgentAuthorizedRole_${TRUSTED}`)!;
    expect(JSON.stringify(authorized.Properties.Policies)).toContain(JSON.stringify({ Ref: 'AWS::AccountId' }));
  });

  test('each AWS managed policy is acknowledged for cdk-nag with a reason', () => {
    const { construct } = deployed();
    const acks = construct.node.findAll().flatMap((c) => c.node.metadata
      .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
      .flatMap((m) => Object.entries(m.data as Record<string, string>)));
    expect(acks.map(([id]) => id.replace(/^annotation::/i, '')).sort()).toEqual([
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSElasticDisasterRecoveryCrossAccountReplicationPolicy]',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSElasticDisasterRecoveryEc2InstancePolicy]',
      // The agent-authorized role's own policy, from the DRS user guide.
      'HIPAA.Security-IAMNoInlinePolicy',
      'NIST.800.53.R5-IAMNoInlinePolicy',
      'PCI.DSS.321-IAMNoInlinePolicy',
    ]);
    for (const [id, reason] of acks) expect(reason).toMatch(id.includes('AwsSolutions') ? /DRS requires/ : /DRS user guide/);
  });
});
