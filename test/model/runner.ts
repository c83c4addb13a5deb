/**
 * Runs a generated history against a fresh local DRS with the lifecycle driver (the bundled
 * handler asset, in-process containers) and checks the invariants after every step
 * (invariants.ts). Returns the violations and the history as it was resolved (concrete steps
 * with whole templates), which is what a regression test replays.
 */
import { CreateExtendedSourceServerCommand, DrsClient, SourceServer } from '@aws-sdk/client-drs';
import { Change, DeleteReading, EXTENSION_ID, Fault, History, SERVER_IDS, STAGING_POOL, StackName, Step } from './generator';
import { Checker, Snapshot, Violation } from './invariants';
export type { Violation } from './invariants';
import { REGION, STAGING, StackSpec, StagingName, TARGET, TemplateFactory, stagingServerArn, stagingServerId, synthStaging } from './templates';
import { OwnerTags } from '../../src/contract';
import { AssemblyStack } from '../lifecycle/assembly';
import { DrsEndpoint, LifecycleDriver, OperationResult } from '../lifecycle/driver';
import { LocalDrs } from '../local-drs';

/** A step as it was run: templates written out in full. What regression tests replay. */
export type ConcreteStep =
  | { readonly kind: 'deploy'; readonly stack: StackName; readonly spec: StackSpec; readonly fault?: Fault }
  | { readonly kind: 'refactor'; readonly from: StackName; readonly fromId: string; readonly to: StackName; readonly toId: string; readonly specs: Record<StackName, StackSpec> }
  | { readonly kind: 'destroy'; readonly stack: StackName; readonly fault?: Fault }
  | { readonly kind: 'reconcile'; readonly stack: StackName; readonly fault?: Fault }
  | { readonly kind: 'handMade'; readonly server: string }
  | { readonly kind: 'stagingServerRemoved'; readonly server: string }
  | { readonly kind: 'stagingServerAdded'; readonly staging: StagingName; readonly role: string }
  | { readonly kind: 'trustRevoked'; readonly staging: StagingName }
  | { readonly kind: 'trustRestored'; readonly staging: StagingName }
  /** `server`: the target server's staging server key, or `hand:<key>` */
  | { readonly kind: 'recoveryInstanceLaunched'; readonly server: string }
  | { readonly kind: 'recoveryInstanceTerminated' };

export interface RunResult {
  readonly violations: Violation[];
  readonly steps: ConcreteStep[];
  readonly invocations: number;
  readonly drsCalls: number;
}

export interface RunOptions {
  /** Stop at the first step with a violation. @default true */
  readonly stopAtFirstViolation?: boolean;
}

/** What the bases cost to build: shared by every history of a process. */
export interface Fixtures {
  readonly factory: TemplateFactory;
  readonly staging: Record<StagingName, AssemblyStack>;
}

let shared: Fixtures | undefined;
export function fixtures(): Fixtures {
  shared ??= { factory: new TemplateFactory(), staging: synthStaging() };
  return shared;
}

/** Local timings (the handler's own are for AWS), through the bundle's createHandler. */
/**
 * The handler's pauses, shortened (createHandler's timing; the deployed handler keeps its own):
 * a history spends its time in the handler and the local DRS, not in sleeps. The counts of
 * retries and their order are unchanged; only the pauses between them are shorter. Without the
 * last three, sleeps were about 80% of a history's wall time (AccessDenied retries doubling to
 * 4 s, and response PUT retries of 1-4 s). The propagation window is 2 s instead of 2 minutes:
 * the model denies at most 3 calls in a row, and 250 ms let a loaded machine run out of window
 * before the third retry (long run histories 125 and 1323, which replay clean).
 */
const HANDLER_TIMING = { pollIntervalMs: 1, retryBaseDelayMs: 1, propagationMaxDelayMs: 50, propagationWindowMs: 2_000, responseRetryBaseDelayMs: 1 };

