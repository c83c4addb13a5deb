/**
 * Resolves CloudFormation intrinsics in a synthesized template the way CloudFormation would at
 * deploy time, for the local lifecycle driver and the IAM/trust evaluation. Test support only.
 *
 * Covers what CDK emits for this library's stacks: Ref, Fn::GetAtt, Fn::Join, Fn::Sub,
 * Fn::Select, Fn::Split, Fn::If with the condition functions, Fn::FindInMap, Fn::Base64,
 * Fn::ToJsonString, Fn::Length. Anything else (Fn::GetAZs, Fn::ImportValue, Fn::Cidr, ...) throws,
 * so a template the driver cannot deploy faithfully fails loudly instead of deploying a guess.
 */
import { createHash } from 'crypto';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
  readonly Condition?: string;
  readonly [key: string]: unknown;
}

export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Parameters?: Record<string, { readonly Type?: string; readonly Default?: unknown; readonly [key: string]: unknown }>;
  readonly Conditions?: Record<string, unknown>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  readonly [key: string]: unknown;
}

/** What CloudFormation knows when it deploys the stack. */
export interface DeployContext {
  readonly account: string;
  readonly region: string;
  /** @default 'aws' */
  readonly partition?: string;
  readonly stackName: string;
  /** @default a deterministic stack ARN built from the other fields */
  readonly stackId?: string;
  /**
   * Physical ids of created resources (what `Ref` returns). Read at resolution time, so a driver
   * may fill the same object in as it creates resources. Missing ids fall back to the resource's
   * name property (RoleName, FunctionName, ...) or a deterministic generated name.
   */
  readonly physicalIds?: Record<string, string>;
  /** `Fn::GetAtt` values by logical id; missing ones are derived for well-known types or throw. */
  readonly attributes?: Record<string, Record<string, unknown>>;
  /** Parameter values overriding the template's defaults. */
  readonly parameters?: Record<string, unknown>;
}

/** `AWS::NoValue`: removed from the enclosing object or list after resolution. */
const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

export class UnsupportedIntrinsicError extends Error {}

export function partitionOf(ctx: DeployContext): string {
  return ctx.partition ?? 'aws';
}

