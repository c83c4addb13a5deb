/**
 * Random stack histories (fast-check). A history is plain data: the DRS reading it runs under and
 * a list of steps. Steps that change a template say what to change ("rename the server picked by
 * 3"), and the runner resolves them against the stack's current template, so every generated
 * step applies to whatever state the history has reached and shrinking keeps histories valid.
 * The runner records the resolved steps (`ConcreteStep`), and the regression tests replay those.
 */
import * as fc from 'fast-check';
import { ExtensionSpec, SelectorSpec, ServerSpec, StackSpec, StagingName } from './templates';

export type StackName = 'A' | 'B';

/** "Delete needs a disconnect first": the API reference's reading (every server) or the user guide's (extended servers may go any time). */
export type DeleteReading = 'apiReference' | 'userGuide';

export interface History {
  readonly reading: DeleteReading;
  readonly steps: readonly Step[];
}

/** Something going wrong while CloudFormation runs an operation. */
export type Fault =
  | { readonly kind: 'none' }
  /** Another resource of the stack fails after the custom resources: the stack rolls back. */
  | { readonly kind: 'otherResourceFails' }
  /** The handler process dies as it answers, `count` times in a row (Lambda retries twice). */
  | { readonly kind: 'handlerDies'; readonly count: number }
  /** A DRS call takes effect but its response is lost. */
  | { readonly kind: 'responseLost'; readonly operation: string }
  /** A burst of throttling. */
  | { readonly kind: 'throttling'; readonly count: number }
  | { readonly kind: 'internalErrors'; readonly count: number }
  /** The handler role's policy has not propagated yet: its first `count` DRS requests are denied. */
  | { readonly kind: 'iamPropagation'; readonly count: number };

/** A change to a stack's template; `pick` chooses among the existing resources (modulo their number). */
export type Change =
  | { readonly op: 'addServer'; readonly server: string; readonly tags: Record<string, string>; readonly retain: boolean }
  | { readonly op: 'removeServer'; readonly pick: number }
  | { readonly op: 'renameServer'; readonly pick: number }
  | { readonly op: 'changeArn'; readonly pick: number; readonly server: string }
  | { readonly op: 'changeTags'; readonly pick: number; readonly tags: Record<string, string> }
  | { readonly op: 'flipRemovalPolicy'; readonly pick: number }
  | { readonly op: 'addExtension'; readonly staging: StagingName; readonly selector: SelectorSpec; readonly prune: boolean }
  | { readonly op: 'removeExtension' }
  | { readonly op: 'changeSelector'; readonly selector: SelectorSpec; readonly prune: boolean }
  | { readonly op: 'changeStagingAccount' }
  | { readonly op: 'changeExtensionTags'; readonly tags: Record<string, string> }
  /** Per-server resources for what the extension owns now, in place of the extension. */
  | { readonly op: 'toServers' }
  /** One extension of the first server's staging account (selector: all), in place of the servers. */
  | { readonly op: 'toExtension' }
  | { readonly op: 'nothing' };

export type Step =
  | { readonly kind: 'deploy'; readonly stack: StackName; readonly change: Change; readonly fault: Fault }
  /** A server moves to the other stack: two deploys, in either order. */
  | { readonly kind: 'move'; readonly from: StackName; readonly pick: number; readonly removeFirst: boolean }
  /** Stack refactoring: a server moves to the other stack (both deployed) without being recreated. */
  | { readonly kind: 'refactor'; readonly from: StackName; readonly pick: number; readonly rename: boolean }
  | { readonly kind: 'destroy'; readonly stack: StackName; readonly fault: Fault }
  /** The extension's schedule fires. */
  | { readonly kind: 'reconcile'; readonly stack: StackName; readonly fault: Fault }
  /** Someone extends a staging server into the target account by hand. */
  | { readonly kind: 'handMade'; readonly server: string }
  /** A staging server is removed in the staging account. */
  | { readonly kind: 'stagingServerRemoved'; readonly server: string }
  /** A new staging server starts replicating. */
  | { readonly kind: 'stagingServerAdded'; readonly staging: StagingName; readonly role: string }
  | { readonly kind: 'trustRevoked'; readonly staging: StagingName }
  | { readonly kind: 'trustRestored'; readonly staging: StagingName }
  /** A recovery instance is launched for the target server picked. */
  | { readonly kind: 'recoveryInstanceLaunched'; readonly pick: number }
  | { readonly kind: 'recoveryInstanceTerminated' };

/** The staging servers templates may name: S1 has four, S2 two. */
export const STAGING_POOL: Record<StagingName, { hostname: string; role: string }[]> = {
  S1: [{ hostname: 'web-1', role: 'web' }, { hostname: 'web-2', role: 'web' }, { hostname: 'db-1', role: 'db' }, { hostname: 'app-1', role: 'app' }],
  S2: [{ hostname: 'web-3', role: 'web' }, { hostname: 'db-2', role: 'db' }],
};

export const SERVER_IDS = ['SrvA', 'SrvB', 'SrvC', 'SrvD', 'SrvE', 'SrvF'];
export const EXTENSION_ID = 'ExtA';

