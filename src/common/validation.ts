import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import {
  parseSourceServerArn,
  Patterns,
  validateAccountId,
  validateStagingSourceServerArn,
  validateUserTags,
} from '../contract';

/**
 * Thrown at construction when props are invalid, so `cdk synth` stops at the line that
 * created the construct. The message names the construct kind, its path and the prop.
 */
export class DrsValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

/** Throws one error listing every problem, prefixed with e.g. `ExtendedSourceServer Stack/Server1: `. */
export function throwIfProblems(kind: string, scope: IConstruct, problems: readonly string[]): void {
  if (problems.length === 0) return;
  throw new DrsValidationError(`${kind} ${scope.node.path}: ${problems.join('; ')}`);
}

/** Values that are tokens are only known at deploy time; the handler validates them then. */
function known(value: string | undefined): value is string {
  return value !== undefined && !Token.isUnresolved(value);
}

export function checkStagingSourceServerArn(field: string, arn: string): string[] {
  return known(arn) ? validateStagingSourceServerArn(field, arn) : [];
}

export function checkSourceServerId(field: string, id: string): string[] {
  if (!known(id) || Patterns.SOURCE_SERVER_ID.test(id)) return [];
  return [`${field} must be a DRS source server id like s-1234567890abcdef0 (s- and 17 letters or digits), got '${id}'`];
}

export function checkAccountId(field: string, account: string): string[] {
  return known(account) ? validateAccountId(field, account) : [];
}

/**
 * A list of account ids: 1..`max` entries, each 12 digits, no duplicates. The list itself must be
 * literal: every caller makes one role (or statement) per entry, which a list token (one encoded
 * element standing for a list known only at deploy time) cannot give. Single entries may be tokens.
 */
export function checkAccountList(field: string, accounts: readonly string[], max: number): string[] {
  if (Token.isUnresolved(accounts)) {
    return [`${field} is a list token (for example from Fn.split, Lazy.list or a CommaDelimitedList parameter): its entries are not known ` +
      'at synth, so one role per account cannot be made. List the accounts instead (each entry may be a token, such as a String parameter)'];
  }
  const problems: string[] = [];
  if (accounts.length === 0) problems.push(`${field} must list at least one account`);
  if (accounts.length > max) problems.push(`${field} lists ${accounts.length} accounts; at most ${max} are allowed`);
  accounts.forEach((account, i) => problems.push(...checkAccountId(`${field}[${i}]`, account)));
  const seen = new Set<string>();
  for (const account of accounts.filter(known)) {
    if (seen.has(account)) problems.push(`${field} lists '${account}' more than once`);
    seen.add(account);
  }
  return problems;
}

/**
 * User tags, with entries that are tokens counted but not checked (their text is not known
 * yet): placeholders keep the count right without tripping the per-entry checks.
 */
export function checkUserTags(field: string, tags: { [key: string]: string } | undefined): string[] {
  if (tags === undefined || Token.isUnresolved(tags)) return [];
  const concrete: Record<string, string> = {};
  Object.entries(tags).forEach(([key, value], i) => {
    concrete[known(key) ? key : `token-key-${i}`] = value === undefined || known(value) ? value : '';
  });
  return validateUserTags(field, concrete);
}

/** Custom resources have nothing to snapshot: CloudFormation rejects `Snapshot` on them. */
export function checkRemovalPolicy(field: string, policy: RemovalPolicy | undefined): string[] {
  if (policy === RemovalPolicy.SNAPSHOT) {
    return [`${field} RemovalPolicy.SNAPSHOT is not supported (an extended source server has no snapshot); use DESTROY or RETAIN`];
  }
  return [];
}

/**
 * DRS extends a staging server only within one Region, and a server cannot be extended into
 * the account that already holds it. Checked only where both sides are known at synth.
 */
export function checkStagingArnAgainstStack(field: string, arn: string, stack: { region: string; account: string }): string[] {
  if (!known(arn)) return [];
  const parts = parseSourceServerArn(arn);
  if (!parts) return [];
  const problems: string[] = [];
  if (known(stack.region) && parts.region !== stack.region) {
    problems.push(`${field} is in Region '${parts.region}' but this stack deploys to '${stack.region}'; ` +
      'DRS extends source servers only within the same Region');
  }
  if (known(stack.account) && parts.account === stack.account) {
    problems.push(`${field} belongs to this stack's own account ${stack.account}; ` +
      'extend servers from a staging account into a different (target) account');
  }
  return problems;
}

/** The staging account id in an ARN, when the ARN is known and well-formed. */
export function stagingAccountOf(arn: string): string | undefined {
  return known(arn) ? parseSourceServerArn(arn)?.account : undefined;
}

/** Per stack: what each staging server or staging account is claimed by (construct paths). */
const claimants = new WeakMap<Stack, Map<string, string>>();

/**
 * One claimant per stack of a staging server (`ExtendedSourceServer`) or of a staging account
 * (`StagingAccountExtension`): two would take the same servers from each other (docs/ownership.md).
 * `key` is undefined when the value is a token (only known at deploy time). Registers `scope`
 * when it is the first.
 */
export function checkSingleClaimant(scope: IConstruct, kind: string, field: string, key: string | undefined): string[] {
  if (key === undefined || Token.isUnresolved(key)) return [];
  const stack = Stack.of(scope);
  let seen = claimants.get(stack);
  if (!seen) {
    seen = new Map();
    claimants.set(stack, seen);
  }
  const first = seen.get(`${kind}\0${key}`);
  if (first !== undefined && first !== scope.node.path) {
    return [`${field} '${key}' is already declared by ${kind} ${first} in this stack; declare it once per stack ` +
      '(to rename or move it, change that construct\'s id or place instead of adding another)'];
  }
  seen.set(`${kind}\0${key}`, scope.node.path);
  return [];
}