export function stackIdOf(ctx: DeployContext): string {
  if (ctx.stackId) return ctx.stackId;
  const h = hash(`${ctx.account}/${ctx.region}/${ctx.stackName}`);
  const uuid = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`.toLowerCase();
  return `arn:${partitionOf(ctx)}:cloudformation:${ctx.region}:${ctx.account}:stack/${ctx.stackName}/${uuid}`;
}

function urlSuffix(ctx: DeployContext): string {
  return partitionOf(ctx) === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
}

function hash(s: string): string {
  return createHash('sha256').update(s).digest('hex').toUpperCase();
}

function resources(template: CfnTemplate): Record<string, CfnResource> {
  return template.Resources ?? {};
}

function pseudo(name: string, ctx: DeployContext): unknown {
  switch (name) {
    case 'AWS::AccountId': return ctx.account;
    case 'AWS::Region': return ctx.region;
    case 'AWS::Partition': return partitionOf(ctx);
    case 'AWS::StackName': return ctx.stackName;
    case 'AWS::StackId': return stackIdOf(ctx);
    case 'AWS::URLSuffix': return urlSuffix(ctx);
    case 'AWS::NoValue': return NO_VALUE;
    case 'AWS::NotificationARNs': return [];
    default: throw new UnsupportedIntrinsicError(`Ref to unknown pseudo parameter ${name}`);
  }
}

/** The property that names a resource of this type, when the template sets one. */
const NAME_PROPERTY: Record<string, string> = {
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Events::Rule': 'Name',
  'AWS::S3::Bucket': 'BucketName',
};

/** The resource's name: its name property, the physical id given, or a generated one. */
function resourceName(template: CfnTemplate, logicalId: string, ctx: DeployContext, stack: string[]): string {
  const given = ctx.physicalIds?.[logicalId];
  const res = resources(template)[logicalId];
  const nameProp = NAME_PROPERTY[res.Type];
  if (given !== undefined && res.Type !== 'AWS::IAM::ManagedPolicy' && res.Type !== 'AWS::SNS::Topic') return given;
  const named = nameProp ? res.Properties?.[nameProp] : undefined;
  if (named !== undefined) return String(resolveIn(template, named, ctx, stack));
  // CloudFormation's generated names look like <stack>-<logicalId>-<random suffix>.
  return `${ctx.stackName.slice(0, 20)}-${logicalId.slice(0, 28)}-${hash(`${stackIdOf(ctx)}/${logicalId}`).slice(0, 12)}`;
}

function refResource(template: CfnTemplate, logicalId: string, ctx: DeployContext, stack: string[]): unknown {
  const res = resources(template)[logicalId];
  const given = ctx.physicalIds?.[logicalId];
  switch (res.Type) {
    case 'AWS::IAM::ManagedPolicy': {
      if (given !== undefined) return given;
      const path = resolveIn(template, res.Properties?.Path ?? '/', ctx, stack);
      return `arn:${partitionOf(ctx)}:iam::${ctx.account}:policy${path}${resourceName(template, logicalId, ctx, stack)}`;
    }
    case 'AWS::SNS::Topic':
      return given ?? `arn:${partitionOf(ctx)}:sns:${ctx.region}:${ctx.account}:${resourceName(template, logicalId, ctx, stack)}`;
    default:
      if (given !== undefined) return given;
      if (res.Type.startsWith('Custom::') || res.Type === 'AWS::CloudFormation::CustomResource') {
        throw new Error(`Ref ${logicalId}: the physical id of custom resource ${logicalId} (${res.Type}) is only known after it is created; pass it in context.physicalIds`);
      }
      return resourceName(template, logicalId, ctx, stack);
  }
}

function getAtt(template: CfnTemplate, logicalId: string, attr: string, ctx: DeployContext, stack: string[]): unknown {
  const res = resources(template)[logicalId];
  if (!res) throw new Error(`Fn::GetAtt ${logicalId}.${attr}: no resource ${logicalId} in the template`);
  const given = ctx.attributes?.[logicalId];
  if (given && attr in given) return given[attr];
  const p = partitionOf(ctx);
  const name = (): string => resourceName(template, logicalId, ctx, stack);
  const derived: Record<string, Record<string, () => unknown>> = {
    'AWS::IAM::Role': {
      Arn: () => `arn:${p}:iam::${ctx.account}:role${resolveIn(template, res.Properties?.Path ?? '/', ctx, stack)}${name()}`,
      RoleId: () => `AROA${hash(`${ctx.account}/${name()}`).slice(0, 17)}`,
    },
    'AWS::IAM::ManagedPolicy': { PolicyArn: () => refResource(template, logicalId, ctx, stack) },
    'AWS::Lambda::Function': { Arn: () => `arn:${p}:lambda:${ctx.region}:${ctx.account}:function:${name()}` },
    'AWS::Logs::LogGroup': { Arn: () => `arn:${p}:logs:${ctx.region}:${ctx.account}:log-group:${name()}:*` },
    'AWS::SNS::Topic': { TopicArn: () => refResource(template, logicalId, ctx, stack), TopicName: name },
    'AWS::Events::Rule': { Arn: () => `arn:${p}:events:${ctx.region}:${ctx.account}:rule/${name()}` },
    'AWS::S3::Bucket': { Arn: () => `arn:${p}:s3:::${name()}` },
    // A key id of the real shape (a UUID), stable per stack and logical id.
    'AWS::KMS::Key': { Arn: () => `arn:${p}:kms:${ctx.region}:${ctx.account}:key/${keyId()}`, KeyId: () => keyId() },
  };
  const keyId = (): string => hash(`${ctx.account}/${ctx.stackName}/${logicalId}`).toLowerCase().slice(0, 32)
    .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
  const f = derived[res.Type]?.[attr];
  if (!f) {
    throw new Error(`Fn::GetAtt ${logicalId}.${attr}: attribute of ${res.Type} is not known before deployment; pass it in context.attributes.${logicalId}`);
  }
  return f();
}

function ref(template: CfnTemplate, name: string, ctx: DeployContext, stack: string[]): unknown {
  if (name.startsWith('AWS::')) return pseudo(name, ctx);
  const param = template.Parameters?.[name];
  if (param) {
    if (ctx.parameters && name in ctx.parameters) return ctx.parameters[name];
    if (param.Default === undefined) throw new Error(`Ref ${name}: parameter has no Default; pass it in context.parameters`);
    return param.Default;
  }
  if (resources(template)[name]) return refResource(template, name, ctx, stack);
  throw new Error(`Ref ${name}: no parameter, resource or pseudo parameter of that name`);
}

function asString(fn: string, v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new Error(`${fn}: expected a string, got ${JSON.stringify(v)}`);
}

function asList(fn: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${fn}: expected a list, got ${JSON.stringify(v)}`);
  return v;
}

