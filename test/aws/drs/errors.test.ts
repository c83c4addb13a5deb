import { explainDrsError, ErrorContext, isDefaultEbsKeyError } from '../../../src/aws/drs/errors';
import { RetriesExhaustedError } from '../../../src/aws/drs/retry';
import { errors, REGION, SERVER_ID, STAGING, STAGING_ARN, STAGING_ID, TARGET } from '../../support/handler-fixtures';

const create: ErrorContext = { operation: 'CreateExtendedSourceServer', account: TARGET, region: REGION, stagingSourceServerArn: STAGING_ARN };
const onServer = (operation: string): ErrorContext => ({ operation, account: TARGET, region: REGION, sourceServerId: SERVER_ID });

describe('explainDrsError', () => {
  test('AccessDenied on create: names both accounts, the trust construct and the handler permissions', () => {
    const msg = explainDrsError(errors.named('AccessDeniedException'), create);
    expect(msg).toContain(`staging account ${STAGING} does not trust target account ${TARGET}`);
    expect(msg).toContain(`deploy StagingAccountTrust in ${STAGING} for ${TARGET}`);
    expect(msg).toContain(`DRSStagingAccountRole_${TARGET}`);
    expect(msg).toContain('or the handler role lacks permission');
    expect(msg).toContain(`region ${REGION}`);
    expect(msg).toContain('DRS said: AccessDeniedException message');
  });

  test('AccessDenied on a server operation: the handler role lacks that action', () => {
    const msg = explainDrsError(errors.named('AccessDeniedException'), onServer('DeleteSourceServer'));
    expect(msg).toMatch(/^DeleteSourceServer on source server s-2222222222222222a was denied in account 222222222222 region us-east-1: the handler role lacks drs:DeleteSourceServer/);
  });

  test('AccessDenied on InitializeService lists the IAM permissions DRS needs', () => {
    const msg = explainDrsError(errors.named('AccessDeniedException'), { operation: 'InitializeService', account: TARGET, region: REGION });
    expect(msg).toContain('drs:InitializeService');
    expect(msg).toContain('iam:CreateServiceLinkedRole');
    expect(msg).toContain('iam:AddRoleToInstanceProfile');
  });

  test('UninitializedAccount: initialize DRS in that account and Region', () => {
    const msg = explainDrsError(errors.named('UninitializedAccountException'), create);
    expect(msg).toContain(`DRS is not initialized in account ${TARGET} region ${REGION}: initialize it (console or DrsInitialization)`);
    expect(msg).toContain(`staging account ${STAGING} is initialized`);
    expect(explainDrsError(errors.named('UninitializedAccountException'), onServer('DescribeSourceServers'))).not.toContain('staging');
  });

  test('ServiceQuotaExceeded: includes quotaCode and serviceCode', () => {
    const msg = explainDrsError(errors.named('ServiceQuotaExceededException', { quotaCode: 'L-ABC123', serviceCode: 'drs' }), create);
    expect(msg).toContain('quotaCode L-ABC123, serviceCode drs');
    expect(msg).toContain(`account ${TARGET} region ${REGION}`);
    expect(msg).toContain('Service Quotas');
  });

  test('ResourceNotFound on create: the staging server was not found in the staging account', () => {
    const msg = explainDrsError(errors.notFound(), create);
    expect(msg).toContain(`staging source server ${STAGING_ID} was not found in staging account ${STAGING} region ${REGION}`);
    expect(msg).toContain('check StagingSourceServerArn');
    expect(msg).not.toContain('Region us-west-2');
  });

  test('ResourceNotFound on create points out a Region mismatch', () => {
    const arn = STAGING_ARN.replace(REGION, 'us-west-2');
    const msg = explainDrsError(errors.notFound(), { ...create, stagingSourceServerArn: arn });
    expect(msg).toContain('region us-west-2');
    expect(msg).toContain(`the ARN names Region us-west-2 but this stack deploys to ${REGION}`);
  });

  test('Validation lists the fields', () => {
    const err = errors.validation('bad input', [{ name: 'sourceServerArn', message: 'does not match pattern' }, { name: 'tags', message: 'too many' }]);
    const msg = explainDrsError(err, create);
    expect(msg).toContain('reason fieldValidationFailed; fields: sourceServerArn: does not match pattern; tags: too many');
    expect(msg).toContain('DRS said: bad input');
  });

  test('the default-EBS-key refusal says to use a customer-managed key granted via StagingAccountTrust', () => {
    const err = errors.validation('Source server cannot be extended if it has the default EBS encryption key');
    expect(isDefaultEbsKeyError(err)).toBe(true);
    const msg = explainDrsError(err, create);
    expect(msg).toContain(`staging source server ${STAGING_ID} in account ${STAGING} cannot be extended into account ${TARGET}`);
    expect(msg).toContain('customer-managed KMS key');
    expect(msg).toContain('StagingAccountTrust');
  });

  test('Conflict on create: already extended, import it or delete it', () => {
    const msg = explainDrsError(errors.conflict(), create);
    expect(msg).toContain(`${STAGING_ARN} is already extended into account ${TARGET}`);
    expect(msg).toContain('ExtendedSourceServer.fromSourceServerId(...)');
  });

  test('Conflict on disconnect/delete: recovery instance or running job', () => {
    for (const op of ['DisconnectSourceServer', 'DeleteSourceServer']) {
      const msg = explainDrsError(errors.conflict('has recovery instance'), onServer(op));
      expect(msg).toContain(`source server ${SERVER_ID} in account ${TARGET} region ${REGION} cannot be removed now`);
      expect(msg).toContain('TerminateRecoveryInstances');
      expect(msg).toContain('removalPolicy RETAIN');
    }
  });

  test('exhausted throttling / internal / network retries say to retry later', () => {
    expect(explainDrsError(new RetriesExhaustedError(errors.throttling('1'), 8, 'attempt limit reached'), create))
      .toContain('DRS kept throttling CreateExtendedSourceServer in account 222222222222 region us-east-1 and the handler gave up after 8 attempt(s)');
    expect(explainDrsError(new RetriesExhaustedError(errors.internal(), 3, 'x'), create)).toContain('internal errors');
    const net = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(explainDrsError(new RetriesExhaustedError(net, 4, 'x'), create)).toContain('check that the handler can reach the DRS endpoint');
  });

  test('unknown errors keep their type and message', () => {
    expect(explainDrsError(errors.named('WeirdException'), onServer('TagResource')))
      .toBe(`TagResource for source server ${SERVER_ID} failed in account ${TARGET} region ${REGION}: WeirdException: WeirdException message`);
  });
});
