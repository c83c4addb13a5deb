/**
 * Runs one generated drill execution (generator.ts): a local DRS on a manual clock with the
 * shape's servers extended into the target account, the synthesized `RecoveryDrill` definition in
 * the States Language interpreter (../harness.ts, Lambda steps from the bundled asset loaded
 * in-process), the faults injected before the Task attempts they name, and the invariants D1-D5
 * (invariants.ts) checked before every Task attempt and once every execution has ended.
 *
 * After the executions end, the drill's sweeper runs as deployed (the bundled asset, in-process,
 * against the local DRS and a local Step Functions endpoint holding the executions' statuses):
 * at once for each execution that ended ABORTED, TIMED_OUT or FAILED (the EventBridge rule), and
 * at the next hourly schedule. A deleted stack takes its sweeper with it: then none runs.
 */
import * as path from 'path';
import { CreateExtendedSourceServerCommand, DrsClient, StartRecoveryCommand } from '@aws-sdk/client-drs';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DrillExecution, Fault } from './generator';
import { Observer, Violation } from './invariants';
import { DrillCheck, ExtendedSourceServer, RecoveryDrill } from '../../../src';
import { DrillTags } from '../../../src/contract/drill';
import { SWEEP_CONFIG_ENV } from '../../../src/contract/drill-sweeper';
import { ENDED_STATUSES } from '../../../src/drill/drill-sweeper';
import { BundleContainer } from '../../lifecycle/bundle-container';
import { LocalDrs } from '../../local-drs';
import { Ec2InstanceStatus } from '../../local-drs/ec2-status';
import { CfnTemplate, resolveResourceProperties } from '../../support/cfn-template';
import { definitionsFrom, DrillRun, runDrill } from '../harness';
import { startLocalSfn } from '../local-sfn';

export type { Violation } from './invariants';

export const STAGING = ['111111111111', '333333333333'] as const;
export const TARGET = '222222222222';
export const REGION = 'us-east-1';
export const DRILL_NAME = 'generated';
const CHECK_ARN = `arn:aws:lambda:${REGION}:${TARGET}:function:probe`;
const WAVE_TAG = 'Wave';
const STATE_MACHINE_NAME = 'DrillStateMachine-generated';
const SWEEPER_BUNDLE = path.join(__dirname, '..', '..', '..', 'assets', 'drill', 'drill-sweeper.lambda', 'index.js');
/** The sweeper's schedule (DrillSweeper's default). */
export const SWEEP_SCHEDULE_SECONDS = 60 * 60;

export interface ExecutionResult {
  readonly violations: Violation[];
  readonly runs: DrillRun[];
  /** Task attempts of the first execution (the points faults can strike at). */
  readonly taskAttempts: number;
  readonly seconds: number;
  /** What the sweeper said, per run (the trigger, then its result), in order. */
  readonly sweeps: string[];
}

export interface RunOptions {
  /** Stop checking at the first violation (the long run). */
  readonly stopAtFirstViolation?: boolean;
}

interface Synthesized {
  readonly definition: any;
  /** The sweeper's configuration, as its function's environment carries it. */
  readonly sweepConfig: string;
}

const definitions = new Map<string, Synthesized>();

/** The definition for these props (synthesized once per distinct drill: synthesis is the slow part). */
function definitionFor(x: DrillExecution, ids: string[]): Synthesized {
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
    const ctx = { account: TARGET, region: REGION, stackName: stack.stackName };
    const resources = Object.entries(template.Resources ?? {});
    const [smId] = resources.find(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')!;
    const [fnId] = resources.find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('DrillSweeperFunction'))!;
    const arn = `arn:aws:states:${REGION}:${TARGET}:stateMachine:${STATE_MACHINE_NAME}`;
    const deployed = { ...ctx, attributes: { [smId]: { Name: STATE_MACHINE_NAME, Arn: arn } }, physicalIds: { [smId]: arn } };
    const fn = resolveResourceProperties(template, fnId, deployed) as any;
    definition = {
      definition: Object.values(definitionsFrom(template, ctx))[0],
      sweepConfig: fn.Environment.Variables[SWEEP_CONFIG_ENV],
    };
    if (definitions.size > 500) definitions.clear();
    definitions.set(key, definition);
  }
  return definition;
}

/**
 * The drill's sweeper, as deployed: on the status-change event of each execution that ended
 * ABORTED, TIMED_OUT or FAILED, then on the next hourly schedule; nothing when the stack was
 * deleted (the sweeper went with it).
 */
async function runSweeper(
  drs: LocalDrs, sweepConfig: string, ended: ReadonlyArray<{ name: string; run: DrillRun }>, stackDeleted: boolean,
): Promise<string[]> {
  if (stackDeleted) return ['none: the stack was deleted, and its sweeper with it'];
  const statuses = Object.fromEntries(ended.map(({ name, run }) => [name, run.status]));
  const sfn = await startLocalSfn({ region: REGION, account: TARGET, stateMachineName: STATE_MACHINE_NAME }, statuses);
  const said: string[] = [];
  try {
    const creds = drs.credentialsFor(TARGET);
    const lines: string[] = [];
    const output = { ...console, log: (...args: unknown[]) => lines.push(args.map(String).join(' ')), error: (...args: unknown[]) => lines.push(args.map(String).join(' ')) } as Console;
    const container = new BundleContainer(SWEEPER_BUNDLE, 'handler', {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      AWS_ENDPOINT_URL_DRS: drs.endpoint,
      AWS_ENDPOINT_URL_SFN: sfn.url,
      [SWEEP_CONFIG_ENV]: sweepConfig,
    }, { output });
    const invoke = async (event: unknown) => {
      lines.length = 0;
      try {
        await container.handler(event, { functionName: 'sweeper', getRemainingTimeInMillis: () => 300_000 });
      } catch (err) {
        lines.push(`function error: ${(err as Error)?.message ?? err}`);
      }
      said.push(...lines.filter((l) => !l.includes('"_aws"')));
    };
    for (const { name } of ended) {
      if (!ENDED_STATUSES.includes(statuses[name])) continue;
      await invoke({
        'source': 'aws.states',
        'detail-type': 'Step Functions Execution Status Change',
        'detail': { executionArn: `${sfn.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`, name, status: statuses[name] },
      });
    }
    drs.advanceTime(SWEEP_SCHEDULE_SECONDS * 1000);
    await invoke({ 'source': 'aws.events', 'detail-type': 'Scheduled Event' });
  } finally {
    await sfn.close();
  }
  return said;
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
    const { definition, sweepConfig } = definitionFor(x, ids);
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
    const ended = done.map((r, i) => ({ name: names[i], run: r, harnessStopped: i === 0 && verdict !== undefined }));
    const stackDeleted = x.faults.some((f) => f.kind === 'stackDeleted' && f.at < attempts);
    let sweeps: string[] = [];
    await observer.ended(ended, async () => { sweeps = await runSweeper(drs, sweepConfig, ended, stackDeleted); });
    return { violations: observer.violations, runs: done, taskAttempts: attempts, seconds: (Date.now() - started) / 1000, sweeps };
  } finally {
    person.destroy();
    await drs.stop();
  }
}

export { DrillTags };
