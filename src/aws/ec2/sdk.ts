/**
 * The one place deployed code imports the EC2 client from (launch settings: the launch template
 * DRS keeps for each source server). A devDependency pinned like the DRS client and bundled by
 * esbuild into the handler asset.
 */
export {
  CreateLaunchTemplateVersionCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  ModifyLaunchTemplateCommand,
} from '@aws-sdk/client-ec2';
export type {
  EC2ClientConfig,
  LaunchTemplateInstanceNetworkInterfaceSpecificationRequest,
  LaunchTemplateTagSpecificationRequest,
  LaunchTemplateVersion,
  RequestLaunchTemplateData,
} from '@aws-sdk/client-ec2';
