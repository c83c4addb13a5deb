/**
 * Entry point of the per-stack custom-resource function (a Lambda-backed custom resource without
 * the Provider framework: it answers CloudFormation itself). Everything else lives in plain
 * modules that the unit tests call directly.
 *
 * Lambda calls `handler`: production timings, endpoints from the SDK's standard configuration,
 * answers to https ResponseURLs only. Nothing in the environment or the event changes that.
 * `createHandler` builds the same handler with other timings and another response sender; only
 * code that loads this bundle itself can call it (the local test runner does).
 */
import { HandlerTiming, LambdaContextLike, runHandler } from './runtime/dispatch';
import { CloudFormationEvent, PutFunction } from './runtime/response';
import { createCloudFormationClient } from '../aws/cloudformation/client';
import type { CloudFormationClient } from '../aws/cloudformation/sdk';
import { createDrsClient } from '../aws/drs/client';
import { DrsClient } from '../aws/drs/sdk';
import { createEc2Client } from '../aws/ec2/client';
import type { EC2Client } from '../aws/ec2/sdk';

export interface HandlerOptions {
  readonly timing?: HandlerTiming;
  /** @default an https-only PUT */
  readonly put?: PutFunction;
}

export type Handler = (event: CloudFormationEvent, context: LambdaContextLike) => Promise<void>;

export function createHandler(options: HandlerOptions = {}): Handler {
  // One client per container: connections are reused across invocations.
  let client: DrsClient | undefined;
  let cloudFormation: CloudFormationClient | undefined;
  let ec2: EC2Client | undefined;
  return async (event, context) => {
    client ??= createDrsClient(process.env);
    cloudFormation ??= createCloudFormationClient(process.env);
    ec2 ??= createEc2Client(process.env);
    await runHandler(event, context, { client, cloudFormation, ec2, env: process.env, timing: options.timing, put: options.put });
  };
}

export const handler: Handler = createHandler();
