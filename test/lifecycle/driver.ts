/**
 * A small CloudFormation stand-in: deploys and destroys the stacks of a synthesized cloud assembly
 * against the local DRS. Plain resources (roles, policies, functions, log groups) are recorded,
 * not run; custom resources are served by invoking the bundled handler asset exactly as deployed
 * (the directory under `cdk.out` that the template's S3Key points at), in a child process, with
 * CloudFormation-shaped events and a local ResponseURL. Test support only.
 *
 * What it models: creation in dependency order and deletion in reverse; updates with
 * OldResourceProperties and replacement when the physical id changes; rollback of a failed
 * create or update; DeletionPolicy / UpdateReplacePolicy Retain; Lambda's two retries of a failed
 * asynchronous invocation; staging trust and the handler role's IAM policies taken from the
 * deployed templates; asynchronous Lambda invocations (a handler continuing in a new invocation of
 * itself, through a local Invoke endpoint authorized by its role) and schedule rules fired on demand.
 */
import { ChildProcess, fork } from 'child_process';
import { randomUUID } from 'crypto';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import { AssemblyStack, readAssembly } from './assembly';
import { BundleContainer } from './bundle-container';
import { answerCloudFormationQuery, StackViews } from './cloudformation-endpoint';
import type { HandlerTiming } from '../../src/provider/runtime/dispatch';
import { authorizerFromTemplate } from '../local-drs/iam';
import { trustFromTemplates } from '../local-drs/trust';
import {
  CfnTemplate, DeployContext, creationOrder, deletionOrder, isResourceActive,
  resolve as resolveValue, resolveResourceProperties, resourceDependencies,
} from '../support/cfn-template';

/** The local DRS surface the driver needs. */
export interface DrsEndpoint {
  readonly endpoint: string;
  credentialsFor(account: string): { accessKeyId: string; secretAccessKey: string };
  setTrustEvaluator(evaluator: ReturnType<typeof trustFromTemplates>): void;
  setAuthorizer(account: string, authorizer: ReturnType<typeof authorizerFromTemplate> | undefined): void;
}

export type StackStatus =
  | 'CREATE_COMPLETE' | 'ROLLBACK_COMPLETE' | 'ROLLBACK_FAILED' | 'UPDATE_COMPLETE' | 'UPDATE_ROLLBACK_COMPLETE'
  | 'UPDATE_ROLLBACK_FAILED' | 'DELETE_COMPLETE' | 'DELETE_FAILED';

/** One line of the stack's event log, as CloudFormation would show it. */
export interface StackEvent {
  readonly stackName: string;
  readonly logicalId: string;
  readonly resourceType: string;
  readonly status: string;
  readonly physicalId?: string;
  readonly reason?: string;
}

export interface OperationResult {
  readonly status: StackStatus;
  /** Reasons of the resources that failed, in order. */
  readonly failures: { logicalId: string; reason: string }[];
  /** Deletes that failed in an update's cleanup phase (the stack stays UPDATE_COMPLETE; the resources are left behind). */
  readonly cleanupFailures?: { logicalId: string; reason: string }[];
}

/** One invocation of a handler process. */
export interface InvocationRecord {
  readonly stackName: string;
  readonly logicalId: string;
  readonly requestType: string;
  readonly attempt: number;
  readonly exitCode: number | null;
  readonly responded: boolean;
  readonly durationMs: number;
}

export interface DriverOptions {
  readonly drs: DrsEndpoint;
  /** Called for every stack event (the demo prints them). */
  readonly onEvent?: (event: StackEvent) => void;
  /** Extra environment for the handler process. */
  readonly handlerEnv?: Record<string, string>;
  /**
   * Timings for this library's handler, passed to its `createHandler` by the runner (with a
   * response sender that speaks the driver's http). `false` runs the exported `handler` exactly
   * as deployed (https ResponseURLs only, so it answers nothing here).
   * @default fast local timings: poll 20 ms, retry base 10 ms
   */
  readonly handlerTiming?: HandlerTiming | false;
  /** Lambda retries a failed asynchronous invocation twice. @default 2 */
  readonly lambdaRetries?: number;
  /** Cap on one invocation's time, in place of the function's own timeout. @default the function's Timeout */
  readonly maxInvocationMs?: number;
  /** Passes the handler's output through (for debugging). @default false */
  readonly showHandlerOutput?: boolean;
  /**
   * How the bundled asset runs: `process`, a child process per invocation (lambda-runner.js);
   * `in-process`, a container per function inside the test process (bundle-container.ts: the same
   * file, evaluated once per container; a killed container's requests fail). @default 'process'
   */
  readonly runner?: 'process' | 'in-process';
}

interface ResourceState {
  readonly logicalId: string;
  readonly type: string;
  physicalId: string;
  properties: Record<string, unknown>;
  attributes: Record<string, unknown>;
}

interface DeployedStack {
  readonly stack: AssemblyStack;
  readonly stackId: string;
  readonly resources: Map<string, ResourceState>;
}

interface CustomResourceResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, unknown>;
}

const RUNNER = path.join(__dirname, 'lambda-runner.js');
/** Fast timings for local runs: the handler's own defaults are for AWS. */
export const LOCAL_TIMING: HandlerTiming = { pollIntervalMs: 20, retryBaseDelayMs: 10 };

export class LifecycleDriver {
  static async start(options: DriverOptions): Promise<LifecycleDriver> {
    const driver = new LifecycleDriver(options);
    await driver.listen();
    return driver;
  }

  /** Stacks of an assembly directory, by stack name. */
  static stacks(assemblyDir: string): Record<string, AssemblyStack> {
    return Object.fromEntries(readAssembly(assemblyDir).map((s) => [s.stackName, s]));
  }

  readonly invocations: InvocationRecord[] = [];
  readonly events: StackEvent[] = [];
  private readonly deployed = new Map<string, DeployedStack>();
  private readonly responses = new Map<string, (body: CustomResourceResponse) => void>();
  private readonly server: http.Server;
  private responseBase = '';
  private current?: ChildProcess;
  /** Kills the running in-process invocation (the in-process runner's `current`). */
  private currentKill?: () => void;
  /** In-process containers by function and environment; a killed one is replaced on next use. */
  private readonly containers = new Map<string, BundleContainer>();
  private pendingDeaths = 0;
  /** The function whose handler process runs now: the caller of the local Lambda Invoke endpoint. */
  private running?: { readonly d: DeployedStack; readonly fn: FunctionInfo };
  /** Asynchronous invocations (Invoke with InvocationType Event) waiting to run. */
  private readonly authorizers = new WeakMap<object, Map<string, ReturnType<typeof authorizerFromTemplate>>>();
  /** Plain resources whose next create or update fails: `stack/logicalId` → reason. */
  private readonly failing = new Map<string, string>();
  private readonly asyncQueue: { readonly d: DeployedStack; readonly fn: FunctionInfo; readonly payload: any }[] = [];
  /** The stacks as the local CloudFormation query endpoint serves them. */
  readonly stackViews = new StackViews();

