/**
 * The vocabulary shared by `RecoveryDrill`'s sweeper construct (which writes the function's
 * configuration at synth time) and the sweeper's deployed code. Internal: not exported from
 * the package's index.
 */
import type { DrillTargets } from './drill';

/** Environment variable holding the sweeper's configuration (JSON of `SweepConfig`). */
export const SWEEP_CONFIG_ENV = 'DRILL_SWEEP_CONFIG';

/** What the sweeper cleans up after: one drill. */
export interface SweepConfig {
  /** The drill's name: the metrics' `DrillName` dimension. */
  readonly DrillName: string;
  /** The value of the drill's tag (`DrillTags.DRILL`) on its recovery jobs. */
  readonly DrillTag: string;
  /** The drill's state machine: its executions are asked whether they still run. */
  readonly StateMachineArn: string;
  /** The drill's launch action ids (SSM document checks); empty without such checks. */
  readonly LaunchActionIds: string[];
  /** The drill's targets, for the servers its launch actions may be on. */
  readonly Targets: DrillTargets;
}

/** One execution the sweeper acted on. */
export interface SweptExecution {
  readonly executionName: string;
  /** The execution's status from DescribeExecution (`GONE` when Step Functions no longer knows it). */
  readonly status: string;
  readonly jobIds: string[];
  readonly recoveryInstanceIds: string[];
}

/** What one sweep did (the function's result, logged too). */
export interface SweepResult {
  readonly drillName: string;
  /** What triggered the sweep: `schedule`, or the status of the execution whose end was reported. */
  readonly trigger: string;
  readonly executions: SweptExecution[];
  /** Executions that run now: nothing of theirs was touched. */
  readonly runningExecutions: string[];
  readonly instancesTerminated: number;
  /** Instances whose TerminateRecoveryInstances DRS refused with a ConflictException: a termination is already under way. */
  readonly instancesAlreadyTerminating: number;
  /** `sourceServerID/actionId` of each launch action removed. */
  readonly launchActionsRemoved: string[];
  /** What could not be removed or checked, one line each (the sweep fails when this is not empty). */
  readonly failures: string[];
}
