import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * Settings of a stack's DRS custom-resource handler (the one Lambda function that serves every
 * `ExtendedSourceServer`, `StagingAccountExtension` and `DrsInitialization` of the stack).
 */
export interface DrsHandlerProps {
  /**
   * Run the handler in this VPC. The handler calls only AWS APIs, so subnets without internet
   * access work when the VPC has the endpoints listed in docs/compliance.md: interface endpoints
   * for DRS, CloudFormation and (with a `StagingAccountExtension`) Lambda, with private DNS, and
   * an S3 gateway endpoint for CloudFormation's response URL.
   *
   * @default - not in a VPC
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Where in `vpc` to place the handler's network interfaces.
   *
   * @default - the VPC's private subnets (with egress), else its isolated subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The handler's security groups in `vpc`.
   *
   * @default - a new security group that allows only outbound HTTPS (TCP 443), and nothing in
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * The KMS key that encrypts the handler's log group. The key policy must let
   * `logs.<region>.amazonaws.com` use it (added automatically for a key of the same app;
   * for an imported key, synth warns with the statement to add).
   *
   * @default - a new customer managed key with rotation, used by this log group only
   */
  readonly logEncryptionKey?: kms.IKey;

  /**
   * Reserve this many concurrent executions for the handler (at least 1). Reserved concurrency
   * is taken from the account's unreserved pool, which Lambda keeps at 100 or more, so in
   * accounts with a low concurrency quota a reservation fails the deploy. CloudFormation and the
   * handler's continuations invoke it asynchronously: throttled invocations wait and retry.
   *
   * @default - no reservation: the handler uses the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;

  /**
   * AWS X-Ray tracing of the handler's invocations. In a VPC without internet access,
   * `Tracing.ACTIVE` also needs an X-Ray interface endpoint.
   *
   * @default Tracing.DISABLED
   */
  readonly tracing?: lambda.Tracing;
}
