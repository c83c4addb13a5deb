/**
 * Generated drill executions (fast-check): a drill's shape (servers over one or two staging
 * accounts, wave tags, serversPerJob, checks, keepInstancesFor, RTO, timeout), each server's fate
 * in DRS (launches, fails, launches slowly, its terminate fails, its EC2 check is impaired, its
 * SSM run fails), the local DRS's readings, and faults at any point of the execution: before the
 * n-th Task attempt of the state machine (README, "Generated executions"). Plain data, so a
 * shrunk execution prints as JSON and replays as a regression.
 */
import * as fc from 'fast-check';

export type CheckKind = 'ec2' | 'ssm' | 'lambda';
export type Fate = 'launches' | 'failsLaunch' | 'slowLaunch' | 'failsTerminate' | 'impaired' | 'ssmFails';
export type DrsOperation = 'StartRecovery' | 'DescribeJobs' | 'DescribeRecoveryInstances' | 'TerminateRecoveryInstances' | 'DescribeJobLogItems' | 'DescribeSourceServers';

export type Fault =
  /** The next `count` calls of `operation` (anyone's) answer ThrottlingException. */
  | { readonly at: number; readonly kind: 'throttle'; readonly operation: DrsOperation; readonly count: number }
  /** The next `count` calls of `operation` answer InternalServerException. */
  | { readonly at: number; readonly kind: 'internalError'; readonly operation: DrsOperation; readonly count: number }
  /** The next successful call of `operation` takes effect, its response is lost. */
  | { readonly at: number; readonly kind: 'loseResponse'; readonly operation: DrsOperation }
  /** The account's other jobs take the servers-in-active-jobs quota for `tasks` Task attempts. */
  | { readonly at: number; readonly kind: 'quota'; readonly tasks: number }
  /** A person starts a real recovery of drilled server `server` (a no-op if DRS refuses it). */
  | { readonly at: number; readonly kind: 'realRecovery'; readonly server: number }
  /** A second execution of the same drill starts (a schedule and a manual start). */
  | { readonly at: number; readonly kind: 'secondExecution' }
  | { readonly at: number; readonly kind: 'stopExecution' }
  | { readonly at: number; readonly kind: 'timeOut' }
  /** The stack is deleted: the execution stops and the stack's resources are gone. */
  | { readonly at: number; readonly kind: 'stackDeleted' }
  /** The staging server of drilled server `server` is deleted: its extension turns EXTENSION_ERROR. */
  | { readonly at: number; readonly kind: 'extensionRemoved'; readonly server: number };

export type FaultKind = Fault['kind'];

export interface DrillShape {
  /** Each server's staging account (0 or 1), wave tag value (undefined: no tag) and fate. */
  readonly servers: ReadonlyArray<{ readonly staging: 0 | 1; readonly wave?: number; readonly fate: Fate; readonly slowSeconds: number }>;
  readonly waveTags: boolean;
  readonly serversPerJob: number;
  readonly checks: readonly CheckKind[];
  readonly keepInstancesForMinutes?: number;
  readonly rtoMinutes?: number;
  readonly timeoutMinutes: number;
}

export interface Readings {
  readonly initiatedBy: 'targetAccount' | 'operation';
  readonly terminateJobsCountAgainstActiveServers: boolean;
}

export interface DrillExecution {
  readonly shape: DrillShape;
  readonly readings: Readings;
  readonly faults: readonly Fault[];
}

export interface GeneratorOptions {
  readonly maxServers?: number;
  readonly maxFaults?: number;
  readonly excludeFaults?: readonly FaultKind[];
}

const OPERATIONS: DrsOperation[] = ['StartRecovery', 'DescribeJobs', 'DescribeRecoveryInstances', 'TerminateRecoveryInstances', 'DescribeJobLogItems', 'DescribeSourceServers'];

/** Task attempts at which a fault may strike: a small drill makes about 10 to 60. */
const AT = fc.integer({ min: 0, max: 40 });