const EMPTY: StackSpec = { servers: [], extensions: [], canary: 0 };

/** One history's world: local DRS, driver, and the model's view of what should be. */
export class ModelRun {
  static async start(reading: DeleteReading, fx: Fixtures = fixtures()): Promise<ModelRun> {
    const drs = await LocalDrs.start({ rules: { deleteRequiresDisconnect: reading === 'apiReference' ? 'all' : 'replicatingOnly' } });
    const run = new ModelRun(drs, fx, reading);
    await run.init();
    return run;
  }

  readonly steps: ConcreteStep[] = [];
  readonly violations: Violation[] = [];
  /** The deployed template of each stack (undefined: not deployed). */
  readonly specs: Record<StackName, StackSpec | undefined> = { A: undefined, B: undefined };
  readonly revoked = new Set<StagingName>();
  /** Stacks whose last destroy ended DELETE_FAILED: partly deleted, so I1 does not apply. */
  readonly deleteFailed = new Set<StackName>();
  readonly stagingRemoved = new Set<string>();
  /** Staging servers by key: `S1:0` → hostname and role. */
  readonly stagingServers = new Map<string, { hostname: string; role: string }>();
  readonly checker: Checker;
  driver!: LifecycleDriver;
  private canary = 0;
  private iamDenials = 0;
  /** The DRS actions the running deploy grants the handler role anew: the only ones IAM propagation can deny. */
  private propagating = new Set<string>();
  private targetClient!: DrsClient;

  private constructor(readonly drs: LocalDrs, readonly fx: Fixtures, readonly reading: DeleteReading) {
    this.checker = new Checker(this);
  }

  private async init(): Promise<void> {
    const { drs } = this;
    for (const account of [...Object.values(STAGING), TARGET]) drs.addAccount(account);
    for (const [name, servers] of Object.entries(STAGING_POOL) as [StagingName, { hostname: string; role: string }[]][]) {
      servers.forEach((s, i) => this.addStagingServer(name, i, s.hostname, s.role));
    }
    const revoked = this.revoked;
    const endpoint: DrsEndpoint = {
      endpoint: drs.endpoint,
      credentialsFor: (account) => drs.credentialsFor(account),
      setTrustEvaluator: (evaluator) => {
        // Trust depends on the deployed staging templates only: evaluated once per question.
        const decisions = new Map<string, ReturnType<typeof evaluator>>();
        drs.setTrustEvaluator((q) => {
          const staging = (Object.entries(STAGING).find(([, a]) => a === q.stagingAccount) ?? [])[0] as StagingName | undefined;
          if (staging && revoked.has(staging)) return { trusted: false, reason: `the staging role was deleted by hand in ${q.stagingAccount}` };
          const key = JSON.stringify(q);
          let decision = decisions.get(key);
          if (!decision) decisions.set(key, decision = evaluator(q));
          return decision;
        });
      },
      setAuthorizer: (account, authorizer) => drs.setAuthorizer(account, authorizer && ((req) => {
        if (this.iamDenials > 0 && this.propagating.has(req.action)) {
          this.iamDenials--;
          return { allowed: false, reason: 'no identity-based policy allows the action (the role policy has not propagated yet; injected)' };
        }
        return authorizer(req);
      })),
    };
    this.driver = await LifecycleDriver.start({ drs: endpoint, handlerTiming: HANDLER_TIMING, runner: 'in-process', maxInvocationMs: 20_000, showHandlerOutput: !!process.env.MODEL_HANDLER_OUTPUT });
    this.targetClient = new DrsClient({ ...drs.clientConfig(TARGET, REGION), maxAttempts: 1 });
    for (const name of ['S1', 'S2'] as StagingName[]) {
      const result = await this.driver.deploy(this.fx.staging[name]);
      if (result.status !== 'CREATE_COMPLETE') throw new Error(`staging stack ${name}: ${result.status} ${JSON.stringify(result.failures)}`);
    }
  }

