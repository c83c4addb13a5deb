/**
 * Pieces of the drill's States Language definition that its modules share (the drill proper,
 * definition.ts, and its checks, checks-definition.ts and the check kinds in ../checks/). Internal.
 */

export type State = Record<string, unknown>;

/** The one backoff of every retried Task: 2 s, doubling, 6 attempts, full jitter. */
function transientRetry(errorEquals: string[]) {
  return { ErrorEquals: errorEquals, IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2, JitterStrategy: 'FULL' };
}

/** Transient errors of DRS calls, retried with backoff (the model declares them on every call). */
export const DRS_RETRY = transientRetry(['Drs.ThrottlingException', 'Drs.InternalServerException']);

export const LAMBDA_RETRY = transientRetry(['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException']);

/** Transient EC2 errors (throttling, internal), as the SDK integration names them. */
export const EC2_RETRY = transientRetry(['Ec2.RequestLimitExceeded', 'Ec2.InternalError', 'Ec2.Unavailable', 'Ec2.Ec2Exception']);

/** The drill's `describeJobs` of the current job: its status only. */
export function describeJobState(next: string, catchTo: { resultPath: string; next: string }): State {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::aws-sdk:drs:describeJobs',
    Parameters: { Filters: { 'JobIDs.$': 'States.Array($.run.job.JobID)' } },
    ResultSelector: { 'Status.$': '$.Items[0].Status' },
    ResultPath: '$.run.jobStatus',
    Retry: [DRS_RETRY],
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: catchTo.resultPath, Next: catchTo.next }],
    Next: next,
  };
}
