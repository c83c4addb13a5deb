/**
 * The one place the handler imports the DRS client from. It is a devDependency on purpose:
 * esbuild bundles the pinned version into the handler asset, so the deployed code is the
 * tested code, and the published library does not depend on it.
 */
// eslint-disable-next-line import/no-extraneous-dependencies
export {
  CreateExtendedSourceServerCommand,
  DeleteSourceServerCommand,
  DescribeSourceServersCommand,
  DisconnectSourceServerCommand,
  DrsClient,
  InitializeServiceCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-drs';
// eslint-disable-next-line import/no-extraneous-dependencies
export type { DescribeSourceServersRequestFilters, DrsClientConfig, SourceServer } from '@aws-sdk/client-drs';