  async stop(): Promise<void> {
    this.targetClient.destroy();
    await this.driver.stop();
    await this.drs.stop();
  }

  private addStagingServer(name: StagingName, index: number, hostname: string, role: string): void {
    this.drs.addReplicatingServer(STAGING[name], REGION, { sourceServerID: stagingServerId(name, index), hostname, tags: { Role: role } });
    this.stagingServers.set(`${name}:${index}`, { hostname, role });
  }

  stackName(stack: StackName): string {
    return `Target${stack}`;
  }

  target(): SourceServer[] {
    return this.drs.inventory(TARGET, REGION);
  }

  snapshot(): Snapshot {
    return {
      target: this.target(),
      staging: Object.fromEntries(Object.values(STAGING).map((a) => [a, this.drs.inventory(a, REGION)])),
    };
  }

  /** Runs one generated step (resolving it against the current state); false when it could not apply. */
  async run(step: Step): Promise<void> {
    for (const concrete of this.resolve(step)) await this.runConcrete(concrete);
  }

  /**
   * Runs one concrete step and checks the invariants after it. A destroy that failed for a
   * recovery instance (the documented cause) is followed by the instance's termination and the
   * same destroy, which must then succeed (`followUp`; replays have those steps written out).
   */
  async runConcrete(step: ConcreteStep, followUp = true): Promise<void> {
    const index = this.steps.length;
    this.steps.push(step);
    const before = this.snapshot();
    const outcome = await this.apply(step);
    this.checker.afterStep(index, step, before, outcome);
    if (followUp && step.kind === 'destroy' && outcome.result?.status === 'DELETE_FAILED' && this.violations.length === 0) {
      await this.runConcrete({ kind: 'recoveryInstanceTerminated' });
      await this.runConcrete({ kind: 'destroy', stack: step.stack });
    }
  }

  private spec(stack: StackName): StackSpec {
    return this.specs[stack] ?? EMPTY;
  }

  private nextCanary(): number {
    return ++this.canary;
  }

  /** Generated step → the concrete steps it means now. */
  resolve(step: Step): ConcreteStep[] {
    switch (step.kind) {
      case 'deploy': return [{ kind: 'deploy', stack: step.stack, spec: this.applyChange(step.stack, step.change), fault: step.fault }];
      case 'move': {
        const from = this.spec(step.from);
        if (from.servers.length === 0) return [];
        const to: StackName = step.from === 'A' ? 'B' : 'A';
        const server = from.servers[step.pick % from.servers.length];
        const toSpec = this.spec(to);
        const id = unusedId(toSpec, server.id);
        if (!id || toSpec.servers.some((s) => s.server === server.server)) return [];
        const remove: ConcreteStep = { kind: 'deploy', stack: step.from, spec: { ...from, servers: from.servers.filter((s) => s !== server), canary: this.nextCanary() } };
        const add: ConcreteStep = { kind: 'deploy', stack: to, spec: { ...toSpec, servers: [...toSpec.servers, { ...server, id }], canary: this.nextCanary() } };
        return step.removeFirst ? [remove, add] : [add, remove];
      }
      case 'refactor': {
        const to: StackName = step.from === 'A' ? 'B' : 'A';
        const from = this.specs[step.from];
        const toSpec = this.specs[to];
        if (!from || !toSpec || from.servers.length === 0 || this.deleteFailed.has(step.from) || this.deleteFailed.has(to)) return [];
        const server = from.servers[step.pick % from.servers.length];
        const toId = step.rename ? unusedId(toSpec, undefined) : (toSpec.servers.some((s) => s.id === server.id) ? undefined : server.id);
        if (!toId || toSpec.servers.some((s) => s.server === server.server)) return [];
        const specs: Record<StackName, StackSpec> = { A: from, B: from };
        specs[step.from] = { ...from, servers: from.servers.filter((s) => s !== server) };
        specs[to] = { ...toSpec, servers: [...toSpec.servers, { ...server, id: toId }] };
        // A refactor changes nothing else: the handler's function and policies must stay as they are.
        const infra = (spec: StackSpec) => JSON.stringify(Object.entries<any>(this.fx.factory.template(spec).Resources)
          .filter(([id, r]) => !r.Type.startsWith('Custom::') && !id.startsWith(EXTENSION_ID) && id !== 'Canary'));
        if (infra(specs[step.from]) !== infra(from) || infra(specs[to]) !== infra(toSpec)) return [];
        return [{ kind: 'refactor', from: step.from, fromId: server.id, to, toId, specs }];
      }
      case 'recoveryInstanceLaunched': {
        const servers = this.target().filter((s) => !s.recoveryInstanceId).sort((a, b) => a.sourceServerID!.localeCompare(b.sourceServerID!));
        if (servers.length === 0) return [];
        const s = servers[step.pick % servers.length];
        return [{ kind: 'recoveryInstanceLaunched', server: keyOfArn(s.stagingArea?.stagingSourceServerArn ?? '') }];
      }
      case 'stagingServerAdded':
      case 'handMade':
      case 'stagingServerRemoved':
      case 'trustRevoked':
      case 'trustRestored':
      case 'recoveryInstanceTerminated':
      case 'destroy':
      case 'reconcile':
        return [step as ConcreteStep];
    }
  }

