import { Annotations, Aws, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { Limits, StagingTrust, stagingAccountRoleName } from '../contract';
import { FailbackAndRightSizingRoles } from './cross-account-roles';
import { acknowledgeFinding } from '../common/nag';
import { checkAccountList, throwIfProblems } from '../common/validation';

/**
 * How a staging account's DRS replication configuration encrypts the replicated volumes (the
 * replication configuration template's `ebsEncryption`).
 */
export enum ReplicationEbsEncryption {
  /**
   * The account's default EBS encryption key (`aws/ebs`). Servers replicated this way cannot be
   * extended: DRS refuses with "cannot be extended if it has the default EBS encryption key".
   */
  DEFAULT = 'DEFAULT',
  /** A customer managed KMS key: grant its use with `StagingAccountTrust.grantKeyUsage()`. */
  CUSTOM = 'CUSTOM',
  /** Not encrypted. */
  NONE = 'NONE',
}

/** Warning ids, for `Annotations.of(scope).acknowledgeWarning(...)`. */
const WARN_DEFAULT_EBS_KEY = 'cdk-drs-multi-account:defaultEbsKey';
const WARN_KEY_POLICY = 'cdk-drs-multi-account:keyPolicyNotChanged';
const DEFAULT_EBS_KEY_ALIAS = 'alias/aws/ebs';

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

  /**
   * How this account's DRS replication configuration encrypts volumes, if you want the library
   * to check it. With `DEFAULT` (the `aws/ebs` key) synth warns: DRS cannot extend such servers.
   *
   * @default - not checked
   */
  readonly replicationEbsEncryption?: ReplicationEbsEncryption;

  /**
   * Also create the "Failback and in-AWS right-sizing roles" for each target account (see
   * `FailbackAndRightSizingRoles`).
   *
   * @default false
   */
  readonly failbackAndRightSizingRoles?: boolean;
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

  /**
   * The failback and right-sizing roles, when `failbackAndRightSizingRoles` is set.
   *
   * @default - none
   */
  public readonly failbackRoles?: FailbackAndRightSizingRoles;

  // Kept by account so grants added later (for example on a KMS key) can find each role.
  private readonly roleByAccount = new Map<string, iam.Role>();

  constructor(scope: Construct, id: string, props: StagingAccountTrustProps) {
    super(scope, id);
    const own = Stack.of(this).account;
    throwIfProblems('StagingAccountTrust', this, [
      ...checkAccountList('targetAccounts', props.targetAccounts, Limits.MAX_TRUSTED_ACCOUNTS),
      ...(Token.isUnresolved(props.targetAccounts) || Token.isUnresolved(own) ? [] : props.targetAccounts.flatMap((account, i) => (account === own
        ? [`targetAccounts[${i}] ${account} is this stack's own account: an account cannot trust itself for DRS. List the target accounts that extend this staging account's servers (other accounts)`]
        : []))),
    ]);

    this.targetAccounts = [...props.targetAccounts];
    this.roles = this.targetAccounts.map((target, i) => {
      const role = this.createRole(target, Token.isUnresolved(target) ? `Role${i}` : `Role${target}`);
      this.roleByAccount.set(target, role);
      return role;
    });
    if (props.failbackAndRightSizingRoles) {
      this.failbackRoles = new FailbackAndRightSizingRoles(this, 'FailbackRoles', { trustedAccounts: this.targetAccounts });
    }
    if (props.replicationEbsEncryption === ReplicationEbsEncryption.DEFAULT) {
      Annotations.of(this).addWarningV2(WARN_DEFAULT_EBS_KEY,
        'replicationEbsEncryption is DEFAULT (the aws/ebs key): DRS cannot extend servers whose volumes use the default EBS key. ' +
        'Encrypt replication with a customer managed KMS key (replication configuration template, ebsEncryption CUSTOM) and call grantKeyUsage(key).');
    }
  }

  /**
   * Lets each target account use `key`, the customer managed KMS key that encrypts this staging
   * account's replicated volumes, to extend servers. Adds to the key policy, for each target
   * account, the two statements of the DRS user guide: `kms:ReEncrypt*` for the staging role
   * `DRSStagingAccountRole_<target>` (called from this account) and for the target account
   * (called from it), both only through EC2 in this Region.
   *
   * A key imported from elsewhere cannot have its policy changed: synth then warns with the
   * statements to add by hand. The default EBS key (`aws/ebs`) cannot be shared at all.
   *
   * @param key the customer managed key of the replication configuration
   */
  public grantKeyUsage(key: kms.IKey): void {
    if (isDefaultEbsKey(key)) {
      Annotations.of(this).addWarningV2(WARN_DEFAULT_EBS_KEY,
        `grantKeyUsage: ${DEFAULT_EBS_KEY_ALIAS} is the AWS managed default EBS key; its policy cannot be changed and DRS cannot ` +
        'extend servers encrypted with it. Use a customer managed KMS key for replication.');
      return;
    }
    const stack = Stack.of(this);
    const viaEc2 = `ec2.${stack.region}.amazonaws.com`;
    const statements = this.targetAccounts.flatMap((target) => [
      new iam.PolicyStatement({
        principals: [new iam.ArnPrincipal(this.roleFor(target).roleArn)],
        actions: ['kms:ReEncrypt*'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:CallerAccount': stack.account, 'kms:ViaService': viaEc2 } },
      }),
      new iam.PolicyStatement({
        principals: [new iam.AccountPrincipal(target)],
        actions: ['kms:ReEncrypt*'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:CallerAccount': target, 'kms:ViaService': viaEc2 } },
      }),
    ]);
    const added = statements.map((statement) => key.addToResourcePolicy(statement).statementAdded);
    if (added.some((ok) => !ok)) {
      Annotations.of(this).addWarningV2(WARN_KEY_POLICY,
        `grantKeyUsage: the policy of the imported key ${describe(key.keyArn)} cannot be changed from this stack. Add to it, ` +
        'for each target account, two statements allowing kms:ReEncrypt* on "*" with StringEquals kms:ViaService ' +
        `"ec2.${describe(stack.region)}.amazonaws.com": one for principal ` +
        `"arn:<partition>:iam::${describe(stack.account)}:role${StagingTrust.ROLE_PATH}${StagingTrust.ROLE_NAME_PREFIX}<target>" ` +
        `with kms:CallerAccount "${describe(stack.account)}", one for principal "arn:<partition>:iam::<target>:root" with kms:CallerAccount "<target>" ` +
        `(target accounts: ${this.targetAccounts.map(describe).join(', ')}).`);
    }
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

/** Whether `key` is known at synth to be the AWS managed default EBS key. */
function isDefaultEbsKey(key: kms.IKey): boolean {
  const aliasName = (key as Partial<kms.IAlias>).aliasName;
  if (typeof aliasName === 'string' && !Token.isUnresolved(aliasName)) return aliasName === DEFAULT_EBS_KEY_ALIAS;
  const arn = key.keyArn;
  return !Token.isUnresolved(arn) && arn.endsWith(`:${DEFAULT_EBS_KEY_ALIAS}`);
}

/** A value for a message: its text, or a placeholder when only known at deploy time. */
function describe(value: string): string {
  return Token.isUnresolved(value) ? '<deploy-time value>' : value;
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