  private constructor(private readonly options: DriverOptions) {
    this.server = http.createServer((req, res) => this.onResponse(req, res));
    // As the local DRS does: no idle connection closed under a client that reuses it (ECONNRESET).
    this.server.keepAliveTimeout = 10 * 60_000;
    this.server.headersTimeout = 10 * 60_000 + 1_000;
  }

  async stop(): Promise<void> {
    this.current?.kill('SIGKILL');
    this.currentKill?.();
    for (const c of this.containers.values()) c.kill();
    this.containers.clear();
    await new Promise<void>((done) => {
      this.server.close(() => done());
      this.server.closeAllConnections();
    });
  }

  /** Kills the handler process that is running now (a crash after a call took effect). */
  killCurrentInvocation(): void {
    this.current?.kill('SIGKILL');
    this.currentKill?.();
  }

  /**
   * The next `count` handler processes die as they try to answer CloudFormation: whatever they
   * did in DRS took effect, the answer never arrives, and Lambda retries the invocation.
   */
  dieBeforeResponding(count = 1): void {
    this.pendingDeaths += count;
  }

  /**
   * Fires the schedule rules of a deployed stack (one rule, or every rule with a
   * ScheduleExpression): each Lambda target is invoked asynchronously with the rule's Input,
   * then every invocation the handlers queue runs. Returns the number of handler runs.
   */
  async triggerSchedule(stackName: string, ruleLogicalId?: string): Promise<number> {
    const d = this.deployed.get(stackName);
    if (!d) throw new Error(`stack ${stackName} is not deployed`);
    const rules = [...d.resources.values()].filter((r) => r.type === 'AWS::Events::Rule' &&
      (ruleLogicalId ? r.logicalId === ruleLogicalId : (r.properties as any).ScheduleExpression !== undefined));
    if (rules.length === 0) throw new Error(`stack ${stackName} has no schedule rule${ruleLogicalId ? ` ${ruleLogicalId}` : ''}`);
    for (const rule of rules) {
      for (const target of ((rule.properties as any).Targets ?? []) as { Arn: string; Input?: string }[]) {
        const payload = target.Input !== undefined ? JSON.parse(target.Input) : { 'source': 'aws.events', 'detail-type': 'Scheduled Event', 'detail': {} };
        this.asyncQueue.push({ d, fn: this.functionFor(d, target.Arn), payload });
      }
    }
    const before = this.invocations.length;
    await this.drainAsyncInvocations(() => false);
    return this.invocations.length - before;
  }

  /**
   * The next create or update of plain resource `logicalId` in `stackName` fails: another
   * resource of the stack failing mid-operation, which makes CloudFormation roll back.
   */
  failResource(stackName: string, logicalId: string, reason = 'the resource failed (injected by the lifecycle driver)'): void {
    this.failing.set(`${stackName}/${logicalId}`, reason);
  }

  /**
   * Stack refactoring ("Stack refactoring",
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stack-refactoring.html): moves
   * deployed resources to another deployed stack, optionally under a new logical id ("You can
   * rename logical IDs during refactoring"), without creating, deleting or changing any resource
   * (the refactor "does not allow new resource creations, resource deletions, or changes to
   * resource configurations"): no custom-resource request is sent. `templates` are both stacks'
   * templates after the refactor; a moved resource must be declared there exactly as before.
   * Guess: the moved resource's properties are resolved again in its new stack (its
   * ServiceToken names the new stack's function), so the next update sends no Update for it.
   *
   * Custom resources cannot be refactored: the same page, "Resource limitations", says "Stack
   * refactoring only supports resource types with a `provisioningType` of `FULLY_MUTABLE`",
   * "CloudFormation will validate resource eligibility during refactor creation and report any
   * unsupported resources in the output of the describe-stack-refactor command", and lists
   * `AWS::CloudFormation::CustomResource` among "The following resources aren't supported for
   * stack refactoring". A `Custom::<Name>` type is that resource type under a name of the
   * template's choosing ("For custom resources, you can specify AWS::CloudFormation::CustomResource
   * (the default) as the resource type, or you can specify your own resource type name",
   * CustomResourceProps.resourceType, https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.CustomResourceProps.html),
   * and is no registry type with a provisioning type. So a refactor that moves one fails at its
   * creation (`CREATE_FAILED`, the reason naming the resources) and nothing moves.
   */
  refactor(moves: RefactorMove[], templates: AssemblyStack[]): RefactorResult {
    const byName = new Map(templates.map((t) => [t.stackName, t]));
    const unsupported = moves.filter((m) => {
      const type = this.deployed.get(m.fromStack)?.resources.get(m.fromLogicalId)?.type ?? '';
      return type === 'AWS::CloudFormation::CustomResource' || type.startsWith('Custom::');
    });
    if (unsupported.length > 0) {
      const reason = `resource types not supported by stack refactoring: ${unsupported
        .map((m) => `${m.fromStack}/${m.fromLogicalId} (${this.deployed.get(m.fromStack)!.resources.get(m.fromLogicalId)!.type})`).join(', ')}`;
      for (const name of new Set(moves.flatMap((m) => [m.fromStack, m.toStack]))) {
        const d = this.deployed.get(name);
        if (d) this.emit(d, name, 'AWS::CloudFormation::Stack', 'REFACTOR_CREATE_FAILED', d.stackId, reason);
      }
      return { status: 'CREATE_FAILED', statusReason: reason };
    }
    for (const m of moves) {
      const from = this.deployed.get(m.fromStack);
      const to = this.deployed.get(m.toStack);
      if (!from || !to) throw new Error(`refactor: stacks ${m.fromStack} and ${m.toStack} must both be deployed`);
      const r = from.resources.get(m.fromLogicalId);
      if (!r) throw new Error(`refactor: no resource ${m.fromLogicalId} in ${m.fromStack}`);
      const toLogicalId = m.toLogicalId ?? m.fromLogicalId;
      if (to.resources.has(toLogicalId)) throw new Error(`refactor: ${m.toStack} already has a resource ${toLogicalId}`);
      const declared = JSON.stringify(from.stack.template.Resources[m.fromLogicalId]);
      const after = byName.get(m.toStack)?.template.Resources?.[toLogicalId];
      if (JSON.stringify(after) !== declared) throw new Error(`refactor: ${m.toStack}'s template must declare ${toLogicalId} exactly as ${m.fromStack} declared ${m.fromLogicalId}`);
      from.resources.delete(m.fromLogicalId);
      to.resources.set(toLogicalId, { ...r, logicalId: toLogicalId });
    }
    for (const t of templates) {
      const d = this.deployed.get(t.stackName);
      if (!d) continue;
      const refactored: DeployedStack = { ...d, stack: t };
      for (const m of moves.filter((x) => x.toStack === t.stackName)) {
        const id = m.toLogicalId ?? m.fromLogicalId;
        refactored.resources.get(id)!.properties = resolveResourceProperties(t.template, id, this.context(refactored));
      }
      this.deployed.set(t.stackName, refactored);
      this.emit(refactored, t.stackName, 'AWS::CloudFormation::Stack', 'REFACTOR_COMPLETE', d.stackId);
    }
    this.refreshTrust();
    return { status: 'EXECUTE_COMPLETE' };
  }