  private applyChange(stack: StackName, change: Change): StackSpec {
    const cur = this.spec(stack);
    const canary = this.nextCanary();
    const servers = [...cur.servers];
    const ext = cur.extensions[0];
    const n = servers.length;
    const withServers = (s: typeof servers): StackSpec => ({ ...cur, servers: s, canary });
    const withExt = (e: typeof ext | undefined): StackSpec => ({ ...cur, extensions: e ? [e] : [], canary });
    switch (change.op) {
      case 'addServer': {
        const id = unusedId(cur, undefined);
        if (!id || servers.some((s) => s.server === change.server)) break;
        return withServers([...servers, { id, server: change.server, tags: change.tags, retain: change.retain }]);
      }
      case 'removeServer':
        if (n === 0) break;
        return withServers(servers.filter((_, i) => i !== change.pick % n));
      case 'renameServer': {
        const id = unusedId(cur, undefined);
        if (n === 0 || !id) break;
        return withServers(servers.map((s, i) => (i === change.pick % n ? { ...s, id } : s)));
      }
      case 'changeArn':
        if (n === 0 || servers.some((s) => s.server === change.server)) break;
        return withServers(servers.map((s, i) => (i === change.pick % n ? { ...s, server: change.server } : s)));
      case 'changeTags':
        if (n === 0) break;
        return withServers(servers.map((s, i) => (i === change.pick % n ? { ...s, tags: change.tags } : s)));
      case 'flipRemovalPolicy':
        if (ext && change.pick % (n + 1) === n) return withExt({ ...ext, retain: !ext.retain });
        if (n === 0) break;
        return withServers(servers.map((s, i) => (i === change.pick % n ? { ...s, retain: !s.retain } : s)));
      case 'addExtension':
        if (ext) return withExt({ ...ext, selector: change.selector, prune: change.prune });
        return withExt({ id: EXTENSION_ID, staging: change.staging, selector: change.selector, tags: {}, prune: change.prune, retain: false });
      case 'removeExtension':
        return withExt(undefined);
      case 'changeSelector':
        if (!ext) break;
        return withExt({ ...ext, selector: change.selector, prune: change.prune });
      case 'changeStagingAccount':
        if (!ext) break;
        return withExt({ ...ext, staging: ext.staging === 'S1' ? 'S2' : 'S1' });
      case 'changeExtensionTags':
        if (!ext) break;
        return withExt({ ...ext, tags: change.tags });
      case 'toServers': {
        if (!ext) break;
        const stackId = this.driver.stackId(this.stackName(stack));
        const owned = this.target().filter((s) => s.tags?.[OwnerTags.STACK_ID] === stackId && s.tags?.[OwnerTags.LOGICAL_ID] === ext.id);
        const next = [...servers];
        for (const s of owned) {
          const id = unusedId({ ...cur, servers: next }, undefined);
          const key = keyOfArn(s.stagingArea?.stagingSourceServerArn ?? '');
          if (!id || next.some((x) => x.server === key)) continue;
          next.push({ id, server: key, tags: { ...ext.tags }, retain: ext.retain });
        }
        return { ...cur, servers: next, extensions: [], canary };
      }
      case 'toExtension': {
        if (n === 0 || ext) break;
        const staging = servers[0].server.split(':')[0] as StagingName;
        return { servers: [], extensions: [{ id: EXTENSION_ID, staging, selector: { kind: 'all' }, tags: { ...servers[0].tags }, prune: false, retain: false }], canary };
      }
      case 'nothing':
        break;
    }
    return { ...cur, canary };
  }

