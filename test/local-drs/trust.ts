/**
 * Decides whether a staging account trusts a target account, from the staging stacks' templates:
 * the role `service-role/DRSStagingAccountRole_<target>` with the v2 staging managed policy and a
 * trust policy that is EVALUATED (with iam-simulate) for what DRS presents when it assumes the
 * role, and for what it must refuse. Test support only.
 */
import { runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { assertValidPolicy } from './iam';
import { TrustDecision, TrustEvaluator, TrustQuery } from './types';
import { parseSourceServerArn } from '../../src/contract';
import { CfnTemplate, DeployContext, isResourceActive, PolicyDocument, resolve, roleDefinition } from '../support/cfn-template';

export const DRS_SERVICE_PRINCIPAL = 'drs.amazonaws.com';
export const STAGING_ROLE_PREFIX = 'DRSStagingAccountRole_';
export const STAGING_ROLE_PATH = '/service-role/';
const POLICY_V1 = 'AWSElasticDisasterRecoveryStagingAccountPolicy';
const POLICY_V2 = `${POLICY_V1}_v2`;

export function stagingPolicyArn(partition: string, version: 'v1' | 'v2' = 'v2'): string {
  return `arn:${partition}:iam::aws:policy/service-role/${version === 'v2' ? POLICY_V2 : POLICY_V1}`;
}

export interface StagingStack {
  readonly account: string;
  readonly region: string;
  /** @default 'aws' */
  readonly partition?: string;
  readonly template: CfnTemplate;
  /** @default `staging-<account>-<n>` */
  readonly stackName?: string;
  /** Physical ids and attributes of the deployed stack, for roles whose properties refer to them. */
  readonly physicalIds?: Record<string, string>;
  readonly attributes?: Record<string, Record<string, unknown>>;
}

/** A role as the staging account holds it (from a template, or given directly). */
export interface StagingRole {
  readonly account: string;
  /** @default 'aws' */
  readonly partition?: string;
  readonly roleName: string;
  readonly path: string;
  readonly managedPolicyArns: readonly string[];
  readonly trustPolicy: PolicyDocument;
  /** Where it was declared, for messages. */
  readonly source?: string;
  /** Set when the role's properties could not be resolved from its template (why). */
  readonly unresolved?: string;
}

export interface TrustOptions {
  /** Roles that exist in staging accounts besides those in the templates. */
  readonly extraRoles?: StagingRole[];
  /**
   * An account that is neither staging nor target, used to probe for trust policies that let DRS
   * (or anyone) assume the role on behalf of other accounts.
   * @default '999999999999' (or '888888888888' when that is one of the two)
   */
  readonly probeAccount?: string;
}

/** A TrustEvaluator whose staging stacks and roles can be changed (e.g. to revoke trust). */
export interface TrustRegistry extends TrustEvaluator {
  /** Registers a staging stack; returns its id (the stack name). */
  addStack(stack: StagingStack): string;
  /** Removes a stack by id; returns whether it was registered. */
  removeStack(id: string): boolean;
  addRole(role: StagingRole): string;
  removeRole(id: string): boolean;
  /** Removes every stack and role of a staging account (trust revoked entirely). */
  removeAccount(account: string): void;
  /** The roles currently known, with their ids. */
  roles(): { id: string; role: StagingRole }[];
}

/**
 * The named roles of a stack. Roles without a RoleName are skipped (a generated name can never be
 * a staging role name); a role whose other properties cannot be resolved is kept, marked, so that
 * one odd role neither breaks the evaluation of the others nor passes silently.
 */
function rolesOfStack(stack: StagingStack, stackName: string): StagingRole[] {
  const partition = stack.partition ?? 'aws';
  const ctx: DeployContext = {
    account: stack.account, region: stack.region, partition, stackName, physicalIds: stack.physicalIds, attributes: stack.attributes,
  };
  const roles: StagingRole[] = [];
  for (const [logicalId, r] of Object.entries(stack.template.Resources ?? {})) {
    if (r.Type !== 'AWS::IAM::Role' || r.Properties?.RoleName === undefined) continue;
    const source = `${logicalId} in stack ${stackName}`;
    let roleName: string;
    try {
      if (!isResourceActive(stack.template, logicalId, ctx)) continue;
      roleName = String(resolve(stack.template, r.Properties.RoleName, ctx));
    } catch {
      continue;
    }
    try {
      const def = roleDefinition(stack.template, logicalId, ctx);
      roles.push({
        account: stack.account,
        partition,
        roleName,
        path: def.path,
        managedPolicyArns: def.managedPolicyArns,
        trustPolicy: def.assumeRolePolicyDocument,
        source,
      });
    } catch (e) {
      roles.push({ account: stack.account, partition, roleName, path: '', managedPolicyArns: [], trustPolicy: { Statement: [] }, source, unresolved: (e as Error).message });
    }
  }
  return roles;
}

type Context = Record<string, string>;

function simulateTrust(role: StagingRole, principal: string, action: string, context: Context): boolean {
  const partition = role.partition ?? 'aws';
  const roleArn = `arn:${partition}:iam::${role.account}:role${role.path}${role.roleName}`;
  const principalAccount = /^arn:[^:]+:iam::([0-9]{12}):/.exec(principal)?.[1];
  const simulation: Simulation = {
    request: { principal, action, resource: { resource: roleArn, accountId: role.account }, contextVariables: context },
    // An IAM principal also needs its own permission; grant it so only the trust policy decides.
    identityPolicies: principalAccount
      ? [{ name: 'probe', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:*', Resource: '*' }] } }]
      : [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    // runUnsafeSimulation (0.1.173) loads a resource policy without metadata and then crashes reading
    // its name; a pre-validated policy (iam-policy's ValidatedPolicy, plain data) carries the name.
    resourcePolicy: { __validated: true, policyDocument: role.trustPolicy, metadata: { name: `${role.roleName} trust policy` }, errors: [] },
  };
  return runUnsafeSimulation(simulation, {}) === 'Allowed';
}

function showContext(context: Context): string {
  return Object.entries(context).map(([k, v]) => `${k}=${v}`).join(', ');
}

/** What DRS in the target account presents when it assumes the staging role. */
function drsContext(query: TrustQuery, account: string): Context {
  const id = parseSourceServerArn(query.stagingSourceServerArn)?.sourceServerId ?? 's-00000000000000000';
  return {
    'sts:SourceIdentity': account,
    'aws:SourceAccount': account,
    'aws:SourceArn': `arn:${query.partition}:drs:${query.region}:${account}:source-server/${id}`,
  };
}

/** Problems that keep `role` from being a working, safe staging role for the query. */
function problemsOf(role: StagingRole, query: TrustQuery, probe: string): string[] {
  const who = `role ${role.roleName} in ${role.account}`;
  const problems: string[] = [];
  const partition = role.partition ?? 'aws';
  if (role.unresolved !== undefined) return [`${who} (${role.source}) could not be resolved from its template: ${role.unresolved}`];
  if (partition !== query.partition) {
    problems.push(`${who} is in partition ${partition}, but the target account uses ${query.partition} (accounts only trust accounts of the same partition)`);
    return problems;
  }
  if (role.path !== STAGING_ROLE_PATH) problems.push(`${who} has path ${role.path} (expected ${STAGING_ROLE_PATH})`);
  const v2 = stagingPolicyArn(partition, 'v2');
  if (!role.managedPolicyArns.includes(v2)) {
    problems.push(role.managedPolicyArns.includes(stagingPolicyArn(partition, 'v1'))
      ? `${who} has the managed policy ${POLICY_V1} (v1), which lacks drs:IssueAgentCertificateForDrs; attach ${v2} instead`
      : `${who} does not have the managed policy ${v2}`);
  }
  try {
    assertValidPolicy('trust', `${role.roleName} trust policy`, role.trustPolicy);
  } catch (e) {
    problems.push(`${who}: ${(e as Error).message}`);
    return problems;
  }

  const good = drsContext(query, query.targetAccount);
  for (const action of ['sts:AssumeRole', 'sts:SetSourceIdentity']) {
    if (!simulateTrust(role, DRS_SERVICE_PRINCIPAL, action, good)) {
      problems.push(`the trust policy of ${who} does not let ${DRS_SERVICE_PRINCIPAL} perform ${action} for target account ${query.targetAccount} (${showContext(good)})`);
    }
  }
  // Too permissive: DRS acting for another account, or another account's principals, get in too.
  const other = drsContext(query, probe);
  const probes: [string, Context][] = [
    [`for account ${probe}`, other],
    [`with aws:SourceAccount=${probe}`, { ...good, 'aws:SourceAccount': probe, 'aws:SourceArn': other['aws:SourceArn'] }],
    [`with sts:SourceIdentity=${probe}`, { ...good, 'sts:SourceIdentity': probe }],
  ];
  for (const [label, context] of probes) {
    if (simulateTrust(role, DRS_SERVICE_PRINCIPAL, 'sts:AssumeRole', context)) {
      problems.push(`the trust policy of ${who} is too permissive: ${DRS_SERVICE_PRINCIPAL} can assume it ${label} (${showContext(context)}); ` +
        `restrict aws:SourceAccount and sts:SourceIdentity to ${query.targetAccount}`);
      break;
    }
  }
  const outsider = `arn:${partition}:iam::${probe}:role/outsider`;
  if (simulateTrust(role, outsider, 'sts:AssumeRole', {})) {
    problems.push(`the trust policy of ${who} is too permissive: ${outsider} can assume it; only ${DRS_SERVICE_PRINCIPAL} may`);
  }
  return problems;
}

/**
 * A TrustEvaluator over staging stacks (and `options.extraRoles`). The result is also a registry:
 * tests can add and remove stacks or roles to grant or revoke trust while the local DRS runs.
 */
export function trustFromTemplates(stagingStacks: StagingStack[], options: TrustOptions = {}): TrustRegistry {
  const stacks = new Map<string, { account: string; roles: StagingRole[] }>();
  const extra = new Map<string, StagingRole>();
  let counter = 0;

  const evaluate = (query: TrustQuery): TrustDecision => {
    const probe = options.probeAccount ?? ([query.stagingAccount, query.targetAccount].includes('999999999999') ? '888888888888' : '999999999999');
    const expected = `${STAGING_ROLE_PREFIX}${query.targetAccount}`;
    const inAccount = [...[...stacks.values()].flatMap((s) => s.roles), ...extra.values()].filter((r) => r.account === query.stagingAccount);
    const candidates = inAccount.filter((r) => r.roleName === expected);
    if (candidates.length === 0) {
      const others = inAccount.filter((r) => r.roleName.startsWith(STAGING_ROLE_PREFIX) || r.roleName.includes(query.targetAccount));
      const found = others.length > 0
        ? ` (it has ${others.map((r) => r.roleName.startsWith(STAGING_ROLE_PREFIX)
          ? `${r.roleName}, which trusts ${r.roleName.slice(STAGING_ROLE_PREFIX.length)}`
          : r.roleName).join('; ')})`
        : inAccount.length === 0 ? ' (no staging stack or role is registered for that account)' : '';
      return { trusted: false, reason: `staging account ${query.stagingAccount} has no role named ${expected}, so it does not trust ${query.targetAccount}${found}` };
    }
    const problems: string[] = [];
    for (const role of candidates) {
      const p = problemsOf(role, query, probe);
      if (p.length === 0) return { trusted: true };
      problems.push(...p);
    }
    return { trusted: false, reason: `staging account ${query.stagingAccount} does not trust ${query.targetAccount}: ${problems.join('; ')}` };
  };

  const registry: TrustRegistry = Object.assign(evaluate, {
    addStack(stack: StagingStack): string {
      const id = stack.stackName ?? `staging-${stack.account}-${++counter}`;
      if (stacks.has(id)) throw new Error(`a staging stack named ${id} is already registered`);
      stacks.set(id, { account: stack.account, roles: rolesOfStack(stack, id) });
      return id;
    },
    removeStack: (id: string) => stacks.delete(id),
    addRole(role: StagingRole): string {
      const id = `role-${role.account}-${role.roleName}-${++counter}`;
      extra.set(id, role);
      return id;
    },
    removeRole: (id: string) => extra.delete(id),
    removeAccount(account: string): void {
      for (const [id, s] of stacks) if (s.account === account) stacks.delete(id);
      for (const [id, role] of extra) if (role.account === account) extra.delete(id);
    },
    roles: () => [
      ...[...stacks.entries()].flatMap(([id, s]) => s.roles.map((role) => ({ id, role }))),
      ...[...extra.entries()].map(([id, role]) => ({ id, role })),
    ],
  });
  for (const s of stagingStacks) registry.addStack(s);
  for (const r of options.extraRoles ?? []) registry.addRole(r);
  return registry;
}
