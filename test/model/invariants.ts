/**
 * The invariants of the model-based tests, checked after every step against the local DRS's
 * inventory (the model's own bookkeeping only says who made which server):
 *
 * - I1: a stack in a *_COMPLETE state owns exactly what its current template declares: each
 *   declared staging server extended once, as the resource's physical id, with the declared tags;
 *   for a whole-account resource, every owned server comes from its staging account (and matches
 *   the selector when prune is on), and after a reconcile every matching extensible server is
 *   extended. A server the stack made that nothing declares is an orphan, unless its last
 *   declaration was retained or a recovery instance kept CloudFormation's delete from working.
 * - I2: a server the operated stack did not create is never tagged, disconnected or deleted.
 * - I3: after a destroy (or a rolled-back create) nothing the stack made remains, except what
 *   it retains.
 * - I4: every request is answered (no timeouts, no missing or oversized responses); no stack
 *   ends *_FAILED except DELETE_FAILED for a recovery instance, and that destroy then succeeds
 *   once the instance is gone; a template the model expects to work deploys despite faults the
 *   handler must absorb (throttling, internal errors, lost responses, up to two deaths, IAM
 *   propagation), and rolls back cleanly when another resource fails.
 * - I5: no staging-account server ever changes.
 */
import { SourceServer } from '@aws-sdk/client-drs';
import { Fault, StackName } from './generator';
import type { ConcreteStep, ModelRun, StepOutcome } from './runner';
import { SelectorSpec, STAGING, StackSpec, StagingName, stagingServerArn } from './templates';
import { OwnerTags, RESERVED_TAG_KEYS } from '../../src/contract';

export interface Violation {
  readonly invariant: 'I1' | 'I2' | 'I3' | 'I4' | 'I5';
  /** Index of the concrete step after which it was seen. */
  readonly step: number;
  readonly message: string;
}

export interface Snapshot {
  readonly target: SourceServer[];
  readonly staging: Record<string, SourceServer[]>;
}

const RECOVERY_INSTANCE = /recovery instance/i;

export function userTags(server: SourceServer): Record<string, string> {
  return Object.fromEntries(Object.entries(server.tags ?? {}).filter(([k]) => !RESERVED_TAG_KEYS.includes(k)));
}

function globMatches(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(value);
}

export function selectorMatches(selector: SelectorSpec, server: { hostname: string; role: string }): boolean {
  if (selector.kind === 'hostname') return globMatches(selector.pattern!, server.hostname);
  if (selector.kind === 'tag') return server.role === selector.role;
  return true;
}

/**
 * Whether pruning must remove an owned server the selector does not match: only when what DRS
 * shows of an extended server tells. DRS mirrors the staging server's hostname on the extended
 * server, not its tags, and ListExtensibleSourceServers (which shows tags) leaves out servers
 * already extended into the account (DRS API reference, ListExtensibleSourceServers: "The source
 * server is not already extended into this Account"); so a tag condition on an owned server is
 * unknown, and the library documents that such servers are kept (src/servers/server-selector.ts,
 * src/servers/runtime/selector.ts).
 */
