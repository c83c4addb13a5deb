import { RetriesExhaustedError } from './retry';
import { parseSourceServerArn, stagingAccountRoleName } from '../../contract';

/**
 * A failure whose message is meant for the person reading the CloudFormation event: it says what
 * happened, where, and what to do. `physicalResourceId` overrides the id sent with FAILED (used
 * when a server could not be cleaned up, so that the rollback's Delete finds and removes it).
 */
export class HandlerError extends Error {
  constructor(message: string, readonly physicalResourceId?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HandlerError';
  }
}

/** Where a DRS call was made and about what, so a message can name it. */
export interface ErrorContext {
  /** The DRS operation, e.g. `CreateExtendedSourceServer`. */
  readonly operation: string;
  /** The account the handler runs in (the target account). */
  readonly account: string;
  readonly region: string;
  readonly stagingSourceServerArn?: string;
  /** A source server in the target account. */
  readonly sourceServerId?: string;
}

interface DrsErrorFields {
  readonly name?: string;
  readonly message?: string;
  readonly code?: string;
  readonly reason?: string;
  readonly fieldList?: ReadonlyArray<{ readonly name?: string; readonly message?: string }>;
  readonly quotaCode?: string;
  readonly serviceCode?: string;
  readonly resourceId?: string;
  readonly resourceType?: string;
}

function fields(err: unknown): DrsErrorFields {
  return typeof err === 'object' && err !== null ? err as DrsErrorFields : {};
}

export function errorName(err: unknown): string | undefined {
  return fields(err).name;
}

export const isNotFound = (err: unknown) => errorName(err) === 'ResourceNotFoundException';
export const isConflict = (err: unknown) => errorName(err) === 'ConflictException';
export const isValidation = (err: unknown) => errorName(err) === 'ValidationException';

/** The CreateExtendedSourceServer refusal for staging volumes encrypted with the default EBS key. */
export function isDefaultEbsKeyError(err: unknown): boolean {
  return /default\s+EBS\s+(encryption\s+)?key/i.test(fields(err).message ?? '');
}

function said(err: DrsErrorFields): string {
  return err.message ? ` (DRS said: ${err.message})` : '';
}

function subjectOf(ctx: ErrorContext): string {
  if (ctx.sourceServerId) return `source server ${ctx.sourceServerId}`;
  if (ctx.stagingSourceServerArn) return `staging source server ${ctx.stagingSourceServerArn}`;
  return 'the request';
}

/**
 * Translates an error from a DRS call into an actionable message naming the account, Region and
 * server. Unknown errors keep their type and message.
 */
