/**
 * The one place deployed code imports the Step Functions client from. A devDependency pinned at
 * the DRS client's version: esbuild bundles it into the assets that use it.
 */
export {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
export type { ExecutionStatus } from '@aws-sdk/client-sfn';
