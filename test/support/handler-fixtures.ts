import {
  ConflictException,
  DrsServiceException,
  InternalServerException,
  ResourceNotFoundException,
  SourceServer,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-drs';
import { OwnerTags, parseSourceServerArn } from '../../src/contract';
import { LifecycleOptions } from '../../src/servers/runtime/options';
import { ExtendedSourceServerInput } from '../../src/servers/runtime/properties';

export const TARGET = '222222222222';
export const STAGING = '111111111111';
export const REGION = 'us-east-1';
export const STACK_ID = `arn:aws:cloudformation:${REGION}:${TARGET}:stack/Target/11111111-2222-3333-4444-555555555555`;
export const LOGICAL_ID = 'Server1';
export const STAGING_ID = 's-1111111111111111a';
export const STAGING_ARN = `arn:aws:drs:${REGION}:${STAGING}:source-server/${STAGING_ID}`;
export const OTHER_STAGING_ARN = `arn:aws:drs:${REGION}:${STAGING}:source-server/s-1111111111111111b`;
export const SERVER_ID = 's-2222222222222222a';
export const NEW_SERVER_ID = 's-2222222222222222b';
export const OWNER = { stackId: STACK_ID, logicalId: LOGICAL_ID };
export const OUR_TAGS = { [OwnerTags.STACK_ID]: STACK_ID, [OwnerTags.LOGICAL_ID]: LOGICAL_ID };

export function serverArn(id: string): string {
  return `arn:aws:drs:${REGION}:${TARGET}:source-server/${id}`;
}

/** An extended server in the target account, DescribeSourceServers-shaped. */
export function extendedServer(overrides: Partial<SourceServer> & { status?: string; id?: string; from?: string } = {}): SourceServer {
  const { status = 'EXTENDED', id = SERVER_ID, from = STAGING_ARN, ...rest } = overrides;
  return {
    sourceServerID: id,
    arn: serverArn(id),
    tags: { ...OUR_TAGS },
    stagingArea: { status: status as any, stagingAccountID: parseSourceServerArn(from)!.account, stagingSourceServerArn: from },
    dataReplicationInfo: { dataReplicationState: 'CONTINUOUS' },
    ...rest,
  };
}

export function input(overrides: Partial<{ arn: string; tags: Record<string, string> }> = {}): ExtendedSourceServerInput {
  const arn = overrides.arn ?? STAGING_ARN;
  return { stagingSourceServerArn: arn, staging: parseSourceServerArn(arn)!, tags: overrides.tags ?? { team: 'dr' } };
}

/** A clock that only moves when the code sleeps, and remembers every sleep. */
export class FakeClock {
  t = 1_700_000_000_000;
  readonly sleeps: number[] = [];
  readonly now = () => this.t;
  readonly sleep = async (ms: number) => {
    this.sleeps.push(ms);
    this.t += ms;
  };
}

export function lifecycleOptions(
  clock: FakeClock, overrides: Partial<LifecycleOptions> = {}, logs?: Array<Record<string, unknown>>,
): LifecycleOptions {
  return {
    account: TARGET,
    region: REGION,
    now: clock.now,
    sleep: clock.sleep,
    pollIntervalMs: 1_000,
    deadline: clock.t + 60_000,
    retry: { baseDelayMs: 100, random: () => 0.5, deadline: clock.t + 120_000 },
    log: logs ? (message, fields) => logs.push({ message, ...fields }) : undefined,
    ...overrides,
  };
}

const meta = { $metadata: {} };
export const errors = {
  throttling: (retryAfterSeconds?: string) => new ThrottlingException({ message: 'Rate exceeded', retryAfterSeconds, ...meta }),
  internal: () => new InternalServerException({ message: 'internal failure', ...meta }),
  notFound: (message = 'Source server not found') => new ResourceNotFoundException({ message, resourceId: 'x', resourceType: 'SOURCE_SERVER', ...meta }),
  conflict: (message = 'conflict') => new ConflictException({ message, ...meta }),
  validation: (message = 'invalid', fieldList?: Array<{ name: string; message: string }>) =>
    new ValidationException({ message, reason: 'fieldValidationFailed', fieldList, ...meta }),
  named: (name: string, fields: Record<string, unknown> = {}) => Object.assign(
    new DrsServiceException({ name, $fault: 'client', message: `${name} message`, ...meta }), fields),
};
