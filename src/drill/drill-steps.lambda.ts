/**
 * Entry point of the drill's Lambda steps, invoked by the `RecoveryDrill` state machine: `plan`
 * (what to drill, in which waves, and the facts its Choice states decide on) and `collect` (per
 * server outcomes and recovery times, the result event and metrics, and the instances the
 * clean-up terminates), `recheck` (before each wave: the plan's safety facts again, for the wave), `judge` (the same, once the checks ran on each server) and `launchActionRuns` (one server's runs of the drill's launch actions). Reads only: every DRS change is a state of the state machine.
 */
import { DrsClient } from '../aws/drs/sdk';
import { CollectRequest, CollectResult, JudgeRequest, LaunchActionRunsRequest, LaunchActionRunsResult, PlanRequest, PlanResult, RecheckRequest, RecheckResult } from '../contract/drill';
import { collect, judge } from './runtime/collect';
import { launchActionRuns } from './runtime/launch-action-runs';
import { plan } from './runtime/plan';
import { recheck } from './runtime/recheck';

let client: DrsClient | undefined;

export async function handler(
  event: PlanRequest | RecheckRequest | CollectRequest | JudgeRequest | LaunchActionRunsRequest,
): Promise<PlanResult | RecheckResult | CollectResult | LaunchActionRunsResult> {
  // The SDK's standard retries (throttling, internal errors); the endpoint the SDK's standard way.
  client ??= new DrsClient({ region: process.env.AWS_REGION, maxAttempts: 5 });
  switch (event?.Step) {
    case 'plan': return plan(client, event);
    case 'recheck': return recheck(client, event);
    case 'collect': return collect(client, event);
    case 'judge': return judge(event);
    case 'launchActionRuns': return launchActionRuns(client, event);
    default: throw new Error(`unknown drill step ${JSON.stringify((event as { Step?: unknown })?.Step)}: this function serves 'plan', 'recheck', 'collect', 'judge' and 'launchActionRuns' of RecoveryDrill`);
  }
}