  /**
   * The IAM-propagation fault denies only what can be denied for that reason: actions the
   * operation's template grants the handler role and the deployed template did not (every action
   * on a stack's first deploy, `drs:ListExtensibleSourceServers` when the first extension is added).
   * IAM is eventually consistent: "Any change that you make in IAM (or other AWS services) takes
   * time to become visible from all possible endpoints", such changes "include creating or
   * updating users, groups, roles, or policies" (IAM user guide, "Changes that I make are not
   * always immediately visible",
   * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency).
   * A grant that earlier deploys made has long become visible, so a destroy, a reconcile, or a
   * deploy that grants nothing new meets no such denial (the fault is then a no-op).
   */
  private arm(stack: StackName, fault: Fault | undefined, spec?: StackSpec): void {
    if (!fault) return;
    if (fault.kind === 'iamPropagation') {
      const before = this.specs[stack] ? grantedDrsActions(this.fx.factory.template(this.specs[stack]!)) : new Set<string>();
      this.propagating = new Set(spec ? [...grantedDrsActions(this.fx.factory.template(spec))].filter((a) => !before.has(a)) : []);
    }
    switch (fault.kind) {
      case 'otherResourceFails': this.driver.failResource(this.stackName(stack), 'Canary'); break;
      case 'handlerDies': this.driver.dieBeforeResponding(fault.count); break;
      case 'responseLost': this.drs.faults.loseResponse(fault.operation, 1); break;
      case 'throttling': this.drs.faults.throttle({ count: fault.count, retryAfterSeconds: 0 }); break;
      case 'internalErrors': this.drs.faults.internalError({ count: fault.count, retryAfterSeconds: 0 }); break;
      case 'iamPropagation': this.iamDenials = fault.count; break;
      case 'none': break;
    }
  }

  private disarm(): void {
    this.drs.faults.clear();
    this.driver.clearInjectedFaults();
    this.iamDenials = 0;
    this.propagating = new Set();
  }

  /** Applies a concrete step; returns the stack operation's result when there was one. */
  private async apply(step: ConcreteStep): Promise<StepOutcome> {
    const invocationsBefore = this.driver.invocations.length;
    const outcome = await this.applyInner(step);
    return { ...outcome, invocations: this.driver.invocations.slice(invocationsBefore) };
  }

