/**
 * What every kind of `DrillCheck` gives the drill, and the loops over a drill's checks that ask
 * each kind for it: its validation, its states (checks-definition.ts runs them per server), the
 * state machine role's statements and their cdk-nag acknowledgements. The kinds are the files
 * beside this one (ec2-status-checks.ts, ssm-document-check.ts, lambda-function-check.ts); none
 * of the code here knows which kinds there are. Internal: not exported from the package's index.
 *
 * A new kind: a file here with a class implementing `CheckKind` (its validation, its states, its
 * group's statements and acknowledgements), its options in drill-check-options.ts, and its static
 * factory on `DrillCheck`.
 */
import { Duration, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DefinitionCheck } from '../definition/checks-definition';

/** Where the drilled servers are, as StartRecovery's statements scope them. */
export interface ServerScope {
  readonly resources: string[];
  readonly conditions?: Record<string, Record<string, unknown>>;
}

/** What a check renders with: its drill, and its place among the drill's checks of its kind. */
export interface CheckRenderContext {
  readonly drillName: string;
  /** The drill construct's address (fixed ids, e.g. launch action ids). */
  readonly drillAddr: string;
  /** 0 for the drill's first check of this kind, 1 for the second, ... */
  readonly indexInKind: number;
}

/**
 * What the checks of one kind share in a drill: the statements, acknowledgements and drill-wide
 * problems of all of them at once (a statement serves every check of the kind).
 */
export interface CheckKindGroup {
  /** Where the kind's statements go in the role's policy, among the kinds'. */
  readonly rank: number;
  /** Problems of the drill's checks of this kind together, each naming the field. */
  problems(checks: readonly CheckKind[]): string[];
  statements(checks: readonly CheckKind[], serverScopes: readonly ServerScope[]): iam.PolicyStatement[];
  /** cdk-nag acknowledgements of `statements`, by finding id, with their reasons. */
  acknowledgements(checks: readonly CheckKind[]): Record<string, string>;
}

/** One check of a drill, of one kind. */
export interface CheckKind {
  readonly group: CheckKindGroup;
  /** How long the drill waits for the check, and how often it looks (none: one step). */
  readonly timing?: { readonly timeout: Duration; readonly interval: Duration };
  /** The check's own problems (beyond its timing), each naming a field under `at`. */
  problems(at: string): string[];
  /** The check as the definition takes it. */
  render(context: CheckRenderContext): DefinitionCheck;
}

/** Problems of the drill's checks, each naming the field. */
export function checkProblems(checks: readonly CheckKind[]): string[] {
  const problems = groupsOf(checks).flatMap(([group, ofKind]) => group.problems(ofKind));
  checks.forEach((c, i) => {
    const at = `checks[${i}]`;
    problems.push(...timingProblems(at, c.timing), ...c.problems(at));
  });
  return problems;
}

function timingProblems(at: string, timing: CheckKind['timing']): string[] {
  if (!timing) return [];
  const seconds = (d: Duration) => (!Token.isUnresolved(d.toSeconds()) ? d.toSeconds() : undefined);
  const timeout = seconds(timing.timeout);
  const interval = seconds(timing.interval);
  const problems: string[] = [];
  if (interval !== undefined && interval < 1) problems.push(`${at}.interval must be at least 1 second`);
  if (timeout !== undefined && interval !== undefined && timeout < interval) problems.push(`${at}.timeout (${timeout} s) must be at least its interval (${interval} s)`);
  if (timeout !== undefined && timeout > 24 * 3600) problems.push(`${at}.timeout must be at most 24 hours`);
  return problems;
}

/** The checks as the definition takes them. */
export function definitionChecks(checks: readonly CheckKind[], drillName: string, drillAddr: string): DefinitionCheck[] {
  return checks.map((c, i) => c.render({
    drillName, drillAddr, indexInKind: checks.slice(0, i).filter((x) => x.group === c.group).length,
  }));
}

/** The state machine's statements for the checks, kind by kind. */
export function checkStatements(checks: readonly CheckKind[], serverScopes: readonly ServerScope[]): iam.PolicyStatement[] {
  return groupsOf(checks).flatMap(([group, ofKind]) => group.statements(ofKind, serverScopes));
}

/** cdk-nag AwsSolutions-IAM5 acknowledgements of the state machine role's check statements, with their reasons. */
export function checkAcknowledgements(checks: readonly CheckKind[]): Record<string, string> {
  return Object.assign({}, ...groupsOf(checks).map(([group, ofKind]) => group.acknowledgements(ofKind)));
}

/** The kinds among the checks, in their rank order, each with its checks. */
function groupsOf(checks: readonly CheckKind[]): Array<[CheckKindGroup, CheckKind[]]> {
  const groups = [...new Set(checks.map((c) => c.group))].sort((a, b) => a.rank - b.rank);
  return groups.map((g) => [g, checks.filter((c) => c.group === g)]);
}