  /** Physical ids and attributes of a deployed stack's resources. */
  resources(stackName: string): Record<string, DeployedResource> {
    const d = this.deployed.get(stackName);
    if (!d) return {};
    return Object.fromEntries([...d.resources.values()].map((r) => [
      r.logicalId, { type: r.type, physicalId: r.physicalId, attributes: { ...r.attributes } },
    ]));
  }

  /** The stack id (an ARN, new for each creation) of a deployed stack. */
  stackId(stackName: string): string | undefined {
    return this.deployed.get(stackName)?.stackId;
  }

  /** Forgets injected deaths and resource failures that have not happened yet. */
  clearInjectedFaults(): void {
    this.pendingDeaths = 0;
    this.failing.clear();
  }

  isDeployed(stackName: string): boolean {
    return this.deployed.has(stackName);
  }

  /**
   * Overwrites the physical id CloudFormation holds for a deployed resource, as if it had recorded
   * another (tests of what a handler does when handed someone else's resource).
   */
  setPhysicalId(stackName: string, logicalId: string, physicalId: string): void {
    const r = this.deployed.get(stackName)?.resources.get(logicalId);
    if (!r) throw new Error(`no resource ${logicalId} in deployed stack ${stackName}`);
    r.physicalId = physicalId;
  }

  /** Creates the stack, or updates it when it is already deployed. */
  async deploy(stack: AssemblyStack): Promise<OperationResult> {
    const existing = this.deployed.get(stack.stackName);
    return existing ? this.update(existing, stack) : this.create(stack);
  }

  /** Deletes every resource in reverse dependency order, keeping those with DeletionPolicy Retain. */
  async destroy(stackName: string): Promise<OperationResult> {
    const d = this.deployed.get(stackName);
    if (!d) return { status: 'DELETE_COMPLETE', failures: [] };
    const failures: { logicalId: string; reason: string }[] = [];
    const ctx = this.context(d);
    // DescribeStacks says DELETE_IN_PROGRESS while the resources are deleted.
    this.emit(d, stackName, 'AWS::CloudFormation::Stack', 'DELETE_IN_PROGRESS', d.stackId);
    // What a failed resource depends on stays too (CloudFormation deletes a resource only after
    // everything that depends on it), so a later destroy still has the function to call.
    const dependencies = resourceDependencies(d.stack.template as CfnTemplate);
    const blocked = new Set<string>();
    const block = (id: string): void => {
      for (const dep of dependencies[id] ?? []) {
        if (!blocked.has(dep)) { blocked.add(dep); block(dep); }
      }
    };
    for (const logicalId of deletionOrder(d.stack.template as CfnTemplate, ctx)) {
      const r = d.resources.get(logicalId);
      if (!r || blocked.has(logicalId)) continue;
      const failure = await this.deleteResource(d, d.stack.template, r, 'DeletionPolicy');
      if (failure) {
        failures.push({ logicalId, reason: failure });
        block(logicalId);
      } else {
        d.resources.delete(logicalId);
      }
    }
    if (failures.length > 0) {
      this.emit(d, stackName, 'AWS::CloudFormation::Stack', 'DELETE_FAILED', d.stackId, failures.map((f) => f.reason).join('; '));
      return { status: 'DELETE_FAILED', failures };
    }
    this.deployed.delete(stackName);
    this.refreshTrust();
    this.emit(d, stackName, 'AWS::CloudFormation::Stack', 'DELETE_COMPLETE', d.stackId);
    return { status: 'DELETE_COMPLETE', failures };
  }

  private async create(stack: AssemblyStack): Promise<OperationResult> {
    const d: DeployedStack = {
      stack,
      stackId: `arn:aws:cloudformation:${stack.region}:${stack.account}:stack/${stack.stackName}/${randomUUID()}`,
      resources: new Map(),
    };
    this.deployed.set(stack.stackName, d);
    this.emit(d, stack.stackName, 'AWS::CloudFormation::Stack', 'CREATE_IN_PROGRESS', d.stackId);
    const ctx = this.context(d);
    for (const logicalId of creationOrder(stack.template as CfnTemplate, ctx)) {
      if (!isResourceActive(stack.template, logicalId, ctx)) continue;
      const failure = await this.createResource(d, logicalId);
      if (failure) {
        // Rollback: delete what was created, the failed resource included (CloudFormation sends
        // it a Delete with the physical id of its FAILED response).
        this.emit(d, stack.stackName, 'AWS::CloudFormation::Stack', 'ROLLBACK_IN_PROGRESS', d.stackId, failure);
        const rollbackFailures: { logicalId: string; reason: string }[] = [];
        for (const id of deletionOrder(stack.template as CfnTemplate, ctx)) {
          const r = d.resources.get(id);
          const reason = r && await this.deleteResource(d, stack.template, r, 'DeletionPolicy');
          if (reason) rollbackFailures.push({ logicalId: id, reason });
        }
        if (rollbackFailures.length > 0) {
          this.emit(d, stack.stackName, 'AWS::CloudFormation::Stack', 'ROLLBACK_FAILED', d.stackId, rollbackFailures.map((f) => f.reason).join('; '));
          this.deployed.delete(stack.stackName);
          return { status: 'ROLLBACK_FAILED', failures: [{ logicalId, reason: failure }, ...rollbackFailures] };
        }
        this.deployed.delete(stack.stackName);
        this.emit(d, stack.stackName, 'AWS::CloudFormation::Stack', 'ROLLBACK_COMPLETE', d.stackId);
        return { status: 'ROLLBACK_COMPLETE', failures: [{ logicalId, reason: failure }] };
      }
    }
    this.refreshTrust();
    this.emit(d, stack.stackName, 'AWS::CloudFormation::Stack', 'CREATE_COMPLETE', d.stackId);
    return { status: 'CREATE_COMPLETE', failures: [] };
  }