  private async applyInner(step: ConcreteStep): Promise<Omit<StepOutcome, 'invocations'>> {
    switch (step.kind) {
      case 'deploy': {
        // CloudFormation only deletes a stack in DELETE_FAILED.
        if (this.deleteFailed.has(step.stack)) return {};
        const stackIdBefore = this.driver.stackId(this.stackName(step.stack));
        const expectValid = this.checker.predictValid(step.stack, step.spec);
        this.arm(step.stack, step.fault, step.spec);
        let result: OperationResult;
        try {
          result = await this.driver.deploy(this.fx.factory.stack(this.stackName(step.stack), step.spec));
        } finally {
          this.disarm();
        }
        if (result.status === 'CREATE_COMPLETE' || result.status === 'UPDATE_COMPLETE') this.specs[step.stack] = step.spec;
        else if (result.status === 'ROLLBACK_COMPLETE' || result.status === 'ROLLBACK_FAILED') this.specs[step.stack] = undefined;
        return { result, stack: step.stack, stackId: this.lastStackId(step.stack), stackIdBefore, expectValid };
      }
      case 'destroy': {
        const stackId = this.driver.stackId(this.stackName(step.stack));
        if (!stackId) return {};
        this.arm(step.stack, step.fault?.kind === 'otherResourceFails' ? undefined : step.fault);
        let result: OperationResult;
        try {
          result = await this.driver.destroy(this.stackName(step.stack));
        } finally {
          this.disarm();
        }
        if (result.status === 'DELETE_COMPLETE') this.specs[step.stack] = undefined;
        if (result.status === 'DELETE_FAILED') this.deleteFailed.add(step.stack);
        else this.deleteFailed.delete(step.stack);
        return { result, stack: step.stack, stackId, stackIdBefore: stackId };
      }
      case 'reconcile': {
        const spec = this.specs[step.stack];
        if (!spec || spec.extensions.length === 0) return {};
        const stackId = this.driver.stackId(this.stackName(step.stack));
        this.arm(step.stack, step.fault?.kind === 'otherResourceFails' ? undefined : step.fault);
        try {
          await this.driver.triggerSchedule(this.stackName(step.stack));
        } finally {
          this.disarm();
        }
        return { stack: step.stack, stackId, stackIdBefore: stackId, reconciled: true };
      }
      case 'refactor': {
        const fromName = this.stackName(step.from);
        const physicalId = this.driver.resources(fromName)[step.fromId]?.physicalId;
        const move = { fromStack: fromName, fromLogicalId: step.fromId, toStack: this.stackName(step.to), toLogicalId: step.toId };
        const refactor = this.driver.refactor([move], [
          this.fx.factory.stack(fromName, step.specs[step.from]),
          this.fx.factory.stack(this.stackName(step.to), step.specs[step.to]),
        ]);
        // CloudFormation refuses to refactor custom resources (see LifecycleDriver.refactor): nothing moved.
        if (refactor.status !== 'EXECUTE_COMPLETE') return {};
        this.specs[step.from] = step.specs[step.from];
        this.specs[step.to] = step.specs[step.to];
        if (physicalId) this.checker.transfer(physicalId, this.driver.stackId(this.stackName(step.to))!);
        return {};
      }
      case 'handMade': {
        this.drs.setAuthorizer(TARGET, undefined);
        try {
          const out = await this.targetClient.send(new CreateExtendedSourceServerCommand({ sourceServerArn: stagingServerArn(step.server) }));
          this.checker.madeByHand(out.sourceServer!.sourceServerID!);
        } catch {
          // Already extended, gone, or not trusted: nothing was made.
        }
        return { outOfBand: [] };
      }
      case 'stagingServerRemoved': {
        const [name, index] = step.server.split(':');
        const id = stagingServerId(name as StagingName, Number(index));
        if (this.drs.inventory(STAGING[name as StagingName], REGION).some((s) => s.sourceServerID === id)) {
          this.drs.removeServerByHand(STAGING[name as StagingName], REGION, id);
        }
        this.stagingRemoved.add(step.server);
        return { outOfBand: [] };
      }
      case 'stagingServerAdded': {
        const index = [...this.stagingServers.keys()].filter((k) => k.startsWith(`${step.staging}:`)).length;
        this.addStagingServer(step.staging, index, `${step.role}-${step.staging.toLowerCase()}${index}`, step.role);
        return { outOfBand: [] };
      }
      case 'trustRevoked': this.revoked.add(step.staging); return { outOfBand: [] };
      case 'trustRestored': this.revoked.delete(step.staging); return { outOfBand: [] };
      case 'recoveryInstanceLaunched': {
        const s = this.target().find((x) => keyOfArn(x.stagingArea?.stagingSourceServerArn ?? '') === step.server);
        if (s && !s.recoveryInstanceId) this.drs.addRecoveryInstance(TARGET, REGION, s.sourceServerID!);
        return { outOfBand: s ? [s.sourceServerID!] : [] };
      }
      case 'recoveryInstanceTerminated': {
        const ids = this.target().filter((s) => s.recoveryInstanceId).map((s) => s.sourceServerID!);
        for (const id of ids) this.drs.removeRecoveryInstance(TARGET, REGION, id);
        return { outOfBand: ids };
      }
    }
  }