function sub(template: CfnTemplate, arg: unknown, ctx: DeployContext, stack: string[]): string {
  const [text, vars] = typeof arg === 'string' ? [arg, {}] : asList('Fn::Sub', arg) as [unknown, Record<string, unknown>?];
  if (typeof text !== 'string') throw new Error(`Fn::Sub: expected a template string, got ${JSON.stringify(text)}`);
  return text.replace(/\$\{([^}]*)\}/g, (_m, expr: string) => {
    if (expr.startsWith('!')) return `\${${expr.slice(1)}}`;
    if (vars && expr in vars) return asString(`Fn::Sub \${${expr}}`, resolveIn(template, vars[expr], ctx, stack));
    const dot = expr.indexOf('.');
    if (dot > 0 && !expr.startsWith('AWS::')) {
      return asString(`Fn::Sub \${${expr}}`, resolveIn(template, { 'Fn::GetAtt': [expr.slice(0, dot), expr.slice(dot + 1)] }, ctx, stack));
    }
    return asString(`Fn::Sub \${${expr}}`, resolveIn(template, { Ref: expr }, ctx, stack));
  });
}

/** Evaluates a named condition of the template's `Conditions` section. */
export function evaluateCondition(template: CfnTemplate, name: string, ctx: DeployContext): boolean {
  return conditionIn(template, name, ctx, []);
}

function conditionIn(template: CfnTemplate, name: string, ctx: DeployContext, stack: string[]): boolean {
  const def = template.Conditions?.[name];
  if (def === undefined) throw new Error(`Condition ${name} is not declared in the template's Conditions`);
  if (stack.includes(`Condition:${name}`)) throw new Error(`Condition ${name} refers to itself`);
  const v = resolveIn(template, def, ctx, [...stack, `Condition:${name}`]);
  if (typeof v !== 'boolean') throw new Error(`Condition ${name} did not evaluate to a boolean: ${JSON.stringify(v)}`);
  return v;
}

function bool(fn: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new Error(`${fn}: expected a condition, got ${JSON.stringify(v)}`);
}

type Intrinsic = (template: CfnTemplate, arg: unknown, ctx: DeployContext, stack: string[]) => unknown;

