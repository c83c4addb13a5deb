import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { DrsHandlerProps } from './drs-handler-props';
import { DrsHandlerProvider } from './handler-provider';

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
