/**
 * Stack templates for the model-based tests, from a small description (`StackSpec`).
 *
 * Synthesis is slow (hundreds of milliseconds), so `TemplateFactory` synthesizes a few bases
 * once with the real constructs (`synthSpec`) and builds every other template by editing their
 * JSON: the handler's function, role and policies come verbatim from the base with the same
 * resource types, and each server or extension is the base's resource with its properties
 * changed. `templates.test.ts` checks that the edited JSON equals what CDK synthesizes for
 * random specs, so the shortcut cannot drift from the constructs.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnElement, CfnResource, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ExtendedSourceServer, ServerSelector, StagingAccountExtension, StagingAccountTrust } from '../../src';
import { DECLARED_TAGS_METADATA_KEY, RECONCILE_METADATA_KEY, ResourceTypes } from '../../src/contract';
import { AssemblyStack } from '../lifecycle/assembly';
import { LifecycleDriver } from '../lifecycle/driver';

export const REGION = 'us-east-1';
export const TARGET = '222222222222';
/** Staging accounts by name. */
export const STAGING: Record<StagingName, string> = { S1: '111111111111', S2: '333333333333' };
export type StagingName = 'S1' | 'S2';

/** A server selector of the model (a subset of ServerSelector). */
export interface SelectorSpec {
  readonly kind: 'all' | 'hostname' | 'tag';
  /** hostname: a glob. */
  readonly pattern?: string;
  /** tag: the value of the `Role` tag. */
  readonly role?: string;
}

/** One ExtendedSourceServer. */
export interface ServerSpec {
  readonly id: string;
  /** Staging server key, e.g. `S1:0` (see `stagingServerArn`). */
  readonly server: string;
  readonly tags: Record<string, string>;
  readonly retain: boolean;
}

/** One StagingAccountExtension (always with a reconcile schedule). */
export interface ExtensionSpec {
  readonly id: string;
  readonly staging: StagingName;
  readonly selector: SelectorSpec;
  readonly tags: Record<string, string>;
  readonly prune: boolean;
  readonly retain: boolean;
}

/** A target stack's template. The canary is a plain resource updated on every deploy, after the custom resources. */
export interface StackSpec {
  readonly servers: readonly ServerSpec[];
  readonly extensions: readonly ExtensionSpec[];
  readonly canary: number;
}

/** The ARN of a staging server of the model: `S1:0` → the first server of staging account S1. */
export function stagingServerArn(key: string): string {
  const [name, index] = key.split(':');
  return `arn:aws:drs:${REGION}:${STAGING[name as StagingName]}:source-server/${stagingServerId(name as StagingName, Number(index))}`;
}

/** Fixed ids, so that templates do not depend on the run. */
export function stagingServerId(name: StagingName, index: number): string {
  return `s-${name === 'S1' ? 'a' : 'b'}${index.toString(16).padStart(16, '0')}`;
}

function selectorOf(s: SelectorSpec): ServerSelector {
  if (s.kind === 'hostname') return ServerSelector.hostnameMatches(s.pattern!);
  if (s.kind === 'tag') return ServerSelector.tagEquals('Role', s.role!);
  return ServerSelector.all();
}

const CANARY_ID = 'Canary';

/** A stack whose servers and extensions have the spec's ids as logical ids. */
class SpecStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps, private readonly ids: ReadonlySet<string>) {
    super(scope, id, props);
  }

  protected allocateLogicalId(element: CfnElement): string {
    const parts = element.node.path.split('/').slice(1);
    if (this.ids.has(parts[0])) {
      if (parts[1] === 'Resource') return parts[0];
      if (parts[1] === 'ReconcileSchedule') return parts[2] === 'Resource' ? `${parts[0]}Schedule` : `${parts[0]}SchedulePermission`;
    }
    return super.allocateLogicalId(element);
  }
}

