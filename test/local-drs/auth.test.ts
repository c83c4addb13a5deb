/**
 * Who is calling (the SigV4 credential scope) and what they may do (the account's Authorizer):
 * each operation asks for the right IAM actions, resources and condition keys.
 */
import {
  CreateExtendedSourceServerCommand, DeleteSourceServerCommand, DescribeSourceServersCommand, DisconnectSourceServerCommand, DrsClient,
  InitializeServiceCommand, ListExtensibleSourceServersCommand, ListStagingAccountsCommand, ListTagsForResourceCommand,
  TagResourceCommand, UntagResourceCommand,
} from '@aws-sdk/client-drs';
import { client, errorOf, raw, REGION, STAGING, startWithAccounts, TARGET } from './helpers';
import { LocalDrs } from './index';
import { Authorizer, AuthzRequest } from './types';

let drs: LocalDrs;
let stagingArn: string;
let target: DrsClient;
let requests: AuthzRequest[];

/** Records every question; denies the ones `deny` matches. */
function recording(deny: (r: AuthzRequest) => boolean = () => false): Authorizer {
  return (r) => {
    requests.push(r);
    return deny(r) ? { allowed: false, reason: 'an explicit deny in policy TestPolicy' } : { allowed: true };
  };
}

beforeEach(async () => {
  const started = await startWithAccounts();
  drs = started.drs;
  stagingArn = started.staging.arn;
  target = client(drs, TARGET);
  requests = [];
});
afterEach(async () => drs.stop());

const serverArn = (id: string) => `arn:aws:drs:${REGION}:${TARGET}:source-server/${id}`;