const INTRINSICS: Record<string, Intrinsic> = {
  'Ref': (t, arg, ctx, stack) => ref(t, asString('Ref', arg), ctx, stack),
  'Fn::GetAtt': (t, arg, ctx, stack) => {
    let parts: unknown[];
    if (typeof arg === 'string') {
      const dot = arg.indexOf('.');
      parts = [arg.slice(0, dot), arg.slice(dot + 1)];
    } else {
      parts = asList('Fn::GetAtt', arg);
    }
    const [id, attr] = parts;
    return getAtt(t, asString('Fn::GetAtt', id), asString('Fn::GetAtt', resolveIn(t, attr, ctx, stack)), ctx, stack);
  },
  'Fn::Join': (t, arg, ctx, stack) => {
    const [delim, list] = asList('Fn::Join', arg);
    const items = asList('Fn::Join', resolveIn(t, list, ctx, stack));
    return items.map((i) => asString('Fn::Join', i)).join(asString('Fn::Join', delim));
  },
  'Fn::Sub': (t, arg, ctx, stack) => sub(t, arg, ctx, stack),
  'Fn::Select': (t, arg, ctx, stack) => {
    const [index, list] = asList('Fn::Select', arg);
    const i = Number(resolveIn(t, index, ctx, stack));
    const items = asList('Fn::Select', resolveIn(t, list, ctx, stack));
    if (!Number.isInteger(i) || i < 0 || i >= items.length) {
      throw new Error(`Fn::Select: index ${JSON.stringify(index)} is out of range for a list of ${items.length}`);
    }
    return items[i];
  },
  'Fn::Split': (t, arg, ctx, stack) => {
    const [delim, text] = asList('Fn::Split', arg);
    return asString('Fn::Split', resolveIn(t, text, ctx, stack)).split(asString('Fn::Split', delim));
  },
  'Fn::If': (t, arg, ctx, stack) => {
    const [cond, whenTrue, whenFalse] = asList('Fn::If', arg);
    return resolveIn(t, conditionIn(t, asString('Fn::If', cond), ctx, stack) ? whenTrue : whenFalse, ctx, stack);
  },
  'Condition': (t, arg, ctx, stack) => conditionIn(t, asString('Condition', arg), ctx, stack),
  'Fn::Equals': (t, arg, ctx, stack) => {
    const [a, b] = asList('Fn::Equals', resolveIn(t, arg, ctx, stack));
    return JSON.stringify(a) === JSON.stringify(b) || (typeof a !== 'object' && typeof b !== 'object' && String(a) === String(b));
  },
  'Fn::Not': (t, arg, ctx, stack) => !bool('Fn::Not', asList('Fn::Not', resolveIn(t, arg, ctx, stack))[0]),
  'Fn::And': (t, arg, ctx, stack) => asList('Fn::And', resolveIn(t, arg, ctx, stack)).every((v) => bool('Fn::And', v)),
  'Fn::Or': (t, arg, ctx, stack) => asList('Fn::Or', resolveIn(t, arg, ctx, stack)).some((v) => bool('Fn::Or', v)),
  'Fn::FindInMap': (t, arg, ctx, stack) => {
    const [map, top, second] = asList('Fn::FindInMap', resolveIn(t, arg, ctx, stack)).map((v) => asString('Fn::FindInMap', v));
    const value = t.Mappings?.[map]?.[top]?.[second];
    if (value === undefined) throw new Error(`Fn::FindInMap: no value for ${map}.${top}.${second}`);
    return value;
  },
  'Fn::Base64': (t, arg, ctx, stack) => Buffer.from(asString('Fn::Base64', resolveIn(t, arg, ctx, stack))).toString('base64'),
  'Fn::ToJsonString': (t, arg, ctx, stack) => JSON.stringify(resolveIn(t, arg, ctx, stack)),
  'Fn::Length': (t, arg, ctx, stack) => asList('Fn::Length', resolveIn(t, arg, ctx, stack)).length,
  // Rules function; CDK's CheckBootstrapVersion rule uses it.
  'Fn::Contains': (t, arg, ctx, stack) => {
    const [list, v] = asList('Fn::Contains', resolveIn(t, arg, ctx, stack));
    return asList('Fn::Contains', list).includes(v);
  },
};

const UNSUPPORTED = ['Fn::GetAZs', 'Fn::ImportValue', 'Fn::Cidr', 'Fn::Transform', 'Fn::ForEach'];

function resolveIn(template: CfnTemplate, value: unknown, ctx: DeployContext, stack: string[]): unknown {
  if (Array.isArray(value)) {
    return value.map((v) => resolveIn(template, v, ctx, stack)).filter((v) => v !== NO_VALUE);
  }
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const key = keys[0];
    const arg = (value as Record<string, unknown>)[key];
    if (UNSUPPORTED.includes(key)) {
      throw new UnsupportedIntrinsicError(`${key} is not supported by the local deployment (${JSON.stringify(value)}); resolve it in the stack instead`);
    }
    // `Condition` is only an intrinsic inside condition expressions; elsewhere it is a plain key.
    const insideCondition = stack.some((s) => s.startsWith('Condition:'));
    if (key in INTRINSICS && (key !== 'Condition' || insideCondition)) {
      if (key === 'Ref' || key === 'Fn::GetAtt') {
        const target = key === 'Ref' ? String(arg) : (typeof arg === 'string' ? arg.split('.')[0] : String((arg as unknown[])[0]));
        if (stack.includes(target)) throw new Error(`${key} ${target}: circular reference (${[...stack, target].join(' -> ')})`);
        return INTRINSICS[key](template, arg, ctx, [...stack, target]);
      }
      return INTRINSICS[key](template, arg, ctx, stack);
    }
    if (key.startsWith('Fn::')) throw new UnsupportedIntrinsicError(`${key} is not supported by the local deployment`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const r = resolveIn(template, v, ctx, stack);
    if (r !== NO_VALUE) out[k] = r;
  }
  return out;
}

/** Resolves every intrinsic in `value` (any fragment of `template`). */
export function resolve(template: CfnTemplate, value: unknown, ctx: DeployContext): unknown {
  const r = resolveIn(template, value, ctx, []);
  return r === NO_VALUE ? undefined : r;
}

