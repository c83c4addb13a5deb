/**
 * The demo's drill step: a RecoveryDrill of the extended servers, its state machine taken from
 * the synthesized template and run by the States Language interpreter against the local DRS (the
 * drill's Wait states advance the local DRS's clock). Prints each server's recovery time and the
 * clean-up, and checks that no drill instance is left and that a recovery instance someone
 * launched by hand before the drill was not touched.
 */
import { DescribeRecoveryInstancesCommand, DrsClient } from '@aws-sdk/client-drs';
import { App, Stack } from 'aws-cdk-lib';
import { ExtendedServerSelector, RecoveryDrill } from '../../src';
import { definitionsFrom, drillAuthorizers, runDrill } from '../drill/harness';
import { LocalDrs } from '../local-drs';
import { CfnTemplate } from '../support/cfn-template';

export interface DemoDrillOptions {
  readonly drs: LocalDrs;
  readonly account: string;
  readonly region: string;
  /** The extended servers' `Application` tag value (the drill selects by it). */
  readonly application: string;
  readonly say: (line?: string) => void;
  readonly table: (rows: string[][]) => void;
}

export async function demoDrill(o: DemoDrillOptions): Promise<void> {
  const { drs, account, region, say } = o;
  const servers = drs.inventory(account, region).map((s) => s.sourceServerID!);
  // Someone launched a drill instance by hand for the last server before the drill.
  const byHand = drs.addRecoveryInstance(account, region, servers[servers.length - 1]);
  say(`   a recovery instance ${byHand} launched by hand for ${servers[servers.length - 1]} exists before the drill`);

  const app = new App();
  const stack = new Stack(app, 'DrillStack', { env: { account, region } });
  // The hand-launched server is skipped, and named in the result: the demo's drill allows that skip.
  new RecoveryDrill(stack, 'Drill', { extendedServerSelector: ExtendedServerSelector.tagEquals('Application', o.application), drillName: 'demo-drill', allowSkippedServers: true });
  const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
  const ctx = { account, region, stackName: stack.stackName };
  const [definition] = Object.values(definitionsFrom(template, ctx));
  const states = Object.keys(definition.States).length;
  say(`   RecoveryDrill synthesized: a state machine of ${states} states; run by the States Language interpreter, DRS calls authorized with the drill's roles`);

  const run = await runDrill({
    definition,
    endpoint: drs.endpoint,
    region,
    credentials: drs.credentialsFor(account),
    advance: (ms) => drs.advanceTime(ms),
    executionName: 'demo-drill-1',
    input: { reason: 'demo' },
    // DRS evaluates IAM with the drill's own roles, as deployed.
    iam: { ...drillAuthorizers(template, ctx), set: (a) => drs.setAuthorizer(account, a) },
  });
  const detail = run.events[0]?.Detail;
  if (!detail) throw new Error(`the drill put no result event (${run.error}: ${run.cause})`);
  say();
  o.table([
    ['server', 'launch', 'recovery instance', 'recovery time'],
    ...detail.servers.map((s: any) => [s.sourceServerId, s.launchStatus, s.recoveryInstanceId ?? '-', s.recoveryTimeSeconds !== undefined ? `${s.recoveryTimeSeconds} s` : '-']),
    ...detail.serversSkipped.map((s: any) => [s.SourceServerID, 'skipped', '-', s.Reason]),
  ]);
  const terminated = run.sdkCalls.filter((c) => c.operation === 'TerminateRecoveryInstances').flatMap((c) => c.input.recoveryInstanceIDs);
  say();
  say(`   outcome ${detail.outcome}: max ${detail.maxRecoveryTimeSeconds} s, median ${detail.medianRecoveryTimeSeconds} s ` +
    `(simulated: ${run.simulatedSeconds / 60} minutes of Wait states, ${run.transitions} state transitions)`);
  say(`   clean-up: TerminateRecoveryInstances for ${terminated.join(', ')}`);

  // Let the terminate jobs finish, then look at what is left.
  drs.advanceTime(5 * 60_000);
  const client = new DrsClient({ ...drs.clientConfig(account, region), maxAttempts: 1 });
  try {
    const left = (await client.send(new DescribeRecoveryInstancesCommand({ filters: {} }))).items ?? [];
    const drillLeft = left.filter((i) => i.jobID !== undefined && detail.jobIds.includes(i.jobID));
    say(`   after the clean-up: ${drillLeft.length} drill instance(s) of this execution left; ` +
      `recovery instances in the account: ${left.map((i) => i.recoveryInstanceID).join(', ') || 'none'}`);
    if (run.status !== 'SUCCEEDED' || detail.outcome !== 'SUCCEEDED') throw new Error(`the drill ended ${run.status} (${run.error}: ${run.cause})`);
    if (drillLeft.length !== 0) throw new Error('the drill left drill instances behind');
    if (terminated.includes(byHand) || !left.some((i) => i.recoveryInstanceID === byHand)) {
      throw new Error('the drill touched the recovery instance launched by hand');
    }
    say(`   the instance launched by hand (${byHand}) is untouched; its owner terminates it before the destroy`);
  } finally {
    client.destroy();
  }
  drs.removeRecoveryInstance(account, region, servers[servers.length - 1]);
}