  /** The id of the stack's latest creation (also after it rolled back and is gone). */
  lastStackId(stack: StackName): string | undefined {
    const name = this.stackName(stack);
    for (let i = this.driver.events.length - 1; i >= 0; i--) {
      const e = this.driver.events[i];
      if (e.stackName === name && e.resourceType === 'AWS::CloudFormation::Stack') return e.physicalId;
    }
    return undefined;
  }
}

export interface StepOutcome {
  readonly result?: OperationResult;
  readonly stack?: StackName;
  /** The stack's id after the step (its latest creation). */
  readonly stackId?: string;
  readonly stackIdBefore?: string;
  /** Deploys only: the model expects this template to deploy. */
  readonly expectValid?: boolean;
  readonly reconciled?: boolean;
  /** Out-of-band steps: target servers the step itself changed. */
  readonly outOfBand?: string[];
  readonly invocations: LifecycleDriver['invocations'];
}

/** The DRS actions the IAM policies of a template allow (the handler role's: the model's templates have no other). */
function grantedDrsActions(template: { Resources: Record<string, any> }): Set<string> {
  const actions = new Set<string>();
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    for (const st of r.Properties?.PolicyDocument?.Statement ?? []) {
      if (st.Effect !== 'Allow') continue;
      for (const a of [st.Action ?? []].flat()) if (typeof a === 'string' && a.startsWith('drs:')) actions.add(a);
    }
  }
  return actions;
}

function unusedId(spec: StackSpec, preferred: string | undefined): string | undefined {
  const used = new Set(spec.servers.map((s) => s.id));
  if (preferred && !used.has(preferred)) return preferred;
  return SERVER_IDS.find((id) => !used.has(id));
}

/** `arn:...:source-server/s-a000...01` → `S1:1`. */
export function keyOfArn(arn: string): string {
  const id = arn.split('/')[1] ?? '';
  const name = id[2] === 'a' ? 'S1' : id[2] === 'b' ? 'S2' : '?';
  return `${name}:${parseInt(id.slice(3), 16)}`;
}

/** Runs a whole history in a fresh world. */
export async function runHistory(history: History, options: RunOptions = {}, fx: Fixtures = fixtures()): Promise<RunResult> {
  const run = await ModelRun.start(history.reading, fx);
  try {
    for (const step of history.steps) {
      await run.run(step);
      if (run.violations.length > 0 && (options.stopAtFirstViolation ?? true)) break;
    }
    return { violations: run.violations, steps: run.steps, invocations: run.driver.invocations.length, drsCalls: run.drs.calls.length };
  } finally {
    await run.stop();
  }
}

/** Replays concrete steps (a regression test's history). */
export async function replay(reading: DeleteReading, steps: readonly ConcreteStep[], fx: Fixtures = fixtures()): Promise<RunResult> {
  const run = await ModelRun.start(reading, fx);
  try {
    for (const step of steps) {
      await run.runConcrete(step, false);
      if (run.violations.length > 0) break;
    }
    return { violations: run.violations, steps: run.steps, invocations: run.driver.invocations.length, drsCalls: run.drs.calls.length };
  } finally {
    await run.stop();
  }
}