/** False when the resource has a `Condition` that evaluates to false (CloudFormation skips it). */
export function isResourceActive(template: CfnTemplate, logicalId: string, ctx: DeployContext): boolean {
  const res = resources(template)[logicalId];
  if (!res) throw new Error(`no resource ${logicalId} in the template`);
  return res.Condition === undefined || evaluateCondition(template, res.Condition, ctx);
}

/** The resource's `Properties` with every intrinsic resolved. */
export function resolveResourceProperties(template: CfnTemplate, logicalId: string, ctx: DeployContext): Record<string, unknown> {
  const res = resources(template)[logicalId];
  if (!res) throw new Error(`no resource ${logicalId} in the template`);
  return (resolve(template, res.Properties ?? {}, ctx) ?? {}) as Record<string, unknown>;
}

/**
 * Logical ids of resources `value` refers to through Ref, Fn::GetAtt or Fn::Sub (every branch of
 * Fn::If counts, as CloudFormation does when it builds its dependency graph).
 */
export function referencedResources(template: CfnTemplate, value: unknown): Set<string> {
  const found = new Set<string>();
  const ids = resources(template);
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (v === null || typeof v !== 'object') return;
    for (const [k, arg] of Object.entries(v)) {
      if (k === 'Ref' && typeof arg === 'string' && ids[arg]) found.add(arg);
      if (k === 'Fn::GetAtt') {
        const id = typeof arg === 'string' ? arg.split('.')[0] : Array.isArray(arg) ? arg[0] : undefined;
        if (typeof id === 'string' && ids[id]) found.add(id);
      }
      if (k === 'Fn::Sub') {
        const text = typeof arg === 'string' ? arg : Array.isArray(arg) ? arg[0] : undefined;
        const vars = Array.isArray(arg) && arg[1] && typeof arg[1] === 'object' ? arg[1] as Record<string, unknown> : {};
        if (typeof text === 'string') {
          for (const m of text.matchAll(/\$\{([^}!][^}]*)\}/g)) {
            const id = m[1].split('.')[0];
            if (!(m[1] in vars) && ids[id]) found.add(id);
          }
        }
      }
      visit(arg);
    }
  };
  visit(value);
  return found;
}

/** Each resource's dependencies: `DependsOn` plus the resources its properties refer to. */
export function resourceDependencies(template: CfnTemplate): Record<string, string[]> {
  const deps: Record<string, string[]> = {};
  const res = resources(template);
  for (const [id, r] of Object.entries(res)) {
    const set = referencedResources(template, r.Properties ?? {});
    const dependsOn = r.DependsOn === undefined ? [] : Array.isArray(r.DependsOn) ? r.DependsOn : [r.DependsOn];
    for (const d of dependsOn) {
      if (!res[d]) throw new Error(`${id} DependsOn ${d}, which is not a resource in the template`);
      set.add(d);
    }
    set.delete(id);
    deps[id] = [...set];
  }
  return deps;
}

/**
 * Logical ids in an order CloudFormation could create them (dependencies first; ties keep
 * template order). With `ctx`, resources whose Condition is false are left out.
 */
export function creationOrder(template: CfnTemplate, ctx?: DeployContext): string[] {
  const deps = resourceDependencies(template);
  const ids = Object.keys(deps).filter((id) => !ctx || isResourceActive(template, id, ctx));
  const active = new Set(ids);
  const done = new Set<string>();
  const order: string[] = [];
  while (order.length < ids.length) {
    const next = ids.find((id) => !done.has(id) && deps[id].every((d) => done.has(d) || !active.has(d)));
    if (next === undefined) {
      const stuck = ids.filter((id) => !done.has(id));
      throw new Error(`circular dependency between resources: ${stuck.join(', ')}`);
    }
    done.add(next);
    order.push(next);
  }
  return order;
}

/** The reverse of {@link creationOrder}: dependents are deleted before what they depend on. */
export function deletionOrder(template: CfnTemplate, ctx?: DeployContext): string[] {
  return creationOrder(template, ctx).reverse();
}

/** An IAM policy document (kept loose: the evaluator validates statements). */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: unknown[] | unknown;
}

export interface NamedPolicy {
  readonly name: string;
  readonly document: PolicyDocument;
  /** Where the policy comes from: the role's `Policies`, or the logical id of the policy resource. */
  readonly source: string;
}

