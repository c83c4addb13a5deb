import { Aws, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeFinding, acknowledgeInlinePolicy } from '../common/nag';
import { checkAccountList, throwIfProblems } from '../common/validation';
import { Limits, StagingTrust } from '../contract';

/** Role names and AWS managed policies of the DRS user guide ("Adding a trusted account"). */
const REPLICATION_ROLE = 'DRSCrossAccountReplicationRole';
const AGENT_ROLE = 'DRSCrossAccountAgentRole';
const AGENT_AUTHORIZED_ROLE = 'DRSCrossAccountAgentAuthorizedRole';
const REPLICATION_POLICY = 'service-role/AWSElasticDisasterRecoveryCrossAccountReplicationPolicy';
const AGENT_POLICY = 'service-role/AWSElasticDisasterRecoveryEc2InstancePolicy';

/**
 * Properties for `FailbackAndRightSizingRoles`.
 */
export interface FailbackAndRightSizingRolesProps {
  /**
   * The accounts to trust (12-digit account ids, no duplicates, at most 100).
   *
   * Each trusted account needs the same roles for this account in turn, so deploy this construct
   * in both accounts, each trusting the other.
   */
  readonly trustedAccounts: string[];
}

/**
 * The "Failback and in-AWS right-sizing roles" that DRS looks for in an account for each trusted
 * account: what the DRS console creates when a trusted account is added with that option.
 *
 * For each trusted account `<trusted>` it creates, under the path `/service-role/` and with the
 * names DRS requires:
 * - `DRSCrossAccountReplicationRole_<trusted>`, assumed by DRS acting for `<trusted>`
 *   (failback into this account), with `AWSElasticDisasterRecoveryCrossAccountReplicationPolicy`;
 * - `DRSCrossAccountAgentRole_<trusted>`, assumed by the replication agent of an instance in
 *   `<trusted>` through that account's `DRSCrossAccountAgentAuthorizedRole_<this account>`,
 *   with `AWSElasticDisasterRecoveryEc2InstancePolicy`;
 * - `DRSCrossAccountAgentAuthorizedRole_<trusted>`, assumed by instances of this account
 *   (identified by their `SourceInstanceARN` session tag), allowed only to assume
 *   `DRSCrossAccountAgentRole_<this account>` in `<trusted>`.
 *
 * @example
 * import { App, Stack } from 'aws-cdk-lib';
 * import { FailbackAndRightSizingRoles } from 'cdk-drs-multi-account';
 *
 * const app = new App();
 * const staging = new Stack(app, 'DrsStaging', { env: { account: '111111111111', region: 'us-east-1' } });
 * const target = new Stack(app, 'DrsTarget', { env: { account: '222222222222', region: 'us-east-1' } });
 *
 * // Each account trusts the other.
 * new FailbackAndRightSizingRoles(staging, 'FailbackRoles', { trustedAccounts: ['222222222222'] });
 * new FailbackAndRightSizingRoles(target, 'FailbackRoles', { trustedAccounts: ['111111111111'] });
 */
export class FailbackAndRightSizingRoles extends Construct {
  /** The trusted accounts, as given. */
  public readonly trustedAccounts: string[];

  private readonly roles = new Map<string, { replication: iam.Role; agent: iam.Role; agentAuthorized: iam.Role }>();

  constructor(scope: Construct, id: string, props: FailbackAndRightSizingRolesProps) {
    super(scope, id);
    throwIfProblems('FailbackAndRightSizingRoles', this, [
      ...checkAccountList('trustedAccounts', props.trustedAccounts, Limits.MAX_TRUSTED_ACCOUNTS),
      ...ownAccountListed(props.trustedAccounts, Stack.of(this).account),
    ]);
    this.trustedAccounts = [...props.trustedAccounts];
    this.trustedAccounts.forEach((trusted, i) => {
      const suffix = Token.isUnresolved(trusted) ? String(i) : trusted;
      this.roles.set(trusted, {
        replication: this.replicationRole(trusted, suffix),
        agent: this.agentRole(trusted, suffix),
        agentAuthorized: this.agentAuthorizedRole(trusted, suffix),
      });
    });
  }

