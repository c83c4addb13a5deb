/**
 * Runs one generated drill execution (generator.ts): a local DRS on a manual clock with the
 * shape's servers extended into the target account, the synthesized `RecoveryDrill` definition in
 * the States Language interpreter (../harness.ts, Lambda steps from the bundled asset loaded
 * in-process), the faults injected before the Task attempts they name, and the invariants D1-D5
 * (invariants.ts) checked before every Task attempt and once every execution has ended.
 */
import { CreateExtendedSourceServerCommand, DrsClient, StartRecoveryCommand } from '@aws-sdk/client-drs';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DrillExecution, Fault } from './generator';
import { Observer, Violation } from './invariants';
import { DrillCheck, ExtendedSourceServer, RecoveryDrill } from '../../../src';
import { DrillTags } from '../../../src/contract/drill';
import { LocalDrs } from '../../local-drs';
import { Ec2InstanceStatus } from '../../local-drs/ec2-status';
import { CfnTemplate } from '../../support/cfn-template';
import { definitionsFrom, DrillRun, runDrill } from '../harness';

export type { Violation } from './invariants';

export const STAGING = ['111111111111', '333333333333'] as const;
export const TARGET = '222222222222';
export const REGION = 'us-east-1';
export const DRILL_NAME = 'generated';
const CHECK_ARN = `arn:aws:lambda:${REGION}:${TARGET}:function:probe`;
const WAVE_TAG = 'Wave';

export interface ExecutionResult {
  readonly violations: Violation[];
  readonly runs: DrillRun[];
  /** Task attempts of the first execution (the points faults can strike at). */
  readonly taskAttempts: number;
  readonly seconds: number;
}

export interface RunOptions {
  /** Stop checking at the first violation (the long run). */
  readonly stopAtFirstViolation?: boolean;
}

const definitions = new Map<string, any>();

/** The definition for these props (synthesized once per distinct drill: synthesis is the slow part). */
function definitionFor(x: DrillExecution, ids: string[]): any {
  const s = x.shape;
  const key = JSON.stringify([s.waveTags, s.serversPerJob, s.checks, s.keepInstancesForMinutes, s.rtoMinutes, s.timeoutMinutes, ids]);
  let definition = definitions.get(key);
  if (!definition) {
    const app = new App();
    const stack = new Stack(app, 'DrillStack', { env: { account: TARGET, region: REGION } });
    const checks = s.checks.map((k) => k === 'ec2' ? DrillCheck.ec2StatusChecks()
      : k === 'ssm' ? DrillCheck.ssmDocument({ documentName: 'AWS-RunShellScript', timeout: Duration.minutes(10) })
        : DrillCheck.lambdaFunction(lambda.Function.fromFunctionArn(stack, 'Probe', CHECK_ARN)));
    new RecoveryDrill(stack, 'Drill', {
      drillName: DRILL_NAME,
      servers: ids.map((id, i) => ExtendedSourceServer.fromSourceServerId(stack, `S${i}`, id)),
      serversPerJob: s.serversPerJob,
      waveTagKey: s.waveTags ? WAVE_TAG : undefined,
      checks: checks.length > 0 ? checks : undefined,
      checkConcurrency: checks.length > 0 ? 1 : undefined,
      keepInstancesFor: s.keepInstancesForMinutes !== undefined ? Duration.minutes(s.keepInstancesForMinutes) : undefined,
      recoveryTimeObjective: s.rtoMinutes !== undefined ? Duration.minutes(s.rtoMinutes) : undefined,
      timeout: Duration.minutes(s.timeoutMinutes),
    });
    // The stack's template without the app's synthesis (whose CloudFormation validation plugin
    // costs seconds per drill in recent aws-cdk-lib); the e2e tests synthesize the app.
    const internal = (stack as any)._toCloudFormation as (() => CfnTemplate) | undefined;
    const template = internal ? internal.call(stack) : app.synth().getStackByName(stack.stackName).template as CfnTemplate;
    definition = Object.values(definitionsFrom(template, { account: TARGET, region: REGION, stackName: stack.stackName }))[0];
    if (definitions.size > 500) definitions.clear();
    definitions.set(key, definition);
  }
  return definition;
}

