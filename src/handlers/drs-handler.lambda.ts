/**
 * Entry point of the per-stack custom-resource function (a Lambda-backed custom resource without
 * the Provider framework: it answers CloudFormation itself). Everything else lives in plain
 * modules that the unit tests call directly.
 */
import { createCloudFormationClient } from './cloudformation/client';
import type { CloudFormationClient } from './cloudformation/sdk';
import { LambdaContextLike, runHandler } from './dispatch';
import { createDrsClient } from './drs/client';
import { DrsClient } from './drs/sdk';
import { CloudFormationEvent } from './response';

// One client per container: connections are reused across invocations.
let client: DrsClient | undefined;
let cloudFormation: CloudFormationClient | undefined;

export async function handler(event: CloudFormationEvent, context: LambdaContextLike): Promise<void> {
  client ??= createDrsClient(process.env);
  cloudFormation ??= createCloudFormationClient(process.env);
  await runHandler(event, context, { client, cloudFormation, env: process.env });
}
