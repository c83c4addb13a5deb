/**
 * Interfaces between the local DRS (server, state, faults), the IAM/trust evaluation that feeds
 * it, and the lifecycle driver. Test support only: never published.
 */

/** One authorization question: may the caller do `action` on `resource` with this context? */
export interface AuthzRequest {
  /** e.g. `drs:CreateExtendedSourceServer`. */
  readonly action: string;
  /** Resource ARN, or `*` for actions with no resource-level support. */
  readonly resource: string;
  /** The caller's account. */
  readonly account: string;
  readonly region: string;
  /**
   * Condition context keys: `aws:RequestTag/<k>` (string), `aws:TagKeys` (string[]),
   * `aws:ResourceTag/<k>` (string), plus any others the server wants to pass.
   */
  readonly context: Record<string, string | string[]>;
}

export interface AuthzDecision {
  readonly allowed: boolean;
  /** Why, for the AccessDeniedException message and for test failure output. */
  readonly reason?: string;
}

/** Evaluates the calling principal's policies. */
export type Authorizer = (request: AuthzRequest) => AuthzDecision;

/** Does `stagingAccount` let DRS in `targetAccount` read its servers (the staging role)? */
export interface TrustQuery {
  readonly stagingAccount: string;
  readonly targetAccount: string;
  readonly region: string;
  readonly partition: string;
  /** The staging server being read (the `aws:SourceArn` DRS presents is derived from it). */
  readonly stagingSourceServerArn: string;
}

export interface TrustDecision {
  readonly trusted: boolean;
  /** Why not, in words a user would understand. */
  readonly reason?: string;
}

export type TrustEvaluator = (query: TrustQuery) => TrustDecision;

/** Credentials the local DRS maps to an account (the access key id identifies the account). */
export interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** One request the local DRS answered, for assertions and benchmarks. */
export interface CallRecord {
  readonly operation: string;
  readonly account: string;
  readonly region: string;
  readonly status: number;
  /** The error type sent in `X-Amzn-Errortype`, when the call failed. */
  readonly errorType?: string;
  /** True when a fault was injected into this call. */
  readonly injected?: boolean;
  /** True when the operation took effect but the response was dropped (`faults.loseResponse`). */
  readonly lost?: boolean;
}
