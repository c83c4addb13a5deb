/**
 * The one place the handler imports the CloudFormation client from (a devDependency bundled
 * into the handler asset, like the DRS client: see ../drs/sdk.ts).
 */
export {
  CloudFormationClient,
  DescribeStackResourceCommand,
  DescribeStacksCommand,
  ListStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
export type { CloudFormationClientConfig } from '@aws-sdk/client-cloudformation';