export function mustPrune(selector: SelectorSpec, server: { hostname: string; role: string }): boolean {
  return selector.kind === 'hostname' && !globMatches(selector.pattern!, server.hostname);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class Checker {
  /** Server id → the stack id of the stack that made it (or took it over by refactoring), or `hand`. */
  readonly creator = new Map<string, string>();
  /** Servers whose last declaration had removal policy RETAIN. */
  readonly retained = new Set<string>();
  /** Servers CloudFormation's delete could not remove because of a recovery instance (documented). */
  readonly leftBehind = new Set<string>();

  /** Servers that stack refactoring moved to another stack. */
  readonly refactored = new Set<string>();

  constructor(private readonly run: ModelRun) {}

  madeByHand(id: string): void {
    this.creator.set(id, 'hand');
  }

  transfer(serverId: string, stackId: string): void {
    this.creator.set(serverId, stackId);
    this.refactored.add(serverId);
  }

  /**
   * Should this template deploy? Its staging servers exist and are trusted, each is declared
   * once across the deployed stacks, and any existing extension of one is this stack's own:
   * the same resource, or a resource of this stack that the new template removes (a rename, or
   * a switch between per-server and whole-account resources).
   */
  predictValid(stack: StackName, spec: StackSpec): boolean {
    const run = this.run;
    const stackId = run.driver.stackId(run.stackName(stack));
    const current = run.specs[stack];
    const other: StackName = stack === 'A' ? 'B' : 'A';
    if (spec.extensions.some((e) => run.revoked.has(e.staging))) return false;
    const keys = spec.servers.map((s) => s.server);
    if (new Set(keys).size !== keys.length) return false;
    const target = run.target();
    for (const s of spec.servers) {
      const staging = s.server.split(':')[0] as StagingName;
      if (!run.stagingServers.has(s.server) || run.stagingRemoved.has(s.server) || run.revoked.has(staging)) return false;
      if (run.specs[other]?.servers.some((x) => x.server === s.server)) return false;
      const existing = target.find((x) => x.stagingArea?.stagingSourceServerArn === stagingServerArn(s.server));
      if (!existing) continue;
      if (!stackId || this.creator.get(existing.sourceServerID!) !== stackId) return false;
      const ownerId = existing.tags?.[OwnerTags.LOGICAL_ID];
      const same = current?.servers.some((x) => x.id === s.id && x.server === s.server);
      // A handover (rename, switch) needs the owner to be a resource of the stack now: a server
      // whose resource the stack no longer has (kept by RETAIN, also by the rollback of the update
      // that created it) is refused under another logical id (docs/ownership.md, "Refused").
      const ownerInStack = ownerId !== undefined && !!current &&
        (current.servers.some((x) => x.id === ownerId) || current.extensions.some((x) => x.id === ownerId));
      const ownerRemoved = ownerInStack && !spec.servers.some((x) => x.id === ownerId) && !spec.extensions.some((x) => x.id === ownerId);
      if (!same && !ownerRemoved) return false;
    }
    return true;
  }

  afterStep(index: number, step: ConcreteStep, before: Snapshot, outcome: StepOutcome): void {
    const after = this.run.snapshot();
    const violations: Violation[] = [];
    const fail = (invariant: Violation['invariant'], message: string) => violations.push({ invariant, step: index, message });
    const beforeIds = new Set(before.target.map((s) => s.sourceServerID!));
    const describe = (s: SourceServer) => `${s.sourceServerID} (extended from ${keyOf(s)}, tags ${JSON.stringify(s.tags ?? {})})`;

    // Who made the new servers: the stack operated on in this step.
    for (const s of after.target) {
      if (!beforeIds.has(s.sourceServerID!) && !this.creator.has(s.sourceServerID!)) this.creator.set(s.sourceServerID!, outcome.stackId ?? 'unknown');
    }

    // I5: staging servers never change (except by the out-of-band steps that change them).
    if (step.kind !== 'stagingServerRemoved' && step.kind !== 'stagingServerAdded') {
      for (const [account, servers] of Object.entries(before.staging)) {
        if (!sameJson(servers, after.staging[account])) fail('I5', `staging account ${account}'s servers changed in step ${step.kind}`);
      }
    }

    // I2: servers the operated stack did not create keep their tags, connection and existence.
    const operated = new Set([outcome.stackId, outcome.stackIdBefore].filter((x): x is string => !!x));
    for (const b of before.target) {
      const id = b.sourceServerID!;
      if (operated.has(this.creator.get(id) ?? '') || outcome.outOfBand?.includes(id)) continue;
      const a = after.target.find((s) => s.sourceServerID === id);
      const who = (this.creator.get(id) === 'hand' ? 'made by hand' : `made by ${this.creator.get(id)}`)
        + (this.refactored.has(id) ? ' (moved there by stack refactoring)' : '');
      if (!a) {fail('I2', `server ${describe(b)}, ${who}, was deleted by ${step.kind} of ${outcome.stack ?? '-'}`);} else if (!sameJson(a.tags ?? {}, b.tags ?? {})) {fail('I2', `server ${describe(b)}, ${who}, was re-tagged to ${JSON.stringify(a.tags)} by ${step.kind} of ${outcome.stack ?? '-'}`);} else if (a.dataReplicationInfo?.dataReplicationState === 'DISCONNECTED' && b.dataReplicationInfo?.dataReplicationState !== 'DISCONNECTED') {
        fail('I2', `server ${describe(b)}, ${who}, was disconnected by ${step.kind} of ${outcome.stack ?? '-'}`);
      }
    }

    // Servers a rolled-back operation created for resources with removal policy RETAIN stay (CloudFormation keeps them).
    if (step.kind === 'deploy' && outcome.result && /ROLLBACK/.test(outcome.result.status)) {
      for (const s of after.target) {
        if (beforeIds.has(s.sourceServerID!) || this.creator.get(s.sourceServerID!) !== outcome.stackId) continue;
        const key = keyOf(s);
        const declared = step.spec.servers.find((x) => x.server === key)?.retain
          || step.spec.extensions.some((e) => e.retain && s.tags?.[OwnerTags.LOGICAL_ID] === e.id);
        if (declared) this.retained.add(s.sourceServerID!);
      }
    }

    this.checkOperation(step, outcome, fail, after);
    this.checkStacks(step, outcome, after, fail, describe);

    // I3: after a destroy or a rolled-back create, nothing the stack made remains unless retained.
    const gone = (step.kind === 'destroy' && outcome.result?.status === 'DELETE_COMPLETE')
      || (step.kind === 'deploy' && outcome.result?.status === 'ROLLBACK_COMPLETE');
    if (gone && outcome.stackId) {
      for (const s of after.target) {
        const id = s.sourceServerID!;
        if (this.creator.get(id) !== outcome.stackId || this.retained.has(id)) continue;
        if (s.recoveryInstanceId || this.leftBehind.has(id)) { this.leftBehind.add(id); continue; }
        fail('I3', `after ${outcome.result!.status} of stack ${outcome.stack}, its server ${describe(s)} remains`);
      }
    }
    this.run.violations.push(...violations);
  }

  /** I4 for the stack operation of the step. */
  private checkOperation(step: ConcreteStep, outcome: StepOutcome, fail: (i: Violation['invariant'], m: string) => void, after: Snapshot): void {
    const fault = 'fault' in step ? step.fault : undefined;
    const deaths = fault?.kind === 'handlerDies' ? fault.count : 0;
    const killed = outcome.invocations.filter((i) => i.exitCode === null).length;
    if (killed > deaths) fail('I4', `${killed - deaths} handler invocation(s) ran into their time bound and were killed`);
    const result = outcome.result;
    if (!result) {
      if (outcome.reconciled && (fault === undefined || isAbsorbed(fault))) {
        const spec = this.run.specs[outcome.stack!];
        const revoked = spec?.extensions.some((e) => this.run.revoked.has(e.staging));
        if (!revoked && outcome.invocations.length > 0 && !outcome.invocations.some((i) => i.exitCode === 0)) {
          fail('I4', `the scheduled reconcile of stack ${outcome.stack} failed on every attempt`);
        }
        if (!revoked) this.checkReconciled(outcome.stack!, after, fail);
      }
      return;
    }
    const reasons = result.failures.map((f) => `${f.logicalId}: ${f.reason}`).join('; ');
    for (const f of result.failures) {
      if (!f.reason || f.reason === 'failed') fail('I4', `${f.logicalId} failed without a reason`);
      if (/did not send a response/.test(f.reason) && deaths < 3) fail('I4', `${f.logicalId} got no answer: ${f.reason}`);
      if (/Response object is too long/.test(f.reason)) fail('I4', `${f.logicalId}: ${f.reason}`);
    }
    if (result.status.endsWith('_FAILED')) {
      // Documented causes: a recovery instance (the handler names it), or a handler that died on
      // every one of Lambda's attempts (no answer, or the on-failure destination's FAILED answer).
      const documented = result.status === 'DELETE_FAILED' && result.failures.every((f) =>
        (RECOVERY_INSTANCE.test(f.reason) && after.target.some((s) => s.recoveryInstanceId))
        || (/did not send a response|Lambda gave up/.test(f.reason) && deaths >= 3));
      if (!documented) fail('I4', `stack ${outcome.stack} ended ${result.status}: ${reasons}`);
      return;
    }
    if (step.kind === 'deploy') {
      if (fault?.kind === 'otherResourceFails') {
        if (!/ROLLBACK_COMPLETE$/.test(result.status)) fail('I4', `another resource failed, yet stack ${outcome.stack} ended ${result.status}`);
      } else if (outcome.expectValid && isAbsorbed(fault) && !/^(CREATE|UPDATE)_COMPLETE$/.test(result.status)) {
        fail('I4', `a valid template for stack ${outcome.stack} did not deploy (${fault?.kind ?? 'no'} fault): ${result.status}: ${reasons}`);
      }
    }
    if (step.kind === 'destroy' && isAbsorbed(fault) && result.status !== 'DELETE_COMPLETE') {
      fail('I4', `stack ${outcome.stack} did not delete: ${result.status}: ${reasons}`);
    }
  }

  /** I1 for every deployed stack. */
  private checkStacks(
    step: ConcreteStep, outcome: StepOutcome, after: Snapshot,
    fail: (i: Violation['invariant'], m: string) => void, describe: (s: SourceServer) => string,
  ): void {
    const run = this.run;
    for (const stack of ['A', 'B'] as StackName[]) {
      const spec = run.specs[stack];
      const name = run.stackName(stack);
      if (!spec || !run.driver.isDeployed(name) || run.deleteFailed.has(stack)) continue;
      if (outcome.stack === stack && outcome.result?.status.endsWith('_FAILED')) continue;
      const stackId = run.driver.stackId(name)!;
      const resources = run.driver.resources(name);
      const claimed = new Map<string, boolean>();
      for (const s of spec.servers) {
        const physicalId = resources[s.id]?.physicalId;
        const server = after.target.find((x) => x.sourceServerID === physicalId);
        if (!server) {
          fail('I1', `stack ${stack} declares ${s.id} (${s.server}) but its physical id ${physicalId} is no server in the target account`);
          continue;
        }
        claimed.set(server.sourceServerID!, s.retain);
        if (server.stagingArea?.stagingSourceServerArn !== stagingServerArn(s.server)) {
          fail('I1', `stack ${stack}'s ${s.id} should extend ${s.server}, its server ${describe(server)} does not`);
        }
        if (!sameJson(sortKeys(userTags(server)), sortKeys(s.tags))) {
          fail('I1', `stack ${stack}'s ${s.id} declares tags ${JSON.stringify(s.tags)}, its server ${describe(server)} has others`);
        }
        if (server.dataReplicationInfo?.dataReplicationState === 'DISCONNECTED') fail('I1', `stack ${stack}'s ${s.id}: its server ${describe(server)} is disconnected`);
      }
      for (const e of spec.extensions) {
        for (const server of after.target) {
          if (server.tags?.[OwnerTags.STACK_ID] !== stackId || server.tags?.[OwnerTags.LOGICAL_ID] !== e.id) continue;
          if (server.stagingArea?.stagingAccountID !== STAGING[e.staging]) continue;
          // A server both kinds declare is the per-server resource's (its removal policy counts).
          if (!claimed.has(server.sourceServerID!)) claimed.set(server.sourceServerID!, e.retain);
          const staging = run.stagingServers.get(keyOf(server));
          const blocked = server.recoveryInstanceId || this.leftBehind.has(server.sourceServerID!);
          // Servers in EXTENSION_ERROR are never pruned, only reported (documented: README,
          // StagingAccountExtensionProps.pruneNotMatching): their staging side is unreadable.
          const errored = server.stagingArea?.status === 'EXTENSION_ERROR';
          if (e.prune && staging && mustPrune(e.selector, staging) && !blocked && !errored) {
            fail('I1', `stack ${stack}'s ${e.id} prunes, yet owns ${describe(server)}, which its selector ${JSON.stringify(e.selector)} does not match`);
          }
          if (!sameJson(sortKeys(userTags(server)), sortKeys(e.tags))) {
            fail('I1', `stack ${stack}'s ${e.id} declares tags ${JSON.stringify(e.tags)}, its server ${describe(server)} has others`);
          }
        }
      }
      for (const [id, retain] of claimed) {
        if (retain) this.retained.add(id);
        else this.retained.delete(id);
        this.leftBehind.delete(id);
      }
      for (const server of after.target) {
        const id = server.sourceServerID!;
        if (this.creator.get(id) !== stackId || claimed.has(id) || this.retained.has(id)) continue;
        if (server.recoveryInstanceId || this.leftBehind.has(id)) { this.leftBehind.add(id); continue; }
        fail('I1', `stack ${stack} (${outcome.result?.status ?? step.kind}) still has server ${describe(server)}, which its template does not declare`);
      }
    }
  }

  /** After a reconcile: every matching, extensible staging server of the extension's account is extended. */
  private checkReconciled(stack: StackName, after: Snapshot, fail: (i: Violation['invariant'], m: string) => void): void {
    const run = this.run;
    for (const e of run.specs[stack]?.extensions ?? []) {
      for (const [key, server] of run.stagingServers) {
        if (!key.startsWith(`${e.staging}:`) || run.stagingRemoved.has(key) || !selectorMatches(e.selector, server)) continue;
        if (!after.target.some((s) => s.stagingArea?.stagingSourceServerArn === stagingServerArn(key))) {
          fail('I1', `after a reconcile, stack ${stack}'s ${e.id} has not extended ${key} (${server.hostname}), which its selector matches`);
        }
      }
    }
  }
}

/** Faults the handler must absorb: the operation still succeeds. */
export function isAbsorbed(fault: Fault | undefined): boolean {
  if (!fault) return true;
  switch (fault.kind) {
    case 'none': case 'responseLost': case 'throttling': case 'internalErrors': case 'iamPropagation': return true;
    case 'handlerDies': return fault.count <= 2;
    default: return false;
  }
}

function keyOf(s: SourceServer): string {
  const arn = s.stagingArea?.stagingSourceServerArn ?? '';
  const id = arn.split('/')[1] ?? '';
  const name = id[2] === 'a' ? 'S1' : id[2] === 'b' ? 'S2' : '?';
  return `${name}:${parseInt(id.slice(3), 16)}`;
}

function sortKeys(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).sort(([a], [b]) => a.localeCompare(b)));
}