export interface RoleDefinition {
  readonly logicalId: string;
  /** The role's name (the `RoleName` property, or the generated physical name). */
  readonly roleName: string;
  /** Whether `RoleName` is set in the template. */
  readonly hasExplicitName: boolean;
  readonly path: string;
  readonly arn: string;
  readonly assumeRolePolicyDocument: PolicyDocument;
  /** The role's inline `Policies`. */
  readonly inlinePolicies: NamedPolicy[];
  /** Resolved `ManagedPolicyArns`, including those of managed policies in this template. */
  readonly managedPolicyArns: string[];
  /**
   * Documents of `AWS::IAM::Policy` / `AWS::IAM::ManagedPolicy` resources in this template that
   * attach to the role (through their `Roles`, or through the role's `ManagedPolicyArns`).
   */
  readonly attachedPolicies: NamedPolicy[];
}

function refersToRole(template: CfnTemplate, entry: unknown, roleLogicalId: string, roleName: string, ctx: DeployContext): boolean {
  if (entry && typeof entry === 'object' && referencedResources(template, entry).has(roleLogicalId)) return true;
  return resolve(template, entry, ctx) === roleName;
}

/** The role with everything that grants it permissions, resolved. */
export function roleDefinition(template: CfnTemplate, roleLogicalId: string, ctx: DeployContext): RoleDefinition {
  const res = resources(template);
  const role = res[roleLogicalId];
  if (!role) throw new Error(`no resource ${roleLogicalId} in the template`);
  if (role.Type !== 'AWS::IAM::Role') throw new Error(`${roleLogicalId} is a ${role.Type}, not an AWS::IAM::Role`);
  const props = resolveResourceProperties(template, roleLogicalId, ctx);
  const roleName = String(ref(template, roleLogicalId, ctx, [roleLogicalId]));
  const arn = String(getAtt(template, roleLogicalId, 'Arn', ctx, [roleLogicalId]));
  const inlinePolicies = ((props.Policies ?? []) as { PolicyName: string; PolicyDocument: PolicyDocument }[])
    .map((p) => ({ name: p.PolicyName, document: p.PolicyDocument, source: `${roleLogicalId}.Policies` }));

  const attachedPolicies: NamedPolicy[] = [];
  const managedPolicyArns: string[] = [];
  const rawManaged = (role.Properties?.ManagedPolicyArns ?? []) as unknown[];
  for (const entry of Array.isArray(rawManaged) ? rawManaged : []) {
    const arnValue = resolve(template, entry, ctx);
    if (arnValue === undefined) continue;
    managedPolicyArns.push(String(arnValue));
    const local = [...referencedResources(template, entry)].find((id) => res[id].Type === 'AWS::IAM::ManagedPolicy');
    if (local && isResourceActive(template, local, ctx)) {
      const p = resolveResourceProperties(template, local, ctx);
      attachedPolicies.push({ name: String(arnValue), document: p.PolicyDocument as PolicyDocument, source: local });
    }
  }
  for (const [id, r] of Object.entries(res)) {
    if (r.Type !== 'AWS::IAM::Policy' && r.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const roles = r.Properties?.Roles;
    if (!Array.isArray(roles) || !roles.some((e) => refersToRole(template, e, roleLogicalId, roleName, ctx))) continue;
    if (!isResourceActive(template, id, ctx) || attachedPolicies.some((p) => p.source === id)) continue;
    const p = resolveResourceProperties(template, id, ctx);
    if (r.Type === 'AWS::IAM::ManagedPolicy') {
      const policyArn = String(refResource(template, id, ctx, [id]));
      managedPolicyArns.push(policyArn);
      attachedPolicies.push({ name: policyArn, document: p.PolicyDocument as PolicyDocument, source: id });
    } else {
      attachedPolicies.push({ name: String(p.PolicyName ?? id), document: p.PolicyDocument as PolicyDocument, source: id });
    }
  }

  return {
    logicalId: roleLogicalId,
    roleName,
    hasExplicitName: role.Properties?.RoleName !== undefined,
    path: String(props.Path ?? '/'),
    arn,
    assumeRolePolicyDocument: props.AssumeRolePolicyDocument as PolicyDocument,
    inlinePolicies,
    managedPolicyArns,
    attachedPolicies,
  };
}

/** Every active `AWS::IAM::Role` in the template, resolved. */
export function roleDefinitions(template: CfnTemplate, ctx: DeployContext): RoleDefinition[] {
  return Object.entries(resources(template))
    .filter(([id, r]) => r.Type === 'AWS::IAM::Role' && isResourceActive(template, id, ctx))
    .map(([id]) => roleDefinition(template, id, ctx));
}