  /**
   * `DRSCrossAccountReplicationRole_<trustedAccount>`.
   *
   * @param trustedAccount one of `trustedAccounts`
   */
  public replicationRoleFor(trustedAccount: string): iam.IRole {
    return this.rolesOf(trustedAccount).replication;
  }

  /**
   * `DRSCrossAccountAgentRole_<trustedAccount>`.
   *
   * @param trustedAccount one of `trustedAccounts`
   */
  public agentRoleFor(trustedAccount: string): iam.IRole {
    return this.rolesOf(trustedAccount).agent;
  }

  /**
   * `DRSCrossAccountAgentAuthorizedRole_<trustedAccount>`.
   *
   * @param trustedAccount one of `trustedAccounts`
   */
  public agentAuthorizedRoleFor(trustedAccount: string): iam.IRole {
    return this.rolesOf(trustedAccount).agentAuthorized;
  }

  private rolesOf(trustedAccount: string) {
    const roles = this.roles.get(trustedAccount);
    if (!roles) {
      throw new Error(`FailbackAndRightSizingRoles ${this.node.path}: '${trustedAccount}' is not one of its trustedAccounts ` +
        `(${this.trustedAccounts.join(', ')})`);
    }
    return roles;
  }

  private replicationRole(trusted: string, suffix: string): iam.Role {
    const role = new iam.Role(this, `ReplicationRole${suffix}`, {
      roleName: `${REPLICATION_ROLE}_${trusted}`,
      path: StagingTrust.ROLE_PATH,
      assumedBy: new DrsServiceFor(trusted),
      description: `Lets AWS Elastic Disaster Recovery acting for account ${trusted} fail back into this account`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(REPLICATION_POLICY)],
    });
    acknowledgeManagedPolicy(role, REPLICATION_POLICY);
    return role;
  }

  private agentRole(trusted: string, suffix: string): iam.Role {
    const authorizedRoleArn = `arn:${Aws.PARTITION}:iam::${trusted}:role/service-role/${AGENT_AUTHORIZED_ROLE}_${Stack.of(this).account}`;
    const role = new iam.Role(this, `AgentRole${suffix}`, {
      roleName: `${AGENT_ROLE}_${trusted}`,
      path: StagingTrust.ROLE_PATH,
      assumedBy: new AgentRolePrincipal(trusted, authorizedRoleArn),
      description: `Lets the DRS replication agent of instances in account ${trusted} replicate into this account`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(AGENT_POLICY)],
    });
    acknowledgeManagedPolicy(role, AGENT_POLICY);
    return role;
  }

  private agentAuthorizedRole(trusted: string, suffix: string): iam.Role {
    const agentRoleArn = `arn:${Aws.PARTITION}:iam::${trusted}:role/service-role/${AGENT_ROLE}_${Stack.of(this).account}`;
    const role = new iam.Role(this, `AgentAuthorizedRole${suffix}`, {
      roleName: `${AGENT_AUTHORIZED_ROLE}_${trusted}`,
      path: StagingTrust.ROLE_PATH,
      assumedBy: new InstanceSessionPrincipal(),
      description: `Lets DRS replication agents on this account's instances assume ${AGENT_ROLE} in account ${trusted}`,
      inlinePolicies: {
        AssumeAgentRole: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['sts:AssumeRole', 'sts:TagSession'],
              resources: [agentRoleArn],
            }),
            new iam.PolicyStatement({
              actions: ['sts:SetSourceIdentity'],
              resources: [agentRoleArn],
              conditions: { StringLike: { 'sts:SourceIdentity': 'i-*' } },
            }),
          ],
        }),
      },
    });
    acknowledgeInlinePolicy(role, `the DRS user guide gives this role its own policy, for the one agent role of account ${trusted}.`);
    return role;
  }
}