  /**
   * A stack update, in CloudFormation's documented order:
   * 1. new resources are created first, then changed resources updated, each in dependency order
   *    ("DependsOn attribute", https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-dependson.html:
   *    "Resource B is created before resource A ... Resource B is updated before resource A"; CloudFormation
   *    works in parallel where nothing depends on it, so creating the independent new resources first
   *    is one order it may take);
   * 2. a replacement (an Update answered with a new physical id) creates the new resource now and
   *    deletes the old one only in the cleanup phase ("Understand update behaviors of stack resources",
   *    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html:
   *    "usually creates the replacement resource first, changes references from other dependent
   *    resources to point to the replacement resource, and then deletes the old resource");
   * 3. cleanup, after the update succeeded: replaced and removed resources are deleted, in reverse
   *    dependency order ("Monitor the progress of a stack update",
   *    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-monitor-stack.html:
   *    UPDATE_COMPLETE_CLEANUP_IN_PROGRESS; "it first creates a new resource and then deletes the old
   *    resource"). A failed delete in cleanup does not fail the update: the stack stays
   *    UPDATE_COMPLETE and the resource is left behind (reported in `cleanupFailures`);
   * 4. a failure rolls back: updated resources get an Update back to their old properties (newest
   *    first), then, in the rollback's cleanup (UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS), the
   *    resources this update created, replacements' new resources included, are deleted ("Choose
   *    how to handle failures when provisioning resources",
   *    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stack-failure-options.html:
   *    by default the stack rolls back to its last known stable state). A rollback step that fails
   *    leaves the stack UPDATE_ROLLBACK_FAILED.
   */
  private async update(d: DeployedStack, next: AssemblyStack): Promise<OperationResult> {
    const previous = d.stack;
    const before = new Map([...d.resources].map(([k, v]) => [k, { ...v }]));
    const live: DeployedStack = { ...d, stack: next };
    this.deployed.set(next.stackName, live);
    const ctx = this.context(live);
    const created: string[] = [];
    const replaced: ResourceState[] = [];
    /** Updated (or attempted) resources and the properties they were sent. */
    const updated: { logicalId: string; properties: Record<string, unknown> }[] = [];
    this.emit(live, next.stackName, 'AWS::CloudFormation::Stack', 'UPDATE_IN_PROGRESS', d.stackId);
    let failure: { logicalId: string; reason: string } | undefined;

    // New resources that depend on nothing changed go first; the rest follow in dependency order.
    const order = creationOrder(next.template as CfnTemplate, ctx).filter((id) => isResourceActive(next.template, id, ctx));
    const dependencies = resourceDependencies(next.template as CfnTemplate);
    const later = new Set<string>();
    const first: string[] = [];
    for (const logicalId of order) {
      const isNew = !live.resources.has(logicalId);
      if (isNew && !(dependencies[logicalId] ?? []).some((dep) => later.has(dep))) first.push(logicalId);
      else later.add(logicalId);
    }
    for (const logicalId of [...first, ...order.filter((id) => later.has(id))]) {
      const old = live.resources.get(logicalId);
      if (!old) {
        const reason = await this.createResource(live, logicalId);
        created.push(logicalId);
        if (reason) { failure = { logicalId, reason }; break; }
        continue;
      }
      const props = resolveResourceProperties(next.template, logicalId, this.context(live));
      if (JSON.stringify(props) === JSON.stringify(old.properties)) continue;
      updated.push({ logicalId, properties: props });
      const oldState = { ...old };
      const reason = await this.updateResource(live, logicalId, props);
      if (reason) { failure = { logicalId, reason }; break; }
      if (live.resources.get(logicalId)!.physicalId !== oldState.physicalId) replaced.push(oldState);
    }

    if (failure) {
      this.emit(live, next.stackName, 'AWS::CloudFormation::Stack', 'UPDATE_ROLLBACK_IN_PROGRESS', d.stackId, failure.reason);
      const rollbackFailures: { logicalId: string; reason: string }[] = [];
      const newResources: ResourceState[] = [];
      // Updated resources go back to their old properties, newest first. A replacement's new
      // physical resource is one of this update's new resources: deleted in the cleanup below.
      for (const { logicalId, properties } of [...updated].reverse()) {
        const old = before.get(logicalId)!;
        const now = live.resources.get(logicalId)!;
        if (now.physicalId !== old.physicalId) newResources.push(now);
        live.resources.set(logicalId, old);
        if (!isCustom(old.type)) continue;
        // The rollback's Update has its events (UPDATE_IN_PROGRESS, then UPDATE_COMPLETE), from the
        // previous template: DescribeStackResource then shows its Metadata (what a scheduled
        // reconciliation reads) and an in-progress status while the handler works.
        const rolling = { ...live, stack: previous };
        this.emit(rolling, next.stackName, old.type, 'UPDATE_IN_PROGRESS', old.physicalId, undefined, logicalId);
        const response = await this.sendUpdate(rolling, previous.template, old, old.properties, properties);
        if (response.Status === 'FAILED') {
          this.emit(live, next.stackName, old.type, 'UPDATE_FAILED', old.physicalId, response.Reason, logicalId);
          rollbackFailures.push({ logicalId, reason: response.Reason ?? 'failed' });
        } else {
          this.emit(rolling, next.stackName, old.type, 'UPDATE_COMPLETE', old.physicalId, undefined, logicalId);
        }
      }
      // UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS: what this update created, in reverse order.
      // A new resource with DeletionPolicy Retain stays (RollbackStack's RetainExceptOnCreate,
      // off by default, would delete it). New resources go in reverse creation order, so a new
      // handler function outlives the new custom resources it serves.
      for (const r of newResources) {
        const reason = await this.deleteResource(live, next.template, r, 'DeletionPolicy');
        if (reason) rollbackFailures.push({ logicalId: r.logicalId, reason });
      }
      for (const logicalId of [...created].reverse()) {
        const r = live.resources.get(logicalId);
        const reason = r && await this.deleteResource(live, next.template, r, 'DeletionPolicy');
        if (reason) rollbackFailures.push({ logicalId, reason });
        live.resources.delete(logicalId);
      }
      this.deployed.set(next.stackName, { ...live, stack: previous });
      this.refreshTrust();
      if (rollbackFailures.length > 0) {
        this.emit(live, next.stackName, 'AWS::CloudFormation::Stack', 'UPDATE_ROLLBACK_FAILED', d.stackId, rollbackFailures.map((f) => f.reason).join('; '));
        return { status: 'UPDATE_ROLLBACK_FAILED', failures: [failure, ...rollbackFailures] };
      }
      this.emit(live, next.stackName, 'AWS::CloudFormation::Stack', 'UPDATE_ROLLBACK_COMPLETE', d.stackId);
      return { status: 'UPDATE_ROLLBACK_COMPLETE', failures: [failure] };
    }

    // UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: old physical resources of replacements, then resources
    // removed from the template, in reverse dependency order of the previous template.
    this.emit(live, next.stackName, 'AWS::CloudFormation::Stack', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', d.stackId);
    const cleanupFailures: { logicalId: string; reason: string }[] = [];
    // Removed resources are deleted as the previous template declared them (their function and
    // its role may be leaving with them: they go later, in reverse dependency order).
    const leaving: DeployedStack = { ...live, stack: previous };
    for (const old of replaced) {
      const reason = await this.deleteResource(leaving, previous.template, old, 'UpdateReplacePolicy');
      if (reason) cleanupFailures.push({ logicalId: old.logicalId, reason });
    }
    const keep = new Set(Object.keys(next.template.Resources ?? {}));
    for (const logicalId of deletionOrder(previous.template as CfnTemplate, this.context(leaving))) {
      const r = live.resources.get(logicalId);
      if (r && !keep.has(logicalId)) {
        const reason = await this.deleteResource(leaving, previous.template, r, 'DeletionPolicy');
        if (reason) cleanupFailures.push({ logicalId, reason });
        live.resources.delete(logicalId);
      }
    }
    this.refreshTrust();
    this.emit(live, next.stackName, 'AWS::CloudFormation::Stack', 'UPDATE_COMPLETE', d.stackId);
    return { status: 'UPDATE_COMPLETE', failures: [], ...(cleanupFailures.length > 0 ? { cleanupFailures } : {}) };
  }

  private async createResource(d: DeployedStack, logicalId: string): Promise<string | undefined> {
    const template = d.stack.template;
    const type: string = template.Resources[logicalId].Type;
    const properties = resolveResourceProperties(template, logicalId, this.context(d));
    this.emit(d, d.stack.stackName, type, 'CREATE_IN_PROGRESS', undefined, undefined, logicalId);
    if (!isCustom(type)) {
      const injected = this.takeFailure(d, logicalId);
      if (injected) {
        this.emit(d, d.stack.stackName, type, 'CREATE_FAILED', undefined, injected, logicalId);
        return injected;
      }
      d.resources.set(logicalId, { logicalId, type, physicalId: plainPhysicalId(d, logicalId, type, properties), properties, attributes: {} });
      d.resources.get(logicalId)!.attributes = this.plainAttributes(d, logicalId, type);
      this.emit(d, d.stack.stackName, type, 'CREATE_COMPLETE', d.resources.get(logicalId)!.physicalId, undefined, logicalId);
      return undefined;
    }
    const response = await this.invoke(d, logicalId, type, { RequestType: 'Create', ResourceProperties: properties });
    // Even a failed create leaves a physical id that rollback will send a Delete for.
    d.resources.set(logicalId, { logicalId, type, physicalId: response.PhysicalResourceId, properties, attributes: response.Data ?? {} });
    if (response.Status === 'FAILED') {
      this.emit(d, d.stack.stackName, type, 'CREATE_FAILED', response.PhysicalResourceId, response.Reason, logicalId);
      return response.Reason ?? 'failed';
    }
    this.emit(d, d.stack.stackName, type, 'CREATE_COMPLETE', response.PhysicalResourceId, undefined, logicalId);
    return undefined;
  }

  private async updateResource(d: DeployedStack, logicalId: string, properties: Record<string, unknown>): Promise<string | undefined> {
    const r = d.resources.get(logicalId)!;
    this.emit(d, d.stack.stackName, r.type, 'UPDATE_IN_PROGRESS', r.physicalId, undefined, logicalId);
    if (!isCustom(r.type)) {
      const injected = this.takeFailure(d, logicalId);
      if (injected) {
        this.emit(d, d.stack.stackName, r.type, 'UPDATE_FAILED', r.physicalId, injected, logicalId);
        return injected;
      }
      d.resources.set(logicalId, { ...r, properties });
      this.emit(d, d.stack.stackName, r.type, 'UPDATE_COMPLETE', r.physicalId, undefined, logicalId);
      return undefined;
    }
    const response = await this.sendUpdate(d, d.stack.template, r, properties, r.properties);
    if (response.Status === 'FAILED') {
      this.emit(d, d.stack.stackName, r.type, 'UPDATE_FAILED', r.physicalId, response.Reason, logicalId);
      return response.Reason ?? 'failed';
    }
    d.resources.set(logicalId, { ...r, physicalId: response.PhysicalResourceId, properties, attributes: response.Data ?? {} });
    this.emit(d, d.stack.stackName, r.type, 'UPDATE_COMPLETE', response.PhysicalResourceId, undefined, logicalId);
    return undefined;
  }

  private takeFailure(d: DeployedStack, logicalId: string): string | undefined {
    const key = `${d.stack.stackName}/${logicalId}`;
    const reason = this.failing.get(key);
    this.failing.delete(key);
    return reason;
  }

  private sendUpdate(
    d: DeployedStack, _template: any, r: ResourceState,
    properties: Record<string, unknown>, oldProperties: Record<string, unknown>,
  ): Promise<CustomResourceResponse> {
    return this.invoke(d, r.logicalId, r.type, {
      RequestType: 'Update',
      PhysicalResourceId: r.physicalId,
      ResourceProperties: properties,
      OldResourceProperties: oldProperties,
    });
  }

  /** Returns a failure reason, or undefined when the resource is gone or retained. */
  private async deleteResource(
    d: DeployedStack, template: any, r: ResourceState, policy: 'DeletionPolicy' | 'UpdateReplacePolicy',
  ): Promise<string | undefined> {
    const declared = template.Resources?.[r.logicalId]?.[policy];
    if (declared === 'Retain' || declared === 'RetainExceptOnCreate') {
      this.emit(d, d.stack.stackName, r.type, 'DELETE_SKIPPED', r.physicalId, undefined, r.logicalId);
      return undefined;
    }
    this.emit(d, d.stack.stackName, r.type, 'DELETE_IN_PROGRESS', r.physicalId, undefined, r.logicalId);
    if (isCustom(r.type)) {
      const response = await this.invoke(d, r.logicalId, r.type, {
        RequestType: 'Delete', PhysicalResourceId: r.physicalId, ResourceProperties: r.properties,
      });
      if (response.Status === 'FAILED') {
        this.emit(d, d.stack.stackName, r.type, 'DELETE_FAILED', r.physicalId, response.Reason, r.logicalId);
        return response.Reason ?? 'failed';
      }
    }
    this.emit(d, d.stack.stackName, r.type, 'DELETE_COMPLETE', r.physicalId, undefined, r.logicalId);
    return undefined;
  }

  /** Invokes the custom resource's function as Lambda would for CloudFormation, retries included. */
  private async invoke(d: DeployedStack, logicalId: string, resourceType: string, request: Record<string, unknown>): Promise<CustomResourceResponse> {
    const props = request.ResourceProperties as Record<string, unknown>;
    const fn = this.functionFor(d, String(props.ServiceToken));
    const requestId = randomUUID();
    const event = {
      ...request,
      ServiceToken: props.ServiceToken,
      ResponseURL: `${this.responseBase}/${requestId}`,
      StackId: d.stackId,
      RequestId: requestId,
      LogicalResourceId: logicalId,
      ResourceType: resourceType,
      ResourceProperties: stringifyLeaves(props),
      ...(request.OldResourceProperties ? { OldResourceProperties: stringifyLeaves(request.OldResourceProperties) } : {}),
    };
    const attempts = 1 + (this.options.lambdaRetries ?? 2);
    const received = new Promise<CustomResourceResponse>((done) => this.responses.set(requestId, done));
    let response: CustomResourceResponse | undefined;
    received.then((r) => { response = r; }, () => undefined);
    for (let attempt = 1; attempt <= attempts && !response; attempt++) {
      this.useRoleOf(d, fn);
      const started = Date.now();
      const exitCode = await this.runHandler(d, fn, event, requestId);
      await new Promise((r) => setImmediate(r));
      this.invocations.push({
        stackName: d.stack.stackName,
        logicalId,
        requestType: String(request.RequestType),
        attempt,
        exitCode,
        responded: response !== undefined,
        durationMs: Date.now() - started,
      });
      // A function that returned without answering leaves CloudFormation waiting until its
      // one-hour timeout: no Lambda retry, the resource fails.
      if (exitCode === 0 && !response) break;
      if (attempt === attempts && exitCode !== 0 && !response) this.queueFailureRecord(d, fn, event, attempts);
    }
    // A handler that handed its work to a new invocation of itself: that one (or a later one) answers.
    await this.drainAsyncInvocations(() => response !== undefined);
    this.responses.delete(requestId);
    return response ?? {
      Status: 'FAILED',
      PhysicalResourceId: String(request.PhysicalResourceId ?? requestId),
      Reason: 'the custom resource did not send a response (CloudFormation would time out after one hour)',
    };
  }

  /** Runs the queued asynchronous invocations in order, each with Lambda's retries of a failed run. */
  private async drainAsyncInvocations(responded: () => boolean): Promise<void> {
    while (this.asyncQueue.length > 0) {
      const { d, fn, payload } = this.asyncQueue.shift()!;
      for (let attempt = 1; attempt <= 1 + (this.options.lambdaRetries ?? 2); attempt++) {
        this.useRoleOf(d, fn);
        const started = Date.now();
        const exitCode = await this.runHandler(d, fn, payload, randomUUID());
        await new Promise((r) => setImmediate(r));
        this.invocations.push({
          stackName: d.stack.stackName,
          logicalId: String(payload?.LogicalResourceId ?? fn.logicalId),
          requestType: String(payload?.RequestType ?? 'Event'),
          attempt,
          exitCode,
          responded: responded(),
          durationMs: Date.now() - started,
        });
        if (exitCode === 0) break;
        if (attempt === 1 + (this.options.lambdaRetries ?? 2)) this.queueFailureRecord(d, fn, payload, attempt);
      }
    }
  }

  /**
   * Lambda gave up on an asynchronous invocation: the invocation record goes to the function's
   * on-failure destination when its EventInvokeConfig names a function of the stack.
   */
  private queueFailureRecord(d: DeployedStack, fn: FunctionInfo, payload: unknown, attempts: number): void {
    const template = d.stack.template as CfnTemplate;
    const ctx = this.context(d);
    for (const [logicalId, r] of Object.entries<any>(template.Resources ?? {})) {
      if (r.Type !== 'AWS::Lambda::EventInvokeConfig' || !d.resources.has(logicalId)) continue;
      if (resolveValue(template, r.Properties?.FunctionName, ctx) !== fn.name) continue;
      const destination = r.Properties?.DestinationConfig?.OnFailure?.Destination;
      if (destination === undefined) return;
      const target = this.functionFor(d, String(resolveValue(template, destination, ctx)));
      this.asyncQueue.push({
        d,
        fn: target,
        payload: {
          version: '1.0',
          timestamp: new Date().toISOString(),
          requestContext: { requestId: randomUUID(), functionArn: `${fn.name}:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: attempts },
          requestPayload: payload,
          responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
          responsePayload: { errorType: 'Error', errorMessage: 'the invocation failed (local run)' },
        },
      });
      return;
    }
  }

  /**
   * The local Lambda Invoke endpoint (POST /2015-03-31/functions/{name}/invocations), for
   * InvocationType Event only: authorized against the calling function's role, then queued.
   */
  private onLambdaInvoke(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
    const answer = (status: number, errorType?: string, message?: string) => {
      res.writeHead(status, errorType ? { 'content-type': 'application/json', 'x-amzn-errortype': errorType } : {})
        .end(errorType ? JSON.stringify({ Type: 'User', message }) : undefined);
    };
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(req.url ?? '');
    const name = match ? decodeURIComponent(match[1]) : '';
    // A name, or an ARN (arn:aws:lambda:region:account:function:name[:qualifier]).
    const functionName = name.startsWith('arn:') ? name.split(':')[6] : name;
    if (req.headers['x-amz-invocation-type'] !== 'Event') {
      return answer(400, 'InvalidParameterValueException', 'the local Lambda endpoint serves InvocationType Event only');
    }
    for (const d of this.deployed.values()) {
      const r = [...d.resources.values()].find((x) => x.type === 'AWS::Lambda::Function' && x.physicalId === functionName);
      if (!r) continue;
      const fn = this.functionFor(d, r.physicalId);
      const caller = this.running;
      const role = caller && [...caller.d.resources.values()].find((x) => x.type === 'AWS::IAM::Role' && x.attributes.Arn === caller.fn.roleArn);
      const decision = role
        ? authorizerFromTemplate(caller.d.stack.template, role.logicalId, this.context(caller.d))({
          action: 'lambda:InvokeFunction', resource: String(r.attributes.Arn), account: d.stack.account, region: d.stack.region, context: {},
        })
        : { allowed: false, reason: 'no handler process is running' };
      if (!decision.allowed) return answer(403, 'AccessDeniedException', `not authorized to invoke ${functionName}: ${decision.reason}`);
      this.asyncQueue.push({ d, fn, payload: JSON.parse(body.toString('utf8') || 'null') });
      return answer(202);
    }
    return answer(404, 'ResourceNotFoundException', `Function not found: ${name}`);
  }

  /** The local CloudFormation query endpoint, authorized against the calling function's role. */
  private onCloudFormationQuery(res: http.ServerResponse, body: Buffer): void {
    const answer = answerCloudFormationQuery(body.toString('utf8'), {
      findStack: (nameOrId) => this.stackViews.findStack(nameOrId),
      authorize: (action, stackArn) => {
        const caller = this.running;
        const role = caller && [...caller.d.resources.values()].find((x) => x.type === 'AWS::IAM::Role' && x.attributes.Arn === caller.fn.roleArn);
        if (!caller || !role) return { allowed: false, reason: 'no handler process is running' };
        return authorizerFromTemplate(caller.d.stack.template, role.logicalId, this.context(caller.d))({
          action, resource: stackArn, account: caller.d.stack.account, region: caller.d.stack.region, context: {},
        });
      },
    });
    res.writeHead(answer.status, { 'content-type': 'text/xml' }).end(answer.body);
  }

  private runHandler(d: DeployedStack, fn: FunctionInfo, event: unknown, requestId: string): Promise<number | null> {
    this.running = { d, fn };
    const creds = this.options.drs.credentialsFor(d.stack.account);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      AWS_REGION: d.stack.region,
      AWS_DEFAULT_REGION: d.stack.region,
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      ...fn.environment,
      // The SDK's standard endpoint variables; the handler has none of its own.
      AWS_ENDPOINT_URL_DRS: this.options.drs.endpoint,
      AWS_ENDPOINT_URL_LAMBDA: this.responseBase,
      AWS_ENDPOINT_URL_CLOUDFORMATION: this.responseBase,
      ...this.options.handlerEnv,
    };
    const timeoutMs = Math.min(fn.timeoutSeconds * 1000, this.options.maxInvocationMs ?? Infinity);
    if (this.options.runner === 'in-process') return this.runInProcess(d, fn, env, event, timeoutMs, requestId);
    return new Promise((done) => {
      const child = fork(RUNNER, [], { execArgv: [], env, stdio: this.options.showHandlerOutput ? 'inherit' : 'ignore' });
      this.current = child;
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('exit', (code) => {
        clearTimeout(timer);
        if (this.current === child) this.current = undefined;
        done(code);
      });
      const timing = this.options.handlerTiming === false ? undefined : this.options.handlerTiming ?? LOCAL_TIMING;
      child.send({ assetDir: fn.assetDir, handler: fn.handler, event, timeoutMs, functionName: fn.name, requestId, timing });
    });
  }

  /**
   * One invocation in the function's in-process container (created on first use, as Lambda
   * starts an execution environment): exit code 0 when the handler resolves, 1 when it throws,
   * null when it was killed (a death before responding, or its timeout).
   */
  private runInProcess(
    d: DeployedStack, fn: FunctionInfo, env: Record<string, string>, event: unknown, timeoutMs: number, requestId: string,
  ): Promise<number | null> {
    const key = JSON.stringify([d.stackId, fn.name, fn.assetDir, fn.handler, env]);
    let container = this.containers.get(key);
    if (!container || container.isDead) {
      const [file, exportName] = fn.handler.split('.');
      const timing = this.options.handlerTiming === false ? undefined : this.options.handlerTiming ?? LOCAL_TIMING;
      container = new BundleContainer(path.join(fn.assetDir, `${file}.js`), exportName, env, {
        output: this.options.showHandlerOutput ? console : undefined,
        timing,
      });
      this.containers.set(key, container);
    }
    const c = container;
    const started = Date.now();
    const context = {
      functionName: fn.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${d.stack.region}:${d.stack.account}:function:${fn.name}`,
      memoryLimitInMB: '256',
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${fn.name}`,
      logStreamName: 'local',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - started)),
    };
    return new Promise((done) => {
      let settled = false;
      const finish = (code: number | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (this.currentKill === kill) this.currentKill = undefined;
        done(code);
      };
      const kill = () => {
        c.kill();
        if (this.containers.get(key) === c) this.containers.delete(key);
        finish(null);
      };
      this.currentKill = kill;
      const timer = setTimeout(kill, timeoutMs);
      Promise.resolve().then(() => c.handler(event, context)).then(
        () => finish(c.isDead ? null : 0),
        (err) => {
          if (this.options.showHandlerOutput) process.stderr.write(`function error: ${err?.stack ?? err}\n`);
          finish(c.isDead ? null : 1);
        });
    });
  }

  private functionFor(d: DeployedStack, serviceToken: string): FunctionInfo {
    for (const r of d.resources.values()) {
      if (r.type !== 'AWS::Lambda::Function') continue;
      if (r.attributes.Arn !== serviceToken && r.physicalId !== serviceToken) continue;
      const p = r.properties as any;
      const assetDir = d.stack.assetDirs[p.Code?.S3Key];
      if (!assetDir) throw new Error(`function ${r.logicalId}: no file asset for S3Key ${p.Code?.S3Key} in the assembly`);
      return {
        logicalId: r.logicalId,
        name: r.physicalId,
        assetDir,
        handler: p.Handler,
        timeoutSeconds: Number(p.Timeout ?? 3),
        environment: (p.Environment?.Variables ?? {}) as Record<string, string>,
        roleArn: String(p.Role),
      };
    }
    throw new Error(`no function in stack ${d.stack.stackName} answers to ServiceToken ${serviceToken}`);
  }

  /** The handler runs with its own role's policies, as deployed in this stack. */
  private useRoleOf(d: DeployedStack, fn: FunctionInfo): void {
    const role = [...d.resources.values()].find((r) => r.type === 'AWS::IAM::Role' && r.attributes.Arn === fn.roleArn);
    if (!role) throw new Error(`function ${fn.logicalId}: its role ${fn.roleArn} is not in stack ${d.stack.stackName}`);
    const ctx = this.context(d);
    // Policies are evaluated once per template, role and deployed state; decisions once per request.
    let byTemplate = this.authorizers.get(d.stack.template);
    if (!byTemplate) this.authorizers.set(d.stack.template, byTemplate = new Map());
    const key = JSON.stringify([role.logicalId, ctx]);
    let authorizer = byTemplate.get(key);
    if (!authorizer) {
      const evaluate = authorizerFromTemplate(d.stack.template, role.logicalId, ctx);
      const decisions = new Map<string, ReturnType<typeof evaluate>>();
      authorizer = (request) => {
        const k = JSON.stringify(request);
        let decision = decisions.get(k);
        if (!decision) decisions.set(k, decision = evaluate(request));
        return decision;
      };
      byTemplate.set(key, authorizer);
    }
    this.options.drs.setAuthorizer(d.stack.account, authorizer);
  }

  /** The attributes CloudFormation derives for plain resources (their ARNs). */
  private plainAttributes(d: DeployedStack, logicalId: string, type: string): Record<string, unknown> {
    const name = type === 'AWS::IAM::ManagedPolicy' ? 'PolicyArn' : type === 'AWS::SNS::Topic' ? 'TopicArn' : 'Arn';
    try {
      return { [name]: resolveValue(d.stack.template, { 'Fn::GetAtt': [logicalId, name] }, this.context(d)) };
    } catch {
      return {};
    }
  }

  /** Staging trust is whatever the deployed staging templates declare. */
  private refreshTrust(): void {
    this.options.drs.setTrustEvaluator(trustFromTemplates([...this.deployed.values()].map((d) => ({
      account: d.stack.account,
      region: d.stack.region,
      template: d.stack.template,
    }))));
  }

  private context(d: DeployedStack): DeployContext {
    const physicalIds: Record<string, string> = {};
    const attributes: Record<string, Record<string, unknown>> = {};
    for (const r of d.resources.values()) {
      physicalIds[r.logicalId] = r.physicalId;
      if (Object.keys(r.attributes).length > 0) attributes[r.logicalId] = r.attributes;
    }
    return {
      account: d.stack.account,
      region: d.stack.region,
      stackName: d.stack.stackName,
      stackId: d.stackId,
      physicalIds,
      attributes,
    };
  }

  private emit(
    d: DeployedStack, stackName: string, resourceType: string, status: string,
    physicalId?: string, reason?: string, logicalId?: string,
  ): void {
    const event: StackEvent = { stackName, logicalId: logicalId ?? stackName, resourceType, status, physicalId, reason };
    const declared = logicalId ? d.stack.template.Resources?.[logicalId]?.Metadata : undefined;
    this.stackViews.record({
      ...event,
      stackId: d.stackId,
      metadata: declared === undefined ? undefined : () => resolveValue(d.stack.template, declared, this.context(d)),
      current: new Map([...d.resources.values()].map((r) => [r.logicalId, { physicalId: r.physicalId, type: r.type }])),
    });
    this.events.push(event);
    this.options.onEvent?.(event);
  }

  private async listen(): Promise<void> {
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', () => done()));
    this.responseBase = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private onResponse(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.method === 'POST' && (req.url ?? '').startsWith('/2015-03-31/functions/')) {
        this.onLambdaInvoke(req, res, body);
        return;
      }
      if (req.method === 'POST' && (req.url ?? '/') === '/') {
        this.onCloudFormationQuery(res, body);
        return;
      }
      const requestId = (req.url ?? '').slice(1);
      const deliver = this.responses.get(requestId);
      if (req.method !== 'PUT' || !deliver) {
        res.writeHead(404).end();
        return;
      }
      if (this.pendingDeaths > 0) {
        this.pendingDeaths--;
        this.killCurrentInvocation();
        req.socket.destroy();
        return;
      }
      if (body.length > 4096) {
        // S3 accepts it, CloudFormation does not: the resource fails.
        deliver({ Status: 'FAILED', PhysicalResourceId: requestId, Reason: `Response object is too long (${body.length} bytes)` });
      } else {
        deliver(JSON.parse(body.toString('utf8')));
      }
      res.writeHead(200).end();
    });
  }
}

/**
 * How a stack refactoring ended: refused when it was created (`CREATE_FAILED`, nothing moved), or
 * executed (DescribeStackRefactor's Status and ExecutionStatus values).
 */
export interface RefactorResult {
  readonly status: 'CREATE_FAILED' | 'EXECUTE_COMPLETE';
  readonly statusReason?: string;
}

/** One resource moved by a stack refactoring. */
export interface RefactorMove {
  readonly fromStack: string;
  readonly fromLogicalId: string;
  readonly toStack: string;
  /** @default the same logical id */
  readonly toLogicalId?: string;
}

export interface DeployedResource {
  readonly type: string;
  readonly physicalId: string;
  readonly attributes: Record<string, unknown>;
}

interface FunctionInfo {
  readonly logicalId: string;
  readonly name: string;
  readonly assetDir: string;
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly environment: Record<string, string>;
  readonly roleArn: string;
}

function isCustom(type: string): boolean {
  return type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
}

/** Plain resources get the name they declare, or a CloudFormation-style generated one. */
function plainPhysicalId(d: DeployedStack, logicalId: string, type: string, props: Record<string, any>): string {
  const declared = props.RoleName ?? props.FunctionName ?? props.LogGroupName ?? props.PolicyName
    ?? props.ManagedPolicyName ?? props.TopicName ?? props.Name;
  if (typeof declared === 'string') return declared;
  const suffix = randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase();
  return type === 'AWS::Logs::LogGroup' ? `/local/${d.stack.stackName}-${logicalId}-${suffix}` : `${d.stack.stackName}-${logicalId}-${suffix}`.slice(0, 64);
}

/** CloudFormation hands custom resources every scalar as a string. */
function stringifyLeaves(value: unknown): any {
  if (Array.isArray(value)) return value.map(stringifyLeaves);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stringifyLeaves(v)]));
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value;
}