export function explainDrsError(err: unknown, ctx: ErrorContext): string {
  const where = `account ${ctx.account} region ${ctx.region}`;
  const op = ctx.operation;
  const staging = ctx.stagingSourceServerArn ? parseSourceServerArn(ctx.stagingSourceServerArn) : undefined;
  const stagingAccount = staging?.account ?? 'the staging account';
  const stagingId = staging?.sourceServerId ?? ctx.stagingSourceServerArn;
  const isCreate = op === 'CreateExtendedSourceServer';

  if (err instanceof RetriesExhaustedError) {
    const cause = fields(err.cause);
    const tries = `${err.attempts} attempt(s)`;
    if (cause.name === 'ThrottlingException') {
      return `DRS kept throttling ${op} in ${where} and the handler gave up after ${tries}: retry the deployment later, or deploy fewer DRS resources at once${said(cause)}`;
    }
    if (cause.name === 'InternalServerException') {
      return `DRS kept failing ${op} with internal errors in ${where} (gave up after ${tries}): retry the deployment later${said(cause)}`;
    }
    return `could not complete ${op} in ${where} after ${tries} (${err.message}): check that the handler can reach the DRS endpoint, then retry`;
  }

  const e = fields(err);
  switch (e.name) {
    case 'AccessDeniedException':
      if (isCreate) {
        return `${op} for ${ctx.stagingSourceServerArn} was denied in ${where}: staging account ${stagingAccount} does not trust target account ${ctx.account} ` +
          `(deploy StagingAccountTrust in ${stagingAccount} for ${ctx.account}, which creates role service-role/${stagingAccountRoleName(ctx.account)}) ` +
          `or the handler role lacks permission (drs:CreateExtendedSourceServer, drs:TagResource)${said(e)}`;
      }
      if (op === 'InitializeService') {
        return `InitializeService was denied in ${where}: the handler role needs drs:InitializeService and iam:CreateServiceLinkedRole, ` +
          `iam:GetInstanceProfile, iam:CreateInstanceProfile, iam:AddRoleToInstanceProfile${said(e)}`;
      }
      return `${op} on ${subjectOf(ctx)} was denied in ${where}: the handler role lacks drs:${op} for it ` +
        `(it only acts on servers tagged as owned by this stack)${said(e)}`;
    case 'UninitializedAccountException':
      return `DRS is not initialized in account ${ctx.account} region ${ctx.region}: initialize it (console or DrsInitialization)` +
        (isCreate ? `, and make sure staging account ${stagingAccount} is initialized in that Region too` : '') + said(e);
    case 'ServiceQuotaExceededException':
      return `${op} for ${subjectOf(ctx)} exceeded a DRS service quota in ${where} (quotaCode ${e.quotaCode ?? 'unknown'}, serviceCode ${e.serviceCode ?? 'unknown'}): ` +
        `request an increase in Service Quotas or remove source servers you no longer need${said(e)}`;
    case 'ResourceNotFoundException':
      if (isCreate) {
        const regionHint = staging && staging.region !== ctx.region
          ? `; note the ARN names Region ${staging.region} but this stack deploys to ${ctx.region}, and DRS extends servers within one Region`
          : '';
        return `staging source server ${stagingId} was not found in staging account ${stagingAccount} region ${staging?.region ?? ctx.region}: ` +
          `check StagingSourceServerArn, that the server still exists, and that ${stagingAccount} trusts ${ctx.account} (StagingAccountTrust)${regionHint}${said(e)}`;
      }
      return `${subjectOf(ctx)} was not found in ${where}${said(e)}`;
    case 'ValidationException': {
      if (isDefaultEbsKeyError(err)) {
        return `staging source server ${stagingId} in account ${stagingAccount} cannot be extended into account ${ctx.account}: its volumes use the default EBS encryption key. ` +
          `Use a customer-managed KMS key in the staging account's replication settings and grant it to ${ctx.account} via StagingAccountTrust${said(e)}`;
      }
      const list = (e.fieldList ?? []).map((f) => `${f.name}: ${f.message}`).join('; ');
      return `DRS rejected ${op} for ${subjectOf(ctx)} in ${where} as invalid (reason ${e.reason ?? 'unknown'}` +
        `${list ? `; fields: ${list}` : ''})${said(e)}`;
    }
    case 'ConflictException':
      if (isCreate) {
        return `staging source server ${ctx.stagingSourceServerArn} is already extended into account ${ctx.account} (or is itself an extended server): ` +
          `import it with ExtendedSourceServer.fromSourceServerId(...) or delete it first${said(e)}`;
      }
      if (op === 'DisconnectSourceServer' || op === 'DeleteSourceServer') {
        return `${subjectOf(ctx)} in ${where} cannot be removed now: it has a recovery instance or a running job. ` +
          'Terminate the recovery instance (TerminateRecoveryInstances) or wait for the job, then retry the delete, or set removalPolicy RETAIN' + said(e);
      }
      return `${op} on ${subjectOf(ctx)} conflicts with its current state in ${where}${said(e)}`;
    default:
      return `${op} for ${subjectOf(ctx)} failed in ${where}: ${e.name ?? 'Error'}: ${e.message ?? String(err)}`;
  }
}

/** Wraps a DRS error into a HandlerError with the translated message. */
export function drsFailure(err: unknown, ctx: ErrorContext): HandlerError {
  return new HandlerError(explainDrsError(err, ctx), undefined, { cause: err });
}
