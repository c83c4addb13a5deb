/**
 * The one place the handler imports the DRS client from. It is a devDependency on purpose:
 * esbuild bundles the pinned version into the handler asset, so the deployed code is the
 * tested code, and the published library does not depend on it.
 */
export {
  CreateExtendedSourceServerCommand,
  DeleteLaunchActionCommand,
  DeleteSourceServerCommand,
  DescribeJobLogItemsCommand,
  DescribeJobsCommand,
  DescribeRecoveryInstancesCommand,
  DescribeSourceServersCommand,
  DisconnectSourceServerCommand,
  DrsClient,
  GetLaunchConfigurationCommand,
  InitializeServiceCommand,
  ListExtensibleSourceServersCommand,
  ListLaunchActionsCommand,
  ListStagingAccountsCommand,
  TagResourceCommand,
  TerminateRecoveryInstancesCommand,
  UntagResourceCommand,
  UpdateLaunchConfigurationCommand,
} from '@aws-sdk/client-drs';
export type {
  DescribeSourceServersRequestFilters,
  DrsClientConfig,
  Job,
  JobLog,
  LaunchConfiguration,
  UpdateLaunchConfigurationRequest,
  LaunchActionRun,
  RecoveryInstance,
  SourceServer,
  StagingSourceServer,
} from '@aws-sdk/client-drs';