/** Synthesizes a target stack for the spec with the real constructs (slow: for bases and checks). */
export function synthSpec(spec: StackSpec, stackName = 'Target'): AssemblyStack {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'drs-model-'));
  try {
    const app = new App({ outdir });
    const ids = new Set([...spec.servers.map((s) => s.id), ...spec.extensions.map((e) => e.id)]);
    const stack = new SpecStack(app, stackName, { env: { account: TARGET, region: REGION } }, ids);
    const customs: Construct[] = [];
    for (const s of spec.servers) {
      customs.push(new ExtendedSourceServer(stack, s.id, {
        stagingSourceServerArn: stagingServerArn(s.server),
        tags: s.tags,
        removalPolicy: s.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      }));
    }
    for (const e of spec.extensions) {
      customs.push(new StagingAccountExtension(stack, e.id, {
        stagingAccountId: STAGING[e.staging],
        selector: selectorOf(e.selector),
        tags: e.tags,
        pruneNotMatching: e.prune,
        reconcileSchedule: events.Schedule.rate(Duration.hours(1)),
        removalPolicy: e.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      }));
    }
    const canary = new sns.CfnTopic(stack, CANARY_ID, { displayName: `v${spec.canary}` });
    canary.overrideLogicalId(CANARY_ID);
    for (const c of customs) canary.addResourceDependency(c.node.findChild('Resource').node.defaultChild as CfnResource);
    app.synth();
    return LifecycleDriver.stacks(outdir)[stackName];
  } finally {
    // The asset directory is needed to run the handler: keep assets, drop the rest lazily.
    tmpDirs.push(outdir);
  }
}

const tmpDirs: string[] = [];
process.on('exit', () => tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** The staging stacks: each trusts the target account. */
export function synthStaging(): Record<StagingName, AssemblyStack> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'drs-model-staging-'));
  tmpDirs.push(outdir);
  const app = new App({ outdir });
  for (const [name, account] of Object.entries(STAGING)) {
    const stack = new Stack(app, `Staging${name}`, { env: { account, region: REGION } });
    new StagingAccountTrust(stack, 'Trust', { targetAccounts: [TARGET] });
  }
  app.synth();
  const stacks = LifecycleDriver.stacks(outdir);
  return { S1: stacks.StagingS1, S2: stacks.StagingS2 };
}

type Kinds = 'servers' | 'extensions' | 'both' | 'none';

interface Base {
  readonly stack: AssemblyStack;
  /** Every resource except the spec's own (handler function, role, policies, log group). */
  readonly infra: Record<string, any>;
}

const BASE_SERVER: ServerSpec = { id: 'BaseServer', server: 'S1:0', tags: {}, retain: false };
const BASE_EXTENSION: ExtensionSpec = { id: 'BaseExtension', staging: 'S1', selector: { kind: 'all' }, tags: {}, prune: false, retain: false };

/** Builds templates by editing the JSON of a few synthesized bases. */
export class TemplateFactory {
  private readonly bases = new Map<Kinds, Base>();
  private readonly cache = new Map<string, any>();

  /** Synthesizes the bases (a few seconds, once). */
  constructor() {
    const specs: Record<Exclude<Kinds, 'none'>, StackSpec> = {
      servers: { servers: [BASE_SERVER], extensions: [], canary: 0 },
      extensions: { servers: [], extensions: [BASE_EXTENSION], canary: 0 },
      both: { servers: [BASE_SERVER], extensions: [BASE_EXTENSION], canary: 0 },
    };
    for (const [kinds, spec] of Object.entries(specs) as [Exclude<Kinds, 'none'>, StackSpec][]) {
      const stack = synthSpec(spec);
      const own = new Set([BASE_SERVER.id, BASE_EXTENSION.id, `${BASE_EXTENSION.id}Schedule`, `${BASE_EXTENSION.id}SchedulePermission`, CANARY_ID]);
      const infra = Object.fromEntries(Object.entries<any>(stack.template.Resources).filter(([id]) => !own.has(id)));
      this.bases.set(kinds, { stack, infra });
    }
  }

  /** The target stack `stackName` with the spec's template. */
  stack(stackName: string, spec: StackSpec): AssemblyStack {
    const key = JSON.stringify(spec);
    let template = this.cache.get(key);
    if (!template) {
      template = this.template(spec);
      if (this.cache.size > 5000) this.cache.clear();
      this.cache.set(key, template);
    }
    const base = this.bases.get('both')!.stack;
    return { ...base, stackName, artifactId: stackName, dependencies: [], template };
  }

