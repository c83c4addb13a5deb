import { LifecycleOptions, ResourceOutcome, retrying } from './options';
import { drsFailure } from '../../aws/drs/errors';
import { DrsClient, InitializeServiceCommand } from '../../aws/drs/sdk';
import { silentLogger } from '../../common/runtime/log';
import { ServiceInitializationAttributes } from '../../contract';

/** One initialization per account and Region: the physical id says which. */
export function serviceInitializationId(account: string, region: string): string {
  return `drs-initialization:${account}:${region}`;
}

/** Create and Update: InitializeService is idempotent, so running it again is harmless. */
export async function initializeService(client: DrsClient, options: LifecycleOptions): Promise<ResourceOutcome> {
  const { account, region } = options;
  try {
    await retrying(options, 'InitializeService')(() => client.send(new InitializeServiceCommand({})));
  } catch (err) {
    throw drsFailure(err, { operation: 'InitializeService', account, region });
  }
  (options.log ?? silentLogger)('DRS initialized');
  return {
    physicalResourceId: serviceInitializationId(account, region),
    data: { [ServiceInitializationAttributes.INITIALIZED]: 'true' },
  };
}

/** Delete: never undone. Other stacks and servers in the account may depend on DRS being initialized. */
export function deleteServiceInitialization(physicalResourceId: string, options: LifecycleOptions): ResourceOutcome {
  (options.log ?? silentLogger)('leaving DRS initialized (initialization is never undone)');
  return { physicalResourceId };
}