const serverKey = fc.constantFrom(...Object.entries(STAGING_POOL).flatMap(([name, servers]) => servers.map((_, i) => `${name}:${i}`)));
const staging = fc.constantFrom<StagingName>('S1', 'S2');
const tags = fc.dictionary(fc.constantFrom('Team', 'Tier', 'Cost'), fc.constantFrom('a', 'b', 'c'), { maxKeys: 2 });
const selector: fc.Arbitrary<SelectorSpec> = fc.oneof(
  fc.constant<SelectorSpec>({ kind: 'all' }),
  fc.constantFrom('web-*', 'db-?', '*-1', 'APP-*').map<SelectorSpec>((pattern) => ({ kind: 'hostname', pattern })),
  fc.constantFrom('web', 'db', 'app').map<SelectorSpec>((role) => ({ kind: 'tag', role })),
);
const pick = fc.nat({ max: 7 });

export const faultArbitrary: fc.Arbitrary<Fault> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Fault>({ kind: 'none' }) },
  { weight: 1, arbitrary: fc.constant<Fault>({ kind: 'otherResourceFails' }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }).map<Fault>((count) => ({ kind: 'handlerDies', count })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('CreateExtendedSourceServer', 'DeleteSourceServer', 'DisconnectSourceServer', 'TagResource')
      .map<Fault>((operation) => ({ kind: 'responseLost', operation })),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 6 }).map<Fault>((count) => ({ kind: 'throttling', count })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }).map<Fault>((count) => ({ kind: 'internalErrors', count })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }).map<Fault>((count) => ({ kind: 'iamPropagation', count })) },
);

export const changeArbitrary: fc.Arbitrary<Change> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('addServer' as const), server: serverKey, tags, retain: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('removeServer' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('renameServer' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('changeArn' as const), pick, server: serverKey }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('changeTags' as const), pick, tags }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('flipRemovalPolicy' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('addExtension' as const), staging, selector, prune: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ op: 'removeExtension' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('changeSelector' as const), selector, prune: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ op: 'changeStagingAccount' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('changeExtensionTags' as const), tags }) },
  { weight: 1, arbitrary: fc.constant({ op: 'toServers' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'toExtension' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'nothing' as const }) },
);

const stackName = fc.constantFrom<StackName>('A', 'B');

export const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('deploy' as const), stack: stackName, change: changeArbitrary, fault: faultArbitrary }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('move' as const), from: stackName, pick, removeFirst: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('refactor' as const), from: stackName, pick, rename: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('destroy' as const), stack: stackName, fault: faultArbitrary }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reconcile' as const), stack: stackName, fault: faultArbitrary }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('handMade' as const), server: serverKey }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stagingServerRemoved' as const), server: serverKey }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stagingServerAdded' as const), staging, role: fc.constantFrom('web', 'db') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('trustRevoked' as const), staging }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('trustRestored' as const), staging }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('recoveryInstanceLaunched' as const), pick }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'recoveryInstanceTerminated' as const }) },
);

/** Which parts of the generator to leave out (steps by kind, faults by kind): for known, unfixed defects. */
export interface GeneratorOptions {
  readonly minSteps?: number;
  readonly maxSteps?: number;
  readonly excludeSteps?: readonly Step['kind'][];
  readonly excludeFaults?: readonly Fault['kind'][];
  readonly excludeChanges?: readonly Change['op'][];
}

const initialDeploy: fc.Arbitrary<Step> = fc.record({
  kind: fc.constant('deploy' as const),
  stack: stackName,
  change: fc.oneof(
    { weight: 3, arbitrary: fc.record({ op: fc.constant('addServer' as const), server: serverKey, tags, retain: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('addExtension' as const), staging, selector, prune: fc.boolean() }) },
  ),
  fault: fc.constant<Fault>({ kind: 'none' }),
});

/** Histories start with a few deploys that add servers, then anything. */
export function historyArbitrary(options: GeneratorOptions = {}): fc.Arbitrary<History> {
  const minSteps = options.minSteps ?? 8;
  const maxSteps = options.maxSteps ?? 12;
  const keep = (step: Step) => !(options.excludeSteps ?? []).includes(step.kind)
    && !('fault' in step && (options.excludeFaults ?? []).includes(step.fault.kind))
    && !(step.kind === 'deploy' && (options.excludeChanges ?? []).includes(step.change.op));
  const step = stepArbitrary.filter(keep);
  return fc.record({
    reading: fc.constantFrom<DeleteReading>('apiReference', 'userGuide'),
    steps: fc.tuple(fc.array(initialDeploy, { minLength: 1, maxLength: 3 }), fc.array(step, { minLength: minSteps, maxLength: maxSteps }))
      .map(([first, rest]) => [...first, ...rest].slice(0, Math.max(minSteps, maxSteps))),
  });
}

/** Random specs, for checking the template factory against synthesis. */
export function specArbitrary(): fc.Arbitrary<StackSpec> {
  const keys = Object.entries(STAGING_POOL).flatMap(([name, servers]) => servers.map((_, i) => `${name}:${i}`));
  const extension = fc.record<ExtensionSpec>({
    id: fc.constant(EXTENSION_ID), staging, selector, tags, prune: fc.boolean(), retain: fc.boolean(),
  });
  // A staging server is declared once per stack (synthesis refuses a second declaration).
  const servers = fc.shuffledSubarray(keys, { maxLength: 3 }).chain((picked): fc.Arbitrary<ServerSpec[]> => (picked.length === 0
    ? fc.constant([])
    : fc.tuple(...picked.map((key, i) => fc.record<ServerSpec>({
      id: fc.constant(SERVER_IDS[i]), server: fc.constant(key), tags, retain: fc.boolean(),
    })))));
  return fc.record({
    servers,
    extensions: fc.option(extension, { nil: undefined }).map((e) => (e ? [e] : [])),
    canary: fc.nat({ max: 9 }),
  });
}
