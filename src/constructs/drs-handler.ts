import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { DrsHandlerProvider } from './handler-provider';

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

/**
 * The stack's DRS custom-resource handler. Every stack that declares a DRS resource gets one
 * handler function with default settings; call `DrsHandler.configure` before the first DRS
 * construct of a stack to choose its settings (VPC, log encryption key, reserved concurrency,
 * tracing) once for the whole stack.
 *
 * @example
 * import { App, Stack } from 'aws-cdk-lib';
 * import * as ec2 from 'aws-cdk-lib/aws-ec2';
 * import { DrsHandler, ExtendedSourceServer } from 'cdk-drs-multi-account';
 *
 * const app = new App();
 * const target = new Stack(app, 'DrsTarget', { env: { account: '222222222222', region: 'us-east-1' } });
 * const vpc = new ec2.Vpc(target, 'Vpc', {
 *   subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
 * });
 * vpc.addInterfaceEndpoint('Drs', { service: ec2.InterfaceVpcEndpointAwsService.ELASTIC_DISASTER_RECOVERY });
 * vpc.addInterfaceEndpoint('CloudFormation', { service: ec2.InterfaceVpcEndpointAwsService.CLOUDFORMATION });
 * vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
 *
 * DrsHandler.configure(target, {
 *   vpc,
 *   vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
 *   reservedConcurrentExecutions: 10,
 * });
 * new ExtendedSourceServer(target, 'Web1', {
 *   stagingSourceServerArn: 'arn:aws:drs:us-east-1:111111111111:source-server/s-0a1b2c3d4e5f60001',
 * });
 */
export class DrsHandler {
  /**
   * Creates the handler of `scope`'s stack with these settings and returns its function.
   *
   * The stack has one handler, so its settings are chosen once: call this before the first DRS
   * construct of the stack. Calling it again with the same settings returns the same function;
   * different settings, or a call after a DRS construct created the handler with the defaults,
   * fail at synth naming the setting.
   */
  public static configure(scope: IConstruct, props: DrsHandlerProps): lambda.IFunction {
    return DrsHandlerProvider.configure(scope, props).handlerFunction;
  }

  private constructor() {}
}
