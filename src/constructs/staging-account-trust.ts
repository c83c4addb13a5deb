import { Aws, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { Limits, StagingTrust, stagingAccountRoleName } from '../contract';
import { acknowledgeFinding } from './nag';
import { checkAccountList, throwIfProblems } from './validation';

/**
 * Properties for a `StagingAccountTrust`.
 */
export interface StagingAccountTrustProps {
  /**
   * The target accounts that may extend this staging account's source servers
   * (12-digit account ids, no duplicates).
   *
   * DRS allows at most 100 trusted accounts per account. A commercial account can only trust
   * commercial accounts, a GovCloud account only GovCloud accounts.
   */
  readonly targetAccounts: string[];
}

/**
 * Makes this (staging) account trusted by DRS in each target account, so the target accounts
 * can extend the source servers replicating here.
 *
 * For each target account it creates the role DRS looks for,
 * `service-role/DRSStagingAccountRole_<target>`, with the trust policy of the DRS user guide and
 * the AWS managed policy `AWSElasticDisasterRecoveryStagingAccountPolicy_v2`. Deleting the role
 * removes the trust. DRS must be initialized in this account and Region.
 *
 * Deploy this in the staging account before extending servers from the target accounts.
 */
export class StagingAccountTrust extends Construct {
  /** The trusted target accounts, as given. */
  public readonly targetAccounts: string[];

  /** One role per target account, in the order of `targetAccounts`. */
  public readonly roles: iam.IRole[];

  // Kept by account so grants added later (for example on a KMS key) can find each role.
  private readonly roleByAccount = new Map<string, iam.Role>();

  constructor(scope: Construct, id: string, props: StagingAccountTrustProps) {
    super(scope, id);
    throwIfProblems('StagingAccountTrust', this,
      checkAccountList('targetAccounts', props.targetAccounts, Limits.MAX_TRUSTED_ACCOUNTS));

    this.targetAccounts = [...props.targetAccounts];
    this.roles = this.targetAccounts.map((target, i) => {
      const role = this.createRole(target, Token.isUnresolved(target) ? `Role${i}` : `Role${target}`);
      this.roleByAccount.set(target, role);
      return role;
    });
  }

  /**
   * The role that trusts `targetAccount`.
   *
   * @param targetAccount one of `targetAccounts`
   */
  public roleFor(targetAccount: string): iam.IRole {
    const role = this.roleByAccount.get(targetAccount);
    if (!role) {
      throw new Error(`StagingAccountTrust ${this.node.path}: '${targetAccount}' is not one of its targetAccounts ` +
        `(${this.targetAccounts.join(', ')})`);
    }
    return role;
  }

  private createRole(targetAccount: string, id: string): iam.Role {
    const role = new iam.Role(this, id, {
      roleName: stagingAccountRoleName(targetAccount),
      path: StagingTrust.ROLE_PATH,
      assumedBy: new DrsStagingTrustPrincipal(targetAccount),
      description: `Lets AWS Elastic Disaster Recovery in account ${targetAccount} extend this account's source servers`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(StagingTrust.MANAGED_POLICY_NAME)],
    });
    acknowledgeFinding(role,
      `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${StagingTrust.MANAGED_POLICY_NAME}]`,
      'DRS requires this AWS managed policy on the staging account role; AWS keeps it in step with the service.');
    return role;
  }
}

/**
 * The DRS service principal, writing the whole trust statement itself: one statement with both
 * `sts:AssumeRole` and `sts:SetSourceIdentity`, scoped to DRS source servers of the target account
 * (the default principal would add a second statement per action).
 */
class DrsStagingTrustPrincipal extends iam.ServicePrincipal {
  constructor(private readonly targetAccount: string) {
    super(StagingTrust.SERVICE_PRINCIPAL);
  }

  public addToAssumeRolePolicy(document: iam.PolicyDocument): void {
    document.addStatements(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(StagingTrust.SERVICE_PRINCIPAL)],
      actions: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
      conditions: {
        StringLike: {
          'sts:SourceIdentity': this.targetAccount,
          'aws:SourceAccount': this.targetAccount,
        },
        ArnLike: {
          'aws:SourceArn': `arn:${Aws.PARTITION}:drs:*:*:source-server/*`,
        },
      },
    }));
  }
}