function ownAccountListed(accounts: readonly string[], own: string): string[] {
  if (Token.isUnresolved(own) || Token.isUnresolved(accounts)) return [];
  return accounts.includes(own) ? [`trustedAccounts lists this stack's own account ${own}; list the other accounts`] : [];
}

function acknowledgeManagedPolicy(role: iam.Role, policy: string): void {
  acknowledgeFinding(role, `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${policy}]`,
    'DRS requires this AWS managed policy on its cross-account role; AWS keeps it in step with the service.');
}

/**
 * DRS acting for `trusted`, for source servers and recovery instances (failback). Source identity
 * gets its own statement: a condition on it would refuse an AssumeRole that sets none.
 */
class DrsServiceFor extends iam.ServicePrincipal {
  constructor(private readonly trusted: string) {
    super(StagingTrust.SERVICE_PRINCIPAL);
  }

  public addToAssumeRolePolicy(document: iam.PolicyDocument): void {
    const principals = [new iam.ServicePrincipal(StagingTrust.SERVICE_PRINCIPAL)];
    const fromTrusted = {
      StringEquals: { 'aws:SourceAccount': this.trusted },
      ArnLike: { 'aws:SourceArn': [`arn:${Aws.PARTITION}:drs:*:*:source-server/*`, `arn:${Aws.PARTITION}:drs:*:*:recovery-instance/*`] },
    };
    document.addStatements(
      new iam.PolicyStatement({ principals, actions: ['sts:AssumeRole'], conditions: fromTrusted }),
      new iam.PolicyStatement({
        principals,
        actions: ['sts:SetSourceIdentity'],
        conditions: { ...fromTrusted, StringLike: { 'sts:SourceIdentity': this.trusted } },
      }),
    );
  }
}

/** Only `DRSCrossAccountAgentAuthorizedRole_<this account>` of the trusted account. */
class AgentRolePrincipal extends iam.AccountPrincipal {
  constructor(trusted: string, private readonly authorizedRoleArn: string) {
    super(trusted);
  }

  public addToAssumeRolePolicy(document: iam.PolicyDocument): void {
    // By aws:PrincipalArn, not as the principal itself: IAM refuses a trust policy naming a role
    // that does not exist yet, and each account's roles are deployed separately.
    const fromAuthorizedRole = { ArnEquals: { 'aws:PrincipalArn': this.authorizedRoleArn } };
    const principals = [new iam.AccountPrincipal(this.accountId)];
    document.addStatements(
      new iam.PolicyStatement({ principals, actions: ['sts:AssumeRole', 'sts:TagSession'], conditions: fromAuthorizedRole }),
      new iam.PolicyStatement({
        principals,
        actions: ['sts:SetSourceIdentity'],
        conditions: { ...fromAuthorizedRole, StringLike: { 'sts:SourceIdentity': 'i-*' } },
      }),
    );
  }
}

/**
 * Sessions of this account that carry their instance's ARN as a transitive `SourceInstanceARN`
 * tag: what `AWSElasticDisasterRecoveryEc2InstancePolicy` lets an instance role do.
 */
class InstanceSessionPrincipal extends iam.AccountRootPrincipal {
  public addToAssumeRolePolicy(document: iam.PolicyDocument): void {
    document.addStatements(new iam.PolicyStatement({
      principals: [new iam.AccountRootPrincipal()],
      actions: ['sts:AssumeRole', 'sts:TagSession'],
      conditions: {
        'StringLike': { 'aws:RequestTag/SourceInstanceARN': '${ec2:SourceInstanceARN}' },
        'ForAnyValue:StringEquals': { 'sts:TransitiveTagKeys': 'SourceInstanceARN' },
      },
    }));
  }
}