  /** The template CDK would synthesize for the spec (checked by templates.test.ts). */
  template(spec: StackSpec): any {
    const kinds: Kinds = spec.servers.length > 0 ? (spec.extensions.length > 0 ? 'both' : 'servers') : spec.extensions.length > 0 ? 'extensions' : 'none';
    const base = kinds === 'none' ? undefined : this.bases.get(kinds)!;
    const full = this.bases.get('both')!.stack.template;
    const resources: Record<string, any> = {};
    const customs: string[] = [];
    const policy = (retain: boolean) => (retain ? 'Retain' : 'Delete');
    for (const s of spec.servers) {
      const r = clone(full.Resources[BASE_SERVER.id]);
      r.Properties = {
        ServiceToken: r.Properties.ServiceToken,
        StagingSourceServerArn: stagingServerArn(s.server),
        ...(Object.keys(s.tags).length > 0 ? { Tags: { ...s.tags } } : {}),
      };
      // Its declared tags are in its Metadata too (a rollback's hand-back reads them).
      r.Metadata = { ...r.Metadata, [DECLARED_TAGS_METADATA_KEY]: { ...s.tags } };
      r.UpdateReplacePolicy = policy(s.retain);
      r.DeletionPolicy = policy(s.retain);
      // A server depends on the extensions of its staging account (per-server-declarations.ts).
      const deps = [...(r.DependsOn ?? []).filter((d: string) => d !== BASE_EXTENSION.id),
        ...spec.extensions.filter((e) => s.server.startsWith(`${e.staging}:`)).map((e) => e.id)].sort();
      if (deps.length > 0) r.DependsOn = deps;
      else delete r.DependsOn;
      resources[s.id] = r;
      customs.push(s.id);
    }
    for (const e of spec.extensions) {
      const r = clone(full.Resources[BASE_EXTENSION.id]);
      const properties = {
        StagingAccountId: STAGING[e.staging],
        Selector: selectorOf(e.selector)._render(),
        ...(Object.keys(e.tags).length > 0 ? { Tags: { ...e.tags } } : {}),
        ...(e.prune ? { PruneNotMatching: 'true' } : {}),
        ...perServerDeclarations(spec, e),
      };
      r.Properties = { ServiceToken: r.Properties.ServiceToken, ...properties };
      // The reconcile schedule reads the properties from the resource's Metadata.
      if (r.Metadata?.[RECONCILE_METADATA_KEY]) r.Metadata[RECONCILE_METADATA_KEY] = clone(properties);
      // Its declared tags are in its Metadata too (a rollback's hand-back reads them).
      r.Metadata = { ...r.Metadata, [DECLARED_TAGS_METADATA_KEY]: { ...e.tags } };
      r.UpdateReplacePolicy = policy(e.retain);
      r.DeletionPolicy = policy(e.retain);
      resources[e.id] = r;
      customs.push(e.id);
      // The schedule and its permission name the resource only (its properties are read from
      // the resource's Metadata at each run): the base's, renamed.
      const renamed = (id: string) => JSON.parse(JSON.stringify(full.Resources[id]).split(BASE_EXTENSION.id).join(e.id));
      const rule = renamed(`${BASE_EXTENSION.id}Schedule`);
      rule.Properties.Description = `cdk-drs-multi-account: reconcile the servers extended from staging account ${STAGING[e.staging]}`;
      resources[`${e.id}Schedule`] = rule;
      const permission = renamed(`${BASE_EXTENSION.id}SchedulePermission`);
      resources[`${e.id}SchedulePermission`] = permission;
    }
    const canary = clone(full.Resources[CANARY_ID]);
    canary.Properties = { DisplayName: `v${spec.canary}` };
    if (customs.length > 0) canary.DependsOn = [...customs].sort();
    else delete canary.DependsOn;
    resources[CANARY_ID] = canary;
    const template = { ...clone(full), Resources: { ...clone(base?.infra ?? {}), ...resources } };
    return template;
  }
}

/** What the extension's construct lists of the stack's ExtendedSourceServers in its staging account. */
function perServerDeclarations(spec: StackSpec, e: ExtensionSpec): { PerServerDeclarations?: unknown[] } {
  const entries = spec.servers
    .filter((s) => s.server.startsWith(`${e.staging}:`))
    .map((s) => ({ StagingSourceServerArn: stagingServerArn(s.server), ...(Object.keys(s.tags).length > 0 ? { Tags: { ...s.tags } } : {}) }))
    .sort((a, b) => (a.StagingSourceServerArn < b.StagingSourceServerArn ? -1 : a.StagingSourceServerArn > b.StagingSourceServerArn ? 1 : 0));
  return entries.length > 0 ? { PerServerDeclarations: entries } : {};
}

/** The custom resources of a template, by logical id. */
export function customResources(template: any): Record<string, any> {
  return Object.fromEntries(Object.entries<any>(template.Resources ?? {})
    .filter(([, r]) => r.Type === ResourceTypes.EXTENDED_SOURCE_SERVER || r.Type === ResourceTypes.STAGING_ACCOUNT_EXTENSION));
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}
