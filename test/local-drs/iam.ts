/**
 * Evaluates the local DRS caller's identity policies with a real IAM evaluator
 * (@cloud-copilot/iam-simulate), so a missing permission, a too-narrow resource ARN or an unmet
 * tag condition in the library's handler role fails a local test the way it would fail in AWS.
 * Test support only.
 *
 * The Authorizer interface is synchronous; iam-simulate's validating `runSimulation` is async, so
 * decisions come from its synchronous `runUnsafeSimulation`, and policies are validated once, up
 * front, with the same validator `runSimulation` uses (iam-policy).
 */
import { createRequire } from 'module';
import type * as IamPolicy from '@cloud-copilot/iam-policy';
import { runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { AuthzDecision, AuthzRequest, Authorizer } from './types';
import { CfnTemplate, DeployContext, PolicyDocument, roleDefinition, RoleDefinition } from '../support/cfn-template';

/** iam-simulate's own copy of iam-policy (a dependency of it, not of this project). */
export const iamPolicy: typeof IamPolicy = createRequire(require.resolve('@cloud-copilot/iam-simulate'))('@cloud-copilot/iam-policy');

export interface NamedPolicyDocument {
  readonly name: string;
  readonly document: PolicyDocument;
}

export interface AuthorizerOptions {
  /**
   * Documents of managed policies by ARN. AWS managed policies are not bundled: an ARN missing
   * here grants nothing (and is named in denial reasons).
   */
  readonly managedPolicies?: Record<string, PolicyDocument>;
  /**
   * The calling principal's ARN, for `aws:PrincipalArn`.
   * @default the role's ARN, or `arn:aws:iam::<request account>:role/local-drs-caller`
   */
  readonly principalArn?: string;
  /** Context keys added to every request (the request's own context wins). */
  readonly extraContext?: Record<string, string | string[]>;
}

function statements(doc: PolicyDocument): Record<string, unknown>[] {
  const s = doc.Statement;
  return (Array.isArray(s) ? s : [s]) as Record<string, unknown>[];
}

function label(policy: NamedPolicyDocument, stmt: Record<string, unknown>, index: number): string {
  return `statement '${typeof stmt.Sid === 'string' && stmt.Sid ? stmt.Sid : `#${index}`}' of policy '${policy.name}'`;
}

/** Throws with every problem iam-policy finds; the unsafe simulation would silently misread them. */
export function assertValidPolicy(kind: 'identity' | 'trust', name: string, doc: unknown): void {
  const errors = kind === 'identity' ? iamPolicy.validateIdentityPolicy(doc) : iamPolicy.validateTrustPolicy(doc);
  if (errors.length > 0) {
    throw new Error(`${kind} policy '${name}' is invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  }
}

/** The account of an ARN (`arn:partition:service:region:account:...`), if it has one. */
export function arnAccount(arn: string): string | undefined {
  const parts = arn.split(':');
  return parts.length >= 6 && parts[0] === 'arn' && /^[0-9]{12}$/.test(parts[4]) ? parts[4] : undefined;
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [v];
}

/**
 * A request on `*` is for an action without resource-level permissions: in IAM only statements
 * whose Resource includes `*` (or whose NotResource does not) apply to it. runUnsafeSimulation
 * does not know which actions are wildcard-only and would treat `*` as "any resource", letting
 * a statement scoped to source-server ARNs grant CreateExtendedSourceServer; so the statements
 * are narrowed to that rule here.
 */
export function statementsForWildcardOnlyRequest(doc: PolicyDocument): PolicyDocument {
  const kept: Record<string, unknown>[] = [];
  for (const stmt of statements(doc)) {
    const { Resource: resource, NotResource: notResource, ...rest } = stmt;
    const applies = resource !== undefined ? asArray(resource).includes('*') : !asArray(notResource).includes('*');
    if (applies) kept.push({ ...rest, Resource: '*' });
  }
  return { ...doc, Statement: kept };
}

function simulate(principal: string, request: AuthzRequest, policies: NamedPolicyDocument[], context: Record<string, string | string[]>) {
  if (request.resource === '*') {
    policies = policies.map((p) => ({ name: p.name, document: statementsForWildcardOnlyRequest(p.document) }));
  }
  const simulation: Simulation = {
    request: {
      principal,
      action: request.action,
      resource: { resource: request.resource, accountId: arnAccount(request.resource) ?? request.account },
      contextVariables: context,
    },
    identityPolicies: policies.map((p) => ({ name: p.name, policy: p.document })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
  return runUnsafeSimulation(simulation, {});
}

function describeContext(context: Record<string, string | string[]>, keys: string[]): string {
  const shown = keys.map((k) => {
    const found = Object.keys(context).find((c) => c.toLowerCase() === k.toLowerCase());
    return `${k}=${found === undefined ? '(absent)' : JSON.stringify(context[found])}`;
  });
  return shown.join(', ');
}

function conditionKeys(condition: unknown): string[] {
  if (!condition || typeof condition !== 'object') return [];
  return [...new Set(Object.values(condition as Record<string, Record<string, unknown>>).flatMap((byKey) => Object.keys(byKey ?? {})))];
}

/**
 * An Authorizer over a fixed set of identity policies (documents or named documents). Throws at
 * construction when a policy is invalid.
 */
export function authorizerFromPolicies(policyDocuments: (PolicyDocument | NamedPolicyDocument)[], options: AuthorizerOptions = {}): Authorizer {
  const policies: NamedPolicyDocument[] = policyDocuments.map((p, i) =>
    'document' in p && 'name' in p ? p as NamedPolicyDocument : { name: `policy${i}`, document: p as PolicyDocument });
  return authorizerOver(policies, [], options);
}

function authorizerOver(given: NamedPolicyDocument[], managedArns: string[], options: AuthorizerOptions): Authorizer {
  const policies = [...given];
  const unknownManaged: string[] = [];
  for (const arn of managedArns) {
    const doc = options.managedPolicies?.[arn];
    if (doc) policies.push({ name: arn, document: doc });
    else unknownManaged.push(arn);
  }
  for (const p of policies) assertValidPolicy('identity', p.name, p.document);

  return (request: AuthzRequest): AuthzDecision => {
    const principal = options.principalArn ?? `arn:aws:iam::${request.account}:role/local-drs-caller`;
    const context: Record<string, string | string[]> = {
      'aws:PrincipalArn': principal,
      'aws:PrincipalAccount': request.account,
      'aws:PrincipalType': 'AssumedRole',
      'aws:RequestedRegion': request.region,
      ...options.extraContext,
      ...request.context,
    };
    const result = simulate(principal, request, policies, context);
    if (result === 'Allowed') return { allowed: true };
    return { allowed: false, reason: explainDenial(principal, request, policies, context, result === 'ExplicitlyDenied', unknownManaged) };
  };
}

/** A message in the shape of AWS's AccessDenied text, naming the statements involved. */
function explainDenial(
  principal: string, request: AuthzRequest, policies: NamedPolicyDocument[], context: Record<string, string | string[]>,
  explicit: boolean, unknownManaged: string[],
): string {
  const head = `${principal} is not authorized to perform: ${request.action} on resource: ${request.resource}`;
  // Run statements one at a time to find the decisive ones (runUnsafeSimulation returns only the verdict).
  const one = (policy: NamedPolicyDocument, stmt: Record<string, unknown>) =>
    simulate(principal, request, [{ name: policy.name, document: { Version: '2012-10-17', Statement: [stmt] } }], context);
  if (explicit) {
    const denies = policies.flatMap((p) => statements(p.document).map((s, i) => ({ p, s, i })))
      .filter(({ p, s }) => s.Effect === 'Deny' && one(p, s) === 'ExplicitlyDenied')
      .map(({ p, s, i }) => label(p, s, i));
    return `${head} with an explicit deny in an identity-based policy (${denies.join(', ')})`;
  }
  const hints: string[] = [];
  for (const p of policies) {
    statements(p.document).forEach((s, i) => {
      if (s.Effect !== 'Allow' || s.Condition === undefined) return;
      const { Condition: condition, ...unconditional } = s;
      if (one(p, unconditional) === 'Allowed') {
        hints.push(`${label(p, s, i)} matches the action and resource but its Condition ${JSON.stringify(condition)} ` +
          `is not met (${describeContext(context, conditionKeys(condition))})`);
      }
    });
  }
  if (unknownManaged.length > 0) hints.push(`managed policies not evaluated (no document given): ${unknownManaged.join(', ')}`);
  return `${head} because no identity-based policy allows the ${request.action} action${hints.length ? `; ${hints.join('; ')}` : ''}`;
}

/** An Authorizer for a role already extracted from a template. */
export function authorizerFromRole(role: RoleDefinition, options: AuthorizerOptions = {}): Authorizer {
  const policies = [
    ...role.inlinePolicies.map((p) => ({ name: p.name, document: p.document })),
    ...role.attachedPolicies.map((p) => ({ name: p.name, document: p.document })),
  ];
  // Managed policies defined in the template are already among the attached documents.
  const attachedArns = new Set(role.attachedPolicies.map((p) => p.name));
  const managed = role.managedPolicyArns.filter((arn) => !attachedArns.has(arn));
  const roleAccount = arnAccount(role.arn);
  const inner = authorizerOver(policies, managed, { ...options, principalArn: options.principalArn ?? role.arn });
  return (request) => {
    if (roleAccount !== undefined && request.account !== roleAccount) {
      return { allowed: false, reason: `the caller's account ${request.account} is not the account of role ${role.roleName} (${roleAccount})` };
    }
    return inner(request);
  };
}

/**
 * An Authorizer for the role `roleLogicalId` of a synthesized template: its inline policies,
 * the `AWS::IAM::Policy` / `AWS::IAM::ManagedPolicy` resources attached to it, and managed
 * policies whose documents are given in `options.managedPolicies`.
 */
export function authorizerFromTemplate(
  template: CfnTemplate, roleLogicalId: string, context: DeployContext, options: AuthorizerOptions = {},
): Authorizer {
  return authorizerFromRole(roleDefinition(template, roleLogicalId, context), options);
}
