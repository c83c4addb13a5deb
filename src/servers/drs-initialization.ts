import { CustomResource } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ResourceTypes, ServiceInitializationAttributes } from '../contract';
import { DrsHandlerProvider } from '../provider/handler-provider';

/**
 * Initializes AWS Elastic Disaster Recovery in this stack's account and Region
 * (`InitializeService`). DRS must be initialized before anything else: in a staging account
 * before servers replicate there, in a target account before servers are extended into it.
 *
 * Idempotent: initializing an account that is already initialized changes nothing, so any
 * number of stacks may declare one. Never undone: deleting it (or the stack) leaves DRS
 * initialized, because other stacks and servers in the account may depend on it.
 *
 * The stack's handler function gets `drs:InitializeService` and may create only what DRS
 * creates when it initializes: its service-linked role and its three instance profiles.
 *
 * @example
 * import { App, Stack } from 'aws-cdk-lib';
 * import { DrsInitialization, ExtendedSourceServer } from 'cdk-drs-multi-account';
 *
 * const app = new App();
 * const target = new Stack(app, 'DrsTarget', { env: { account: '222222222222', region: 'us-east-1' } });
 *
 * const initialization = new DrsInitialization(target, 'Drs');
 * const server = new ExtendedSourceServer(target, 'Web1', {
 *   stagingSourceServerArn: 'arn:aws:drs:us-east-1:111111111111:source-server/s-0a1b2c3d4e5f60001',
 * });
 * // Extend only once DRS is initialized.
 * server.node.addDependency(initialization);
 */
export class DrsInitialization extends Construct {
  /**
   * `true` once DRS is initialized. Referencing it makes a resource wait for the
   * initialization, like `node.addDependency(initialization)`.
   */
  public readonly initialized: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const provider = DrsHandlerProvider.getOrCreate(this);
    provider.addStatementsFor(ResourceTypes.SERVICE_INITIALIZATION);
    const resource = new CustomResource(this, 'Resource', {
      resourceType: ResourceTypes.SERVICE_INITIALIZATION,
      serviceToken: provider.serviceToken,
    });
    provider.serve(resource);
    this.initialized = resource.getAttString(ServiceInitializationAttributes.INITIALIZED);
  }
}
