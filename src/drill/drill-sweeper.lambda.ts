/**
 * Entry point of a drill's sweeper (see runtime/sweep.ts), invoked by EventBridge: on a schedule,
 * and when the drill's state machine reports an execution ABORTED, TIMED_OUT or FAILED. The
 * event's shape is the "Step Functions Execution Status Change" event (source `aws.states`;
 * `detail` with `executionArn`, `stateMachineArn`, `name`, `status`, `startDate`, `stopDate`,
 * `input`, `output`: Step Functions Developer Guide, "EventBridge (CloudWatch Events) for Step
 * Functions execution status changes", https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html);
 * the sweeper only logs which execution ended, and sweeps every ended execution of the drill.
 *
 * Writes its figures as an EMF line (stdout) and fails (a function error, which the construct's
 * alarm also counts) when something could not be removed, so the next run tries again.
 */
import { DrsClient } from '../aws/drs/sdk';
import { createSfnClient } from '../aws/sfn/executions';
import type { SFNClient } from '../aws/sfn/sdk';
import { SWEEP_CONFIG_ENV, SweepConfig, SweepResult } from '../contract/drill-sweeper';
import { sweep, sweepEmfLine, triggerOf } from './runtime/sweep';

let drs: DrsClient | undefined;
let sfn: SFNClient | undefined;

export async function handler(event: unknown): Promise<SweepResult> {
  const raw = process.env[SWEEP_CONFIG_ENV];
  if (!raw) throw new Error(`${SWEEP_CONFIG_ENV} is not set: this function is the sweeper of a RecoveryDrill and is configured by it`);
  const config = JSON.parse(raw) as SweepConfig;
  // The SDK's standard retries (throttling, internal errors); endpoints the SDK's standard way.
  drs ??= new DrsClient({ region: process.env.AWS_REGION, maxAttempts: 5 });
  sfn ??= createSfnClient(process.env);
  const result = await sweep({ drs, sfn }, config, triggerOf(event));
  console.log(sweepEmfLine(result, Date.now()));
  console.log(JSON.stringify({ sweep: result }));
  if (result.failures.length > 0) {
    throw new Error(`drill ${config.DrillName}: the sweeper could not clean up everything (the next run tries again): ${result.failures.join('; ')}`);
  }
  return result;
}
