/**
 * A local DRS with a staging account whose servers are extended into a target account, on a
 * manual clock, and a stack with a `RecoveryDrill` synthesized for that target account. Test
 * support only.
 */
import { CreateExtendedSourceServerCommand, DrsClient, StartRecoveryCommand } from '@aws-sdk/client-drs';
import { App, Stack } from 'aws-cdk-lib';
import { RecoveryDrill, RecoveryDrillProps } from '../../src';
import { LocalDrs } from '../local-drs';
import { definitionsFrom, drillAuthorizers, DrillRun, runDrill } from './harness';
import { Ec2InstanceStatus } from '../local-drs/ec2-status';
import { CfnTemplate } from '../support/cfn-template';

export const STAGING = '111111111111';
export const TARGET = '222222222222';
export const REGION = 'us-east-1';

export interface DrillWorld {
  readonly drs: LocalDrs;
  /** A DRS client acting as a person in the target account. */
  readonly target: DrsClient;
  /** Extended server ids in the target account, in creation order. */
  readonly servers: string[];
  /** EC2 DescribeInstanceStatus over the target account's recovery instances. */
  readonly ec2: Ec2InstanceStatus;
  stop(): Promise<void>;
}

export interface WorldOptions {
  readonly servers: number;
  /** Tags of the n-th extended server (from 0). */
  readonly tags?: (n: number) => Record<string, string>;
  /** The local DRS's reading of `initiatedBy` (README, guess 39). @default 'targetAccount' */
  readonly initiatedBy?: 'targetAccount' | 'operation';
}

/** Every reading the local DRS has a switch for that the drill depends on: e2e tests run under each. */
export const READINGS = ['targetAccount', 'operation'] as const;

export async function startWorld(options: WorldOptions): Promise<DrillWorld> {
  const drs = await LocalDrs.start({ clock: 'manual', startTime: new Date('2026-12-01T06:00:00Z') });
  drs.addAccount(STAGING);
  drs.addAccount(TARGET);
  drs.setTrustEvaluator(() => ({ trusted: true }));
  drs.recovery.configure({ initiatedBy: options.initiatedBy ?? 'targetAccount' });
  const target = new DrsClient({ ...drs.clientConfig(TARGET, REGION), maxAttempts: 1 });
  const servers: string[] = [];
  for (let n = 0; n < options.servers; n++) {
    const { arn } = drs.addReplicatingServer(STAGING, REGION, { hostname: `app-${n + 1}.example` });
    const created = await target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: arn, tags: options.tags?.(n) }));
    servers.push(created.sourceServer!.sourceServerID!);
  }
  return {
    drs,
    target,
    servers,
    ec2: new Ec2InstanceStatus(drs, TARGET, REGION),
    stop: async () => {
      target.destroy();
      await drs.stop();
    },
  };
}

/** A recovery (not a drill) launched by a person; returns its job id. */
export async function startRealRecovery(world: DrillWorld, ids: string[]): Promise<string> {
  const out = await world.target.send(new StartRecoveryCommand({ sourceServers: ids.map((sourceServerID) => ({ sourceServerID })), isDrill: false }));
  return out.job!.jobID!;
}

/** Synthesizes a stack with one drill (the props may refer to the stack) and returns its definition. */
export const DRILL_CTX = { account: TARGET, region: REGION, stackName: 'DrillStack' };

export function synthDrill(props: (stack: Stack) => RecoveryDrillProps): { definition: any; template: CfnTemplate; drill: RecoveryDrill } {
  const app = new App();
  const stack = new Stack(app, 'DrillStack', { env: { account: TARGET, region: REGION } });
  const construct = new RecoveryDrill(stack, 'Drill', props(stack));
  const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
  const definitions = Object.values(definitionsFrom(template, { account: TARGET, region: REGION, stackName: stack.stackName }));
  if (definitions.length !== 1) throw new Error(`expected one state machine, found ${definitions.length}`);
  return { definition: definitions[0], template, drill: construct };
}

/** Runs the definition; with `template`, IAM is evaluated with the drill's roles as deployed. */
export async function drill(
  world: DrillWorld, definition: any, executionName = 'exec-1', input?: unknown, template?: CfnTemplate,
  functions?: Record<string, (payload: any) => unknown>,
): Promise<DrillRun> {
  const iam = template ? { ...drillAuthorizers(template, DRILL_CTX), set: (a: any) => world.drs.setAuthorizer(TARGET, a) } : undefined;
  return runDrill({
    iam,
    definition,
    endpoint: world.drs.endpoint,
    region: REGION,
    credentials: world.drs.credentialsFor(TARGET),
    advance: (ms) => world.drs.advanceTime(ms),
    executionName,
    input,
    functions,
    now: () => world.drs.now(),
    ec2: world.ec2,
  });
}