export function faultArbitrary(servers: number, exclude: readonly FaultKind[] = []): fc.Arbitrary<Fault> {
  const server = fc.integer({ min: 0, max: Math.max(0, servers - 1) });
  const op = fc.constantFrom(...OPERATIONS);
  const all: Array<[FaultKind, fc.Arbitrary<Fault>]> = [
    ['throttle', fc.record({ at: AT, kind: fc.constant('throttle' as const), operation: op, count: fc.integer({ min: 1, max: 8 }) })],
    ['internalError', fc.record({ at: AT, kind: fc.constant('internalError' as const), operation: op, count: fc.integer({ min: 1, max: 8 }) })],
    ['loseResponse', fc.record({ at: AT, kind: fc.constant('loseResponse' as const), operation: op })],
    ['quota', fc.record({ at: AT, kind: fc.constant('quota' as const), tasks: fc.integer({ min: 1, max: 10 }) })],
    ['realRecovery', fc.record({ at: AT, kind: fc.constant('realRecovery' as const), server })],
    ['secondExecution', fc.record({ at: AT, kind: fc.constant('secondExecution' as const) })],
    ['stopExecution', fc.record({ at: AT, kind: fc.constant('stopExecution' as const) })],
    ['timeOut', fc.record({ at: AT, kind: fc.constant('timeOut' as const) })],
    ['stackDeleted', fc.record({ at: AT, kind: fc.constant('stackDeleted' as const) })],
    ['extensionRemoved', fc.record({ at: AT, kind: fc.constant('extensionRemoved' as const), server })],
  ];
  return fc.oneof(...all.filter(([k]) => !exclude.includes(k)).map(([, a]) => a));
}

export function executionArbitrary(o: GeneratorOptions = {}): fc.Arbitrary<DrillExecution> {
  const maxServers = o.maxServers ?? 6;
  return fc.record({
    count: fc.integer({ min: 1, max: maxServers }),
    twoStaging: fc.boolean(),
    waveTags: fc.boolean(),
  }).chain(({ count, twoStaging, waveTags }) => fc.record({
    shape: fc.record({
      servers: fc.array(fc.record({
        staging: twoStaging ? fc.constantFrom<0 | 1>(0, 1) : fc.constant<0 | 1>(0),
        wave: waveTags ? fc.integer({ min: 1, max: 3 }) : fc.constant(undefined),
        fate: fc.oneof(
          { weight: 6, arbitrary: fc.constant<Fate>('launches') },
          { weight: 1, arbitrary: fc.constantFrom<Fate>('failsLaunch', 'slowLaunch', 'failsTerminate', 'impaired', 'ssmFails') },
        ),
        slowSeconds: fc.integer({ min: 60, max: 900 }),
      }), { minLength: count, maxLength: count }),
      waveTags: fc.constant(waveTags),
      serversPerJob: fc.integer({ min: 1, max: 4 }),
      checks: fc.subarray<CheckKind>(['ec2', 'ssm', 'lambda']),
      keepInstancesForMinutes: fc.option(fc.constantFrom(5, 30), { nil: undefined }),
      rtoMinutes: fc.option(fc.integer({ min: 5, max: 30 }), { nil: undefined }),
      timeoutMinutes: fc.integer({ min: 6, max: 60 }),
      // RecoveryDrill refuses at synth an RTO longer than its timeout (it could never be measured).
    }).map((s) => ({ ...s, rtoMinutes: s.rtoMinutes === undefined ? undefined : Math.min(s.rtoMinutes, s.timeoutMinutes) })),
    readings: fc.record({
      initiatedBy: fc.constantFrom<Readings['initiatedBy']>('targetAccount', 'operation'),
      terminateJobsCountAgainstActiveServers: fc.boolean(),
    }),
    faults: fc.array(faultArbitrary(count, o.excludeFaults), { maxLength: o.maxFaults ?? 3 }),
  }));
}