describe('authentication', () => {
  test('no Authorization header: 403 MissingAuthenticationTokenException', async () => {
    const r = await raw(drs, TARGET, REGION, { method: 'POST', path: '/DescribeSourceServers', body: '{}', authorization: null });
    expect(r.status).toBe(403);
    expect(r.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
  });

  test.each([
    ['not SigV4', 'Bearer abc'],
    ['no signature', `AWS4-HMAC-SHA256 Credential=AKIA${TARGET}DRS0/20240101/${REGION}/drs/aws4_request, SignedHeaders=host`],
    ['no credential scope', 'AWS4-HMAC-SHA256 Credential=AKIAX, SignedHeaders=host, Signature=00'],
  ])('a malformed header (%s): 400 IncompleteSignatureException', async (_, authorization) => {
    const r = await raw(drs, TARGET, REGION, { method: 'POST', path: '/DescribeSourceServers', body: '{}', authorization });
    expect(r.status).toBe(400);
    expect(r.headers.get('x-amzn-errortype')).toBe('IncompleteSignatureException');
  });

  test('a scope for another service: 403 InvalidSignatureException', async () => {
    const authorization = `AWS4-HMAC-SHA256 Credential=AKIA${TARGET}DRS0/20240101/${REGION}/mgn/aws4_request, SignedHeaders=host, Signature=00`;
    const r = await raw(drs, TARGET, REGION, { method: 'POST', path: '/DescribeSourceServers', body: '{}', authorization });
    expect(r.status).toBe(403);
    expect(r.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
  });

  test('an unknown access key: 403 UnrecognizedClientException (SDK)', async () => {
    const stranger = new DrsClient({
      endpoint: drs.endpoint, region: REGION, maxAttempts: 1, credentials: { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' },
    });
    const e = await errorOf(stranger.send(new DescribeSourceServersCommand({})));
    expect(e.name).toBe('UnrecognizedClientException');
    expect(e.$metadata.httpStatusCode).toBe(403);
    expect(drs.calls[drs.calls.length - 1]).toMatchObject({ account: '', status: 403, errorType: 'UnrecognizedClientException' });
  });

  test('the signature itself is not checked: a wrong secret still identifies the account', async () => {
    const c = new DrsClient({
      endpoint: drs.endpoint, region: REGION, maxAttempts: 1, credentials: { accessKeyId: drs.credentialsFor(TARGET).accessKeyId, secretAccessKey: 'wrong' },
    });
    expect((await c.send(new DescribeSourceServersCommand({}))).items).toEqual([]);
  });

  test('credentials: stable, one key per account; unknown accounts and bad ids throw', () => {
    expect(drs.addAccount(TARGET)).toEqual(drs.credentialsFor(TARGET));
    expect(drs.credentialsFor(TARGET).accessKeyId).toBe(`AKIA${TARGET}DRS0`);
    expect(() => drs.credentialsFor('999999999999')).toThrow(/not registered/);
    expect(() => drs.addAccount('12345')).toThrow(/12-digit/);
  });
});

describe('authorization', () => {
  test('CreateExtendedSourceServer: the action on * with request tags, then TagResource on the new ARN with drs:CreateAction', async () => {
    drs.setAuthorizer(TARGET, recording());
    const r = await target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: stagingArn, tags: { owner: 'stack-1', env: 'dr' } }));
    const tagContext = { 'aws:RequestTag/owner': 'stack-1', 'aws:RequestTag/env': 'dr', 'aws:TagKeys': ['owner', 'env'] };
    expect(requests).toEqual([
      { action: 'drs:CreateExtendedSourceServer', resource: '*', account: TARGET, region: REGION, context: tagContext },
      {
        action: 'drs:TagResource',
        resource: r.sourceServer!.arn,
        account: TARGET,
        region: REGION,
        context: { ...tagContext, 'drs:CreateAction': 'CreateExtendedSourceServer' },
      },
    ]);
  });

  test('CreateExtendedSourceServer without tags asks no TagResource', async () => {
    drs.setAuthorizer(TARGET, recording());
    await target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: stagingArn }));
    expect(requests.map((r) => [r.action, r.context])).toEqual([['drs:CreateExtendedSourceServer', {}]]);
  });

  test.each(['drs:CreateExtendedSourceServer', 'drs:TagResource'])('denying %s: AccessDenied naming action and resource, nothing created', async (action) => {
    drs.setAuthorizer(TARGET, recording((r) => r.action === action));
    const e = await errorOf(target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: stagingArn, tags: { a: 'b' } })));
    expect(e.name).toBe('AccessDeniedException');
    expect(e.message).toMatch(new RegExp(`not authorized to perform: ${action} on resource: \\S+ because an explicit deny in policy TestPolicy`));
    expect(drs.inventory(TARGET, REGION)).toEqual([]);
  });

  test('Disconnect, Delete, Tag, Untag: on the server ARN with its current tags; Untag names the removed keys', async () => {
    const s = (await target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: stagingArn, tags: { owner: 'me' } }))).sourceServer!;
    drs.setAuthorizer(TARGET, recording());
    await target.send(new TagResourceCommand({ resourceArn: s.arn, tags: { extra: '1' } }));
    await target.send(new UntagResourceCommand({ resourceArn: s.arn, tagKeys: ['extra'] }));
    await target.send(new DisconnectSourceServerCommand({ sourceServerID: s.sourceServerID }));
    await target.send(new DeleteSourceServerCommand({ sourceServerID: s.sourceServerID }));
    const resource = { resource: s.arn, account: TARGET, region: REGION };
    expect(requests).toEqual([
      { action: 'drs:TagResource', ...resource, context: { 'aws:ResourceTag/owner': 'me', 'aws:RequestTag/extra': '1', 'aws:TagKeys': ['extra'] } },
      { action: 'drs:UntagResource', ...resource, context: { 'aws:ResourceTag/owner': 'me', 'aws:ResourceTag/extra': '1', 'aws:TagKeys': ['extra'] } },
      { action: 'drs:DisconnectSourceServer', ...resource, context: { 'aws:ResourceTag/owner': 'me' } },
      { action: 'drs:DeleteSourceServer', ...resource, context: { 'aws:ResourceTag/owner': 'me' } },
    ]);
  });

  test('a denied Disconnect leaves the server connected', async () => {
    const s = (await target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: stagingArn, tags: { owner: 'someone-else' } }))).sourceServer!;
    drs.setAuthorizer(TARGET, recording((r) => r.context['aws:ResourceTag/owner'] !== 'me'));
    const e = await errorOf(target.send(new DisconnectSourceServerCommand({ sourceServerID: s.sourceServerID })));
    expect(e.name).toBe('AccessDeniedException');
    expect(e.message).toContain(`drs:DisconnectSourceServer on resource: ${s.arn}`);
    expect(drs.inventory(TARGET, REGION)[0].dataReplicationInfo?.dataReplicationState).toBe('CONTINUOUS');
  });

  test('a missing server is authorized on its would-be ARN without resource tags, then not found', async () => {
    drs.setAuthorizer(TARGET, recording());
    const e = await errorOf(target.send(new DeleteSourceServerCommand({ sourceServerID: 's-0000000000000000e' })));
    expect(e.name).toBe('ResourceNotFoundException');
    expect(requests).toEqual([
      { action: 'drs:DeleteSourceServer', resource: serverArn('s-0000000000000000e'), account: TARGET, region: REGION, context: {} },
    ]);
  });

  test('read operations are asked on * (no resource-level permissions, ListTagsForResource included)', async () => {
    const s = (await target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: stagingArn }))).sourceServer!;
    drs.setAuthorizer(TARGET, recording());
    await target.send(new DescribeSourceServersCommand({}));
    await target.send(new ListExtensibleSourceServersCommand({ stagingAccountID: STAGING }));
    await target.send(new ListStagingAccountsCommand({}));
    await target.send(new ListTagsForResourceCommand({ resourceArn: s.arn }));
    expect(requests.map((r) => [r.action, r.resource])).toEqual([
      ['drs:DescribeSourceServers', '*'],
      ['drs:ListExtensibleSourceServers', '*'],
      ['drs:ListStagingAccounts', '*'],
      ['drs:ListTagsForResource', '*'],
    ]);
  });

  test('InitializeService also needs the IAM actions DRS uses to set itself up', async () => {
    drs.addAccount(TARGET, { initialized: false });
    drs.setAuthorizer(TARGET, recording());
    await target.send(new InitializeServiceCommand({}));
    expect(requests[0]).toMatchObject({ action: 'drs:InitializeService', resource: '*' });
    expect(requests[1]).toEqual({
      action: 'iam:CreateServiceLinkedRole',
      resource: `arn:aws:iam::${TARGET}:role/aws-service-role/drs.amazonaws.com/AWSServiceRoleForElasticDisasterRecovery`,
      account: TARGET,
      region: REGION,
      context: { 'iam:AWSServiceName': 'drs.amazonaws.com' },
    });
    expect(new Set(requests.slice(2).map((r) => r.action))).toEqual(new Set(['iam:GetInstanceProfile', 'iam:CreateInstanceProfile', 'iam:AddRoleToInstanceProfile']));
    expect(requests.slice(2).every((r) => r.resource.startsWith(`arn:aws:iam::${TARGET}:instance-profile/AWSElasticDisasterRecovery`))).toBe(true);
  });

  test('InitializeService denied an IAM action leaves the account uninitialized', async () => {
    drs.addAccount(TARGET, { initialized: false });
    drs.setAuthorizer(TARGET, recording((r) => r.action === 'iam:CreateServiceLinkedRole'));
    const e = await errorOf(target.send(new InitializeServiceCommand({})));
    expect(e.name).toBe('AccessDeniedException');
    expect(e.message).toContain('iam:CreateServiceLinkedRole');
    drs.setAuthorizer(TARGET, undefined);
    expect((await errorOf(target.send(new DescribeSourceServersCommand({})))).name).toBe('UninitializedAccountException');
  });

  test('authorizers are per account; undefined allows everything again', async () => {
    drs.setAuthorizer(STAGING, recording(() => true));
    expect((await target.send(new DescribeSourceServersCommand({}))).items).toEqual([]);
    expect((await errorOf(client(drs, STAGING).send(new DescribeSourceServersCommand({})))).name).toBe('AccessDeniedException');
    drs.setAuthorizer(STAGING, undefined);
    expect((await client(drs, STAGING).send(new DescribeSourceServersCommand({}))).items).toHaveLength(1);
  });
});

describe('partition', () => {
  test('ARNs use the configured partition and ARNs of another partition are refused', async () => {
    const gov = await LocalDrs.start({ partition: 'aws-us-gov' });
    try {
      gov.addAccount(STAGING);
      gov.addAccount(TARGET);
      gov.setTrustEvaluator(() => ({ trusted: true }));
      const s = gov.addReplicatingServer(STAGING, 'us-gov-west-1');
      expect(s.arn).toBe(`arn:aws-us-gov:drs:us-gov-west-1:${STAGING}:source-server/${s.sourceServerID}`);
      const c = client(gov, TARGET, 'us-gov-west-1');
      const created = await c.send(new CreateExtendedSourceServerCommand({ sourceServerArn: s.arn }));
      expect(created.sourceServer?.arn).toMatch(/^arn:aws-us-gov:drs:us-gov-west-1:/);
      const e = await errorOf(c.send(new CreateExtendedSourceServerCommand({ sourceServerArn: s.arn.replace('aws-us-gov', 'aws') })));
      expect(e.name).toBe('ValidationException');
    } finally {
      await gov.stop();
    }
  });
});