/** The local DRS of one execution: the shape's servers extended into the target account, the server fates set. */
async function world(x: DrillExecution) {
  const drs = await LocalDrs.start({ clock: 'manual', startTime: new Date('2026-12-01T06:00:00Z') });
  for (const a of [...STAGING, TARGET]) drs.addAccount(a);
  drs.setTrustEvaluator(() => ({ trusted: true }));
  const { initiatedBy, terminateJobsCountAgainstActiveServers } = x.readings;
  drs.recovery.configure({ initiatedBy, terminateJobsCountAgainstActiveServers });
  const person = new DrsClient({ ...drs.clientConfig(TARGET, REGION), maxAttempts: 1 });
  const ids: string[] = [];
  const stagingIds: string[] = [];
  const ec2 = new Ec2InstanceStatus(drs, TARGET, REGION);
  for (const [n, srv] of x.shape.servers.entries()) {
    const staging = STAGING[srv.staging];
    const { arn, sourceServerID } = drs.addReplicatingServer(staging, REGION, { hostname: `app-${n + 1}.example` });
    const tags = srv.wave !== undefined ? { [WAVE_TAG]: String(srv.wave) } : undefined;
    const created = await person.send(new CreateExtendedSourceServerCommand({ sourceServerArn: arn, tags }));
    const id = created.sourceServer!.sourceServerID!;
    ids.push(id);
    stagingIds.push(sourceServerID);
    if (srv.fate === 'failsLaunch') drs.faults.failLaunch(id);
    if (srv.fate === 'slowLaunch') drs.faults.slowLaunch(id, srv.slowSeconds);
    if (srv.fate === 'failsTerminate') drs.faults.failTerminate(id);
    if (srv.fate === 'impaired') ec2.impair(id);
    if (srv.fate === 'ssmFails') drs.recovery.launchActions.failRuns(id);
  }
  return { drs, person, ids, stagingIds, ec2 };
}

export async function runExecution(x: DrillExecution, options: RunOptions = {}): Promise<ExecutionResult> {
  const started = Date.now();
  const w = await world(x);
  const { drs, person, ids } = w;
  try {
    const definition = definitionFor(x, ids);
    const observer = new Observer(drs, TARGET, REGION, x, ids, person);
    const byPoint = new Map<number, Fault[]>();
    for (const f of x.faults) byPoint.set(f.at, [...(byPoint.get(f.at) ?? []), f]);
    const runs: Array<Promise<DrillRun>> = [];
    const names: string[] = [];
    let attempts = 0;
    let quotaUntil: number | undefined;
    let verdict: 'STOP' | 'TIME_OUT' | undefined;
    const functions = { [CHECK_ARN]: () => ({ passed: true }) };

    const start = (name: string, first: boolean) => {
      names.push(name);
      observer.executionStarted(name);
      const run = runDrill({
        definition,
        endpoint: drs.endpoint,
        region: REGION,
        credentials: drs.credentialsFor(TARGET),
        advance: (ms) => drs.advanceTime(ms),
        executionName: name,
        functions,
        now: () => drs.now(),
        ec2: w.ec2,
        lambdaRunner: 'in-process',
        instantRetries: true,
        timeoutSeconds: x.shape.timeoutMinutes * 60 + 3600,
        beforeTask: first ? async (state) => {
          const at = attempts++;
          observer.check(at, state);
          if (quotaUntil !== undefined && at >= quotaUntil) {
            drs.recovery.configure({ maxServersInActiveJobs: 500 });
            quotaUntil = undefined;
          }
          for (const f of byPoint.get(at) ?? []) {
            switch (f.kind) {
              case 'throttle': drs.faults.throttle({ operation: f.operation, count: f.count }); break;
              case 'internalError': drs.faults.internalError({ operation: f.operation, count: f.count }); break;
              case 'loseResponse': drs.faults.loseResponse(f.operation); break;
              case 'quota':
                drs.recovery.configure({ maxServersInActiveJobs: observer.serversInActiveJobs() });
                quotaUntil = at + f.tasks;
                break;
              case 'realRecovery':
                try {
                  await person.send(new StartRecoveryCommand({ sourceServers: [{ sourceServerID: ids[f.server] }], isDrill: false }));
                  observer.note(at, `a person started a real recovery of ${ids[f.server]}`);
                } catch (err: any) {
                  observer.note(at, `a real recovery of ${ids[f.server]} was refused: ${err?.name}`);
                }
                break;
              case 'secondExecution':
                if (names.length < 2) runs.push(start(`${DRILL_NAME}-second`, false));
                break;
              case 'extensionRemoved':
                drs.removeServerByHand(STAGING[x.shape.servers[f.server].staging], REGION, w.stagingIds[f.server]);
                break;
              case 'stopExecution': case 'stackDeleted': verdict ??= 'STOP'; break;
              case 'timeOut': verdict ??= 'TIME_OUT'; break;
            }
          }
          if (verdict) return verdict;
          if (options.stopAtFirstViolation && observer.violations.length > 0) return 'STOP';
          return undefined;
        } : (state) => observer.check(-1, state),
      });
      return run;
    };
    runs.push(start(DRILL_NAME, true));
    const done: DrillRun[] = [];
    for (let i = 0; i < runs.length; i++) done.push(await runs[i]);
    drs.recovery.configure({ maxServersInActiveJobs: 500 });
    await observer.ended(done.map((r, i) => ({ name: names[i], run: r, harnessStopped: i === 0 && verdict !== undefined })));
    return { violations: observer.violations, runs: done, taskAttempts: attempts, seconds: (Date.now() - started) / 1000 };
  } finally {
    person.destroy();
    await drs.stop();
  }
}

export { DrillTags };
