import {
  CreateExtendedSourceServerCommand,
  DeleteSourceServerCommand,
  DescribeSourceServersCommand,
  DisconnectSourceServerCommand,
  DrsClient,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-drs';
import { mockClient } from 'aws-sdk-client-mock';
import { HandlerError } from '../../../src/aws/drs/errors';
import { OwnerTags } from '../../../src/contract';
import {
  createExtendedSourceServer,
  deleteExtendedSourceServer,
  updateExtendedSourceServer,
} from '../../../src/servers/runtime/extended-source-server';
import { NothingCreatedError } from '../../../src/servers/runtime/ownership';
import {
  errors,
  extendedServer,
  FakeClock,
  input,
  lifecycleOptions,
  NEW_SERVER_ID,
  OTHER_STAGING_ARN,
  OUR_TAGS,
  OWNER,
  REGION,
  SERVER_ID,
  serverArn,
  STACK_ID,
  STAGING,
  STAGING_ARN,
  TARGET,
} from '../../support/handler-fixtures';

const drs = mockClient(DrsClient);
const client = new DrsClient({ region: REGION });
let clock: FakeClock;
let logs: Array<Record<string, unknown>>;

beforeEach(() => {
  drs.reset();
  clock = new FakeClock();
  logs = [];
});

const options = (overrides = {}) => lifecycleOptions(clock, overrides, logs);
const calls = () => drs.calls().map((c) => c.args[0].constructor.name);
const lookupFor = (items: ReturnType<typeof extendedServer>[] = []) =>
  drs.on(DescribeSourceServersCommand, { filters: { stagingAccountIDs: [STAGING] } }).resolves({ items });
const describeById = (id: string) => drs.on(DescribeSourceServersCommand, { filters: { sourceServerIDs: [id] } });

async function failure(promise: Promise<unknown>): Promise<HandlerError> {
  const err = await promise.then(() => undefined, (e) => e);
  expect(err).toBeInstanceOf(HandlerError);
  return err as HandlerError;
}

describe('create', () => {
  test('happy path: looks up, creates with user and owner tags, polls until EXTENDED, returns attributes', async () => {
    lookupFor([]);
    drs.on(CreateExtendedSourceServerCommand).resolves({ sourceServer: extendedServer({ status: 'NOT_EXTENDED' }) });
    describeById(SERVER_ID)
      .resolvesOnce({ items: [] }) // not visible yet
      .resolvesOnce({ items: [extendedServer({ status: 'NOT_EXTENDED' })] })
      .resolves({ items: [extendedServer()] });

    const outcome = await createExtendedSourceServer(client, { owner: OWNER, props: input() }, options());

    expect(outcome).toEqual({
      physicalResourceId: SERVER_ID,
      data: {
        SourceServerId: SERVER_ID,
        SourceServerArn: serverArn(SERVER_ID),
        StagingAccountId: STAGING,
        StagingSourceServerArn: STAGING_ARN,
      },
    });
    expect(drs.commandCalls(CreateExtendedSourceServerCommand).map((c) => c.args[0].input)).toEqual([{
      sourceServerArn: STAGING_ARN,
      tags: { team: 'dr', [OwnerTags.STACK_ID]: STACK_ID, [OwnerTags.LOGICAL_ID]: 'Server1' },
    }]);
    expect(calls()).toEqual([
      'DescribeSourceServersCommand', 'CreateExtendedSourceServerCommand',
      'DescribeSourceServersCommand', 'DescribeSourceServersCommand', 'DescribeSourceServersCommand',
    ]);
    expect(clock.sleeps).toEqual([1000, 1000, 1000]);
  });

  test('a create answer without a server is reported, not waited on', async () => {
    lookupFor([]);
    drs.on(CreateExtendedSourceServerCommand).resolves({});
    const err = await failure(createExtendedSourceServer(client, { owner: OWNER, props: input() }, options()));
    expect(err.message).toBe(`CreateExtendedSourceServer for ${STAGING_ARN} in account ${TARGET} region ${REGION} returned no source server`);
    expect(calls()).toEqual(['DescribeSourceServersCommand', 'CreateExtendedSourceServerCommand']);
  });

  test('no polling when the create answer is already EXTENDED', async () => {
    lookupFor([]);
    drs.on(CreateExtendedSourceServerCommand).resolves({ sourceServer: extendedServer() });
    const outcome = await createExtendedSourceServer(client, { owner: OWNER, props: input() }, options());
    expect(outcome.physicalResourceId).toBe(SERVER_ID);
    expect(calls()).toEqual(['DescribeSourceServersCommand', 'CreateExtendedSourceServerCommand']);
  });

  test('the lookup reads every page and matches the staging ARN exactly', async () => {
    drs.on(DescribeSourceServersCommand, { filters: { stagingAccountIDs: [STAGING] } })
      .resolvesOnce({ items: [extendedServer({ id: 's-3333333333333333a', from: OTHER_STAGING_ARN })], nextToken: 't1' })
      .resolvesOnce({ items: [extendedServer()] });
    const outcome = await createExtendedSourceServer(client, { owner: OWNER, props: input() }, options());
    expect(outcome.physicalResourceId).toBe(SERVER_ID);
    expect(drs.commandCalls(DescribeSourceServersCommand).map((c) => c.args[0].input.nextToken)).toEqual([undefined, 't1']);
    expect(drs.commandCalls(CreateExtendedSourceServerCommand)).toHaveLength(0);
  });

  test('retried create: adopts the server carrying our owner tags instead of creating another', async () => {
    lookupFor([extendedServer({ tags: { ...OUR_TAGS, team: 'dr' } })]);
    const outcome = await createExtendedSourceServer(client, { owner: OWNER, props: input() }, options());
    expect(outcome.physicalResourceId).toBe(SERVER_ID);
    expect(calls()).toEqual(['DescribeSourceServersCommand']);
    expect(logs.map((l) => l.message)).toContain('adopting the server an earlier attempt of this resource created');
  });

  test.each([
    ['no owner tags', {}, 'was not created by a cdk-drs-multi-account stack: import it with ExtendedSourceServer.fromSourceServerId(...) or delete it first'],
    ['another stack', { ...OUR_TAGS, [OwnerTags.STACK_ID]: 'arn:aws:cloudformation:us-east-1:222222222222:stack/Other/x' },
      'is owned by stack arn:aws:cloudformation:us-east-1:222222222222:stack/Other/x (resource Server1), not by this stack'],
    ['another logical id in this stack, CloudFormation unreadable', { ...OUR_TAGS, [OwnerTags.LOGICAL_ID]: 'Server2' },
      'the handler role needs cloudformation:ListStackResources on its own stack'],
  ])('already extended by someone else (%s): FAILED with advice, nothing created or deleted', async (_, tags, advice) => {
    lookupFor([extendedServer({ tags })]);
    const err = await failure(createExtendedSourceServer(client, { owner: OWNER, props: input() }, options()));
    expect(err).toBeInstanceOf(NothingCreatedError);
    expect(err.message).toContain(advice);
    expect(calls()).toEqual(['DescribeSourceServersCommand']);
  });

  test('the lost-response case: create answers Conflict, the second lookup finds our server and adopts it', async () => {
    drs.on(DescribeSourceServersCommand, { filters: { stagingAccountIDs: [STAGING] } })
      .resolvesOnce({ items: [] })
      .resolves({ items: [extendedServer({ tags: { ...OUR_TAGS, team: 'dr' } })] });
    drs.on(CreateExtendedSourceServerCommand).rejects(errors.conflict('already extended'));
    const outcome = await createExtendedSourceServer(client, { owner: OWNER, props: input() }, options());
    expect(outcome.physicalResourceId).toBe(SERVER_ID);
    expect(calls()).toEqual(['DescribeSourceServersCommand', 'CreateExtendedSourceServerCommand', 'DescribeSourceServersCommand']);
  });

  test('a Validation refusal whose second lookup finds someone else\'s server reports the conflict', async () => {
    drs.on(DescribeSourceServersCommand, { filters: { stagingAccountIDs: [STAGING] } })
      .resolvesOnce({ items: [] })
      .resolves({ items: [extendedServer({ tags: {} })] });
    drs.on(CreateExtendedSourceServerCommand).rejects(errors.validation('Source server is already extended'));
    const err = await failure(createExtendedSourceServer(client, { owner: OWNER, props: input() }, options()));
    expect(err.message).toContain(`is already extended into account ${TARGET} as ${SERVER_ID}`);
  });

  test('a Conflict with nothing found on the second lookup is translated', async () => {
    lookupFor([]);
    drs.on(CreateExtendedSourceServerCommand).rejects(errors.conflict());
    const err = await failure(createExtendedSourceServer(client, { owner: OWNER, props: input() }, options()));
    expect(err.message).toContain(`staging source server ${STAGING_ARN} is already extended into account ${TARGET} (or is itself an extended server)`);
    expect(drs.commandCalls(DescribeSourceServersCommand)).toHaveLength(2);
  });

  test.each([
    ['AccessDenied', errors.named('AccessDeniedException'), `staging account ${STAGING} does not trust target account ${TARGET}`],
    ['UninitializedAccount', errors.named('UninitializedAccountException'), `DRS is not initialized in account ${TARGET} region ${REGION}`],
    ['ServiceQuotaExceeded', errors.named('ServiceQuotaExceededException', { quotaCode: 'L-Q', serviceCode: 'drs' }), 'quotaCode L-Q, serviceCode drs'],
    ['ResourceNotFound', errors.notFound(), `was not found in staging account ${STAGING} region ${REGION}`],
    ['default EBS key', errors.validation('cannot be extended if it has the default EBS encryption key'), 'customer-managed KMS key'],
  ])('%s on create: translated, and no second lookup (nothing can have been created)', async (_, err, expected) => {
    lookupFor([]);
    drs.on(CreateExtendedSourceServerCommand).rejects(err);
    const failed = await failure(createExtendedSourceServer(client, { owner: OWNER, props: input() }, options()));
    expect(failed.message).toContain(expected);
    expect(calls()).toEqual(['DescribeSourceServersCommand', 'CreateExtendedSourceServerCommand']);
  });

  test('Validation with a fieldList on create lists the fields', async () => {
    lookupFor([]);
    drs.on(CreateExtendedSourceServerCommand).rejects(errors.validation('bad', [{ name: 'tags', message: 'too many tags' }]));
    const failed = await failure(createExtendedSourceServer(client, { owner: OWNER, props: input() }, options()));
    expect(failed.message).toContain('fields: tags: too many tags');
  });

  test('throttling is retried with the Retry-After delay, then the create goes through', async () => {
    lookupFor([]);
    drs.on(CreateExtendedSourceServerCommand)
      .rejectsOnce(errors.throttling('3'))
      .rejectsOnce(errors.throttling('1'))
      .resolves({ sourceServer: extendedServer() });
    const outcome = await createExtendedSourceServer(client, { owner: OWNER, props: input() }, options());
    expect(outcome.physicalResourceId).toBe(SERVER_ID);
    expect(drs.commandCalls(CreateExtendedSourceServerCommand)).toHaveLength(3);
    expect(clock.sleeps).toEqual([3000, 1000]);
    expect(logs.filter((l) => l.message === 'retrying DRS call')).toEqual([
      expect.objectContaining({ operation: 'CreateExtendedSourceServer', attempt: 1, delayMs: 3000, error: 'ThrottlingException', detail: 'Rate exceeded' }),
      expect.objectContaining({ operation: 'CreateExtendedSourceServer', attempt: 2, delayMs: 1000, error: 'ThrottlingException' }),
    ]);
  });

  test('InternalServerException is retried with jittered backoff', async () => {
    drs.on(DescribeSourceServersCommand, { filters: { stagingAccountIDs: [STAGING] } })
      .rejectsOnce(errors.internal())
      .rejectsOnce(errors.internal())
      .resolves({ items: [] });
    drs.on(CreateExtendedSourceServerCommand).resolves({ sourceServer: extendedServer() });
    await createExtendedSourceServer(client, { owner: OWNER, props: input() }, options());
    // base 100 ms, random() = 0.5: 50, then 100
    expect(clock.sleeps).toEqual([50, 100]);
  });

  test('gives up after the maximum attempts with a retry-later message', async () => {
    drs.on(DescribeSourceServersCommand).rejects(errors.throttling('1'));
    const err = await failure(createExtendedSourceServer(client, { owner: OWNER, props: input() }, options({
      retry: { maxAttempts: 4, deadline: clock.t + 600_000 },
    })));
    expect(err.message).toContain('DRS kept throttling DescribeSourceServers in account 222222222222 region us-east-1 and the handler gave up after 4 attempt(s)');
    expect(drs.commandCalls(DescribeSourceServersCommand)).toHaveLength(4);
    expect(clock.sleeps).toEqual([1000, 1000, 1000]);
  });

  test('a network failure on create (answer lost) is retried; the retry\'s Conflict leads to adoption', async () => {
    drs.on(DescribeSourceServersCommand, { filters: { stagingAccountIDs: [STAGING] } })
      .resolvesOnce({ items: [] })
      .resolves({ items: [extendedServer()] });
    drs.on(CreateExtendedSourceServerCommand)
      .rejectsOnce(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
      .rejects(errors.conflict());
    const outcome = await createExtendedSourceServer(client, { owner: OWNER, props: input() }, options());
    expect(outcome.physicalResourceId).toBe(SERVER_ID);
    expect(drs.commandCalls(CreateExtendedSourceServerCommand)).toHaveLength(2);
    expect(logs.find((l) => l.message === 'retrying DRS call')).toMatchObject({ error: 'Error', code: 'ECONNRESET', detail: 'socket hang up' });
  });

  test('EXTENSION_ERROR: deletes the new server (no disconnect), FAILED with the service\'s errorMessage', async () => {
    lookupFor([]);
    drs.on(CreateExtendedSourceServerCommand).resolves({ sourceServer: extendedServer({ status: 'NOT_EXTENDED' }) });
    const broken = extendedServer({ status: 'EXTENSION_ERROR' });
    describeById(SERVER_ID).resolves({ items: [{ ...broken, stagingArea: { ...broken.stagingArea, errorMessage: 'Cannot assume DRSStagingAccountRole_222222222222' } }] });
    drs.on(DisconnectSourceServerCommand).resolves({});
    drs.on(DeleteSourceServerCommand).resolves({});

    const err = await failure(createExtendedSourceServer(client, { owner: OWNER, props: input() }, options()));

    expect(err.message).toContain(`extending ${STAGING_ARN} into account ${TARGET} region ${REGION} as ${SERVER_ID} failed: Cannot assume DRSStagingAccountRole_222222222222`);
    expect(err.message).toContain(`The new server ${SERVER_ID} was deleted again`);
    expect(err.physicalResourceId).toBeUndefined();
    expect(drs.commandCalls(DisconnectSourceServerCommand)).toHaveLength(0);
    expect(drs.commandCalls(DeleteSourceServerCommand)[0].args[0].input).toEqual({ sourceServerID: SERVER_ID });
    expect(calls().slice(-1)).toEqual(['DeleteSourceServerCommand']);
  });

  test('timeout: stops polling at the deadline, deletes the new server, FAILED saying so', async () => {
    lookupFor([]);
    drs.on(CreateExtendedSourceServerCommand).resolves({ sourceServer: extendedServer({ status: 'NOT_EXTENDED' }) });
    describeById(SERVER_ID).resolves({ items: [extendedServer({ status: 'NOT_EXTENDED' })] });
    drs.on(DisconnectSourceServerCommand).resolves({});
    drs.on(DeleteSourceServerCommand).rejects(errors.notFound()); // gone meanwhile: fine

    const err = await failure(createExtendedSourceServer(client, { owner: OWNER, props: input() }, options({ deadline: clock.t + 5_500 })));

    expect(err.message).toContain(`timed out after 5s waiting for ${SERVER_ID} (extended from ${STAGING_ARN}) to reach status EXTENDED`);
    expect(err.message).toContain('last status NOT_EXTENDED');
    expect(err.message).toContain('was deleted again');
    expect(clock.sleeps).toEqual([1000, 1000, 1000, 1000, 1000]);
    expect(drs.commandCalls(DeleteSourceServerCommand)).toHaveLength(1);
  });

  test('cleanup that fails returns the server id as physical id, so the rollback Delete removes it', async () => {
    lookupFor([]);
    drs.on(CreateExtendedSourceServerCommand).resolves({ sourceServer: extendedServer({ status: 'EXTENSION_ERROR' }) });
    describeById(SERVER_ID).resolves({ items: [extendedServer({ status: 'EXTENSION_ERROR' })] });
    drs.on(DeleteSourceServerCommand).rejects(errors.named('AccessDeniedException'));
    const err = await failure(createExtendedSourceServer(client, { owner: OWNER, props: input() }, options()));
    expect(err.physicalResourceId).toBe(SERVER_ID);
    expect(err.message).toContain(`Deleting the new server ${SERVER_ID} also failed`);
    expect(err.message).toContain('the handler role lacks drs:DeleteSourceServer');
  });
});

describe('update', () => {
  const oldProps = input({ tags: { team: 'dr', env: 'prod', gone: 'x' } });

  test('a new staging ARN is a replacement: creates and returns the new physical id, leaves the old server alone', async () => {
    const props = input({ arn: OTHER_STAGING_ARN });
    lookupFor([]);
    drs.on(CreateExtendedSourceServerCommand).resolves({ sourceServer: extendedServer({ id: NEW_SERVER_ID, from: OTHER_STAGING_ARN }) });
    const outcome = await updateExtendedSourceServer(client, { owner: OWNER, props, oldProps, physicalResourceId: SERVER_ID }, options());
    expect(outcome.physicalResourceId).toBe(NEW_SERVER_ID);
    expect(outcome.data?.StagingSourceServerArn).toBe(OTHER_STAGING_ARN);
    expect(drs.commandCalls(CreateExtendedSourceServerCommand)[0].args[0].input.sourceServerArn).toBe(OTHER_STAGING_ARN);
    expect(drs.commandCalls(DeleteSourceServerCommand)).toHaveLength(0);
    expect(drs.commandCalls(DisconnectSourceServerCommand)).toHaveLength(0);
  });

  test('rolling back a replacement adopts the old server as it is: no wait (even in EXTENSION_ERROR), no delete', async () => {
    // Update B -> A during rollback: the server for A (our current physical id) still exists,
    // and its staging server may be unreadable by now: the rollback must not fail on it.
    lookupFor([extendedServer({ status: 'EXTENSION_ERROR', tags: { ...OUR_TAGS, team: 'dr' } })]);
    const outcome = await updateExtendedSourceServer(client, {
      owner: OWNER, props: input(), oldProps: input({ arn: OTHER_STAGING_ARN }), physicalResourceId: SERVER_ID,
    }, options());
    expect(outcome.physicalResourceId).toBe(SERVER_ID);
    expect(clock.sleeps).toEqual([]);
    expect(drs.commandCalls(DeleteSourceServerCommand)).toHaveLength(0);
    expect(drs.commandCalls(TagResourceCommand)).toHaveLength(0);
  });

  test('a server of this resource found again on Create (re-declared after RETAIN) gets the declared tags', async () => {
    lookupFor([extendedServer({ tags: { ...OUR_TAGS, team: 'old', manual: 'keep' } })]);
    const outcome = await createExtendedSourceServer(client, { owner: OWNER, props: input({ tags: { team: 'dr', tier: 'web' } }) }, options());
    expect(outcome.physicalResourceId).toBe(SERVER_ID);
    expect(drs.commandCalls(TagResourceCommand).map((c) => c.args[0].input)).toEqual([{ resourceArn: serverArn(SERVER_ID), tags: { team: 'dr', tier: 'web' } }]);
    expect(drs.commandCalls(CreateExtendedSourceServerCommand)).toHaveLength(0);
  });

  test('tags: adds and changes user keys, removes dropped user keys, never touches owner keys', async () => {
    describeById(SERVER_ID).resolves({ items: [extendedServer({ tags: { ...OUR_TAGS, team: 'dr', env: 'prod', gone: 'x', manual: 'keep' } })] });
    drs.on(TagResourceCommand).resolves({});
    drs.on(UntagResourceCommand).resolves({});
    const props = input({ tags: { team: 'dr', env: 'staging', owner: 'ops' } });
    const outcome = await updateExtendedSourceServer(client, { owner: OWNER, props, oldProps, physicalResourceId: SERVER_ID }, options());
    expect(outcome.physicalResourceId).toBe(SERVER_ID);
    expect(drs.commandCalls(TagResourceCommand).map((c) => c.args[0].input)).toEqual([
      { resourceArn: serverArn(SERVER_ID), tags: { env: 'staging', owner: 'ops' } },
    ]);
    expect(drs.commandCalls(UntagResourceCommand).map((c) => c.args[0].input)).toEqual([
      { resourceArn: serverArn(SERVER_ID), tagKeys: ['gone'] },
    ]);
    expect(calls()).toEqual(['DescribeSourceServersCommand', 'TagResourceCommand', 'UntagResourceCommand']);
  });

  test('same properties: one Describe for the attributes, nothing else', async () => {
    describeById(SERVER_ID).resolves({ items: [extendedServer({ tags: { ...OUR_TAGS, team: 'dr' } })] });
    const request = { owner: OWNER, props: input(), oldProps: input(), physicalResourceId: SERVER_ID };
    const outcome = await updateExtendedSourceServer(client, request, options());
    expect(outcome.data?.SourceServerId).toBe(SERVER_ID);
    expect(calls()).toEqual(['DescribeSourceServersCommand']);
  });

  test('a server deleted outside CloudFormation is created again (new physical id)', async () => {
    describeById(SERVER_ID).resolves({ items: [] });
    lookupFor([]);
    drs.on(CreateExtendedSourceServerCommand).resolves({ sourceServer: extendedServer({ id: NEW_SERVER_ID }) });
    const request = { owner: OWNER, props: input(), oldProps: input(), physicalResourceId: SERVER_ID };
    const outcome = await updateExtendedSourceServer(client, request, options());
    expect(outcome.physicalResourceId).toBe(NEW_SERVER_ID);
  });

  test('unparseable old properties: the server\'s own staging ARN decides about replacement', async () => {
    describeById(SERVER_ID).resolves({ items: [extendedServer({ from: OTHER_STAGING_ARN })] });
    lookupFor([]);
    drs.on(CreateExtendedSourceServerCommand).resolves({ sourceServer: extendedServer({ id: NEW_SERVER_ID }) });
    const outcome = await updateExtendedSourceServer(client, { owner: OWNER, props: input(), physicalResourceId: SERVER_ID }, options());
    expect(outcome.physicalResourceId).toBe(NEW_SERVER_ID);
  });

  test('refuses to re-tag a server without our owner tags', async () => {
    describeById(SERVER_ID).resolves({ items: [extendedServer({ tags: { team: 'dr' } })] });
    const err = await failure(updateExtendedSourceServer(client, {
      owner: OWNER, props: input({ tags: { team: 'x' } }), oldProps: input(), physicalResourceId: SERVER_ID,
    }, options()));
    expect(err.message).toContain(`server ${SERVER_ID} in account ${TARGET} region ${REGION} does not carry this resource's owner tags`);
    expect(drs.commandCalls(TagResourceCommand)).toHaveLength(0);
  });

  test('TagResource denied is translated', async () => {
    describeById(SERVER_ID).resolves({ items: [extendedServer()] });
    drs.on(TagResourceCommand).rejects(errors.named('AccessDeniedException'));
    const err = await failure(updateExtendedSourceServer(client, {
      owner: OWNER, props: input({ tags: { team: 'x' } }), oldProps: input(), physicalResourceId: SERVER_ID,
    }, options()));
    expect(err.message).toContain(`TagResource on source server ${SERVER_ID} was denied`);
  });
});

describe('delete', () => {
  test('a failed create\'s physical id: success without any call', async () => {
    const outcome = await deleteExtendedSourceServer(client, { owner: OWNER, physicalResourceId: 'failed-create:abc' }, options());
    expect(outcome).toEqual({ physicalResourceId: 'failed-create:abc' });
    expect(calls()).toEqual([]);
  });

  test('a failed create\'s physical id with properties: removes the server that create left, if it is ours', async () => {
    lookupFor([extendedServer()]);
    drs.on(DisconnectSourceServerCommand).resolves({});
    drs.on(DeleteSourceServerCommand).resolves({});
    await deleteExtendedSourceServer(client, { owner: OWNER, physicalResourceId: 'failed-create:abc', props: input() }, options());
    expect(calls()).toEqual(['DescribeSourceServersCommand', 'DeleteSourceServerCommand']);
    expect(drs.commandCalls(DeleteSourceServerCommand)[0].args[0].input).toEqual({ sourceServerID: SERVER_ID });
  });

  test('a failed create\'s physical id: a server extended from the same staging server by someone else stays', async () => {
    lookupFor([extendedServer({ tags: { [OwnerTags.STACK_ID]: STACK_ID, [OwnerTags.LOGICAL_ID]: 'SomeoneElse' } })]);
    await deleteExtendedSourceServer(client, { owner: OWNER, physicalResourceId: 'failed-create:abc', props: input() }, options());
    expect(calls()).toEqual(['DescribeSourceServersCommand']);
  });

  test.each([
    ['not listed', () => describeById(SERVER_ID).resolves({ items: [] })],
    ['ResourceNotFound', () => describeById(SERVER_ID).rejects(errors.notFound())],
  ])('server gone (%s): success, nothing else called', async (_, arrange) => {
    arrange();
    await deleteExtendedSourceServer(client, { owner: OWNER, physicalResourceId: SERVER_ID }, options());
    expect(calls()).toEqual(['DescribeSourceServersCommand']);
  });

  test.each([
    ['no owner tags', {}],
    ['another stack', { ...OUR_TAGS, [OwnerTags.STACK_ID]: 'arn:aws:cloudformation:us-east-1:222222222222:stack/Other/x' }],
    ['another logical id', { ...OUR_TAGS, [OwnerTags.LOGICAL_ID]: 'Server2' }],
  ])('not ours (%s): success without touching it, and the log says why', async (_, tags) => {
    describeById(SERVER_ID).resolves({ items: [extendedServer({ tags })] });
    await deleteExtendedSourceServer(client, { owner: OWNER, physicalResourceId: SERVER_ID }, options());
    expect(calls()).toEqual(['DescribeSourceServersCommand']);
    expect(logs.map((l) => l.message)).toContain('leaving the server alone: its owner tags are not this resource\'s');
  });

  test('a Describe that fails (not with ResourceNotFound) is translated and nothing is deleted', async () => {
    describeById(SERVER_ID).rejects(errors.named('AccessDeniedException'));
    const err = await failure(deleteExtendedSourceServer(client, { owner: OWNER, physicalResourceId: SERVER_ID }, options()));
    expect(err.message).toContain(`DescribeSourceServers on source server ${SERVER_ID} was denied in account ${TARGET} region ${REGION}`);
    expect(calls()).toEqual(['DescribeSourceServersCommand']);
  });

  test('a recovery instance blocks the delete: FAILED with what to do', async () => {
    describeById(SERVER_ID).resolves({ items: [extendedServer({ recoveryInstanceId: 'i-0123456789abcdef0' })] });
    const err = await failure(deleteExtendedSourceServer(client, { owner: OWNER, physicalResourceId: SERVER_ID }, options()));
    expect(err.message).toBe(`server ${SERVER_ID} in account ${TARGET} region ${REGION} has recovery instance i-0123456789abcdef0: ` +
      'terminate it (TerminateRecoveryInstances) or disconnect it, then retry the delete, or set removalPolicy RETAIN');
    expect(calls()).toEqual(['DescribeSourceServersCommand']);
  });

  test('deletes without disconnecting when DRS allows it (the user guide\'s reading)', async () => {
    describeById(SERVER_ID).resolves({ items: [extendedServer()] });
    drs.on(DeleteSourceServerCommand).resolves({});
    await deleteExtendedSourceServer(client, { owner: OWNER, physicalResourceId: SERVER_ID }, options());
    expect(calls()).toEqual(['DescribeSourceServersCommand', 'DeleteSourceServerCommand']);
    expect(drs.commandCalls(DeleteSourceServerCommand)[0].args[0].input).toEqual({ sourceServerID: SERVER_ID });
  });

  test.each([
    ['ConflictException', errors.conflict('Source server must be disconnected before it is deleted')],
    ['ValidationException mentioning disconnect', errors.validation('The Source Server must be disconnected first')],
  ])('DRS requires a disconnect (the API reference\'s reading, %s): disconnects, then deletes again', async (_label, refusal) => {
    describeById(SERVER_ID).resolves({ items: [extendedServer()] });
    drs.on(DeleteSourceServerCommand).rejectsOnce(refusal).resolves({});
    drs.on(DisconnectSourceServerCommand).resolves({});
    await deleteExtendedSourceServer(client, { owner: OWNER, physicalResourceId: SERVER_ID }, options());
    expect(calls()).toEqual(['DescribeSourceServersCommand', 'DeleteSourceServerCommand', 'DisconnectSourceServerCommand', 'DeleteSourceServerCommand']);
  });

  test('already disconnected: deletes without disconnecting', async () => {
    describeById(SERVER_ID).resolves({ items: [extendedServer({ dataReplicationInfo: { dataReplicationState: 'DISCONNECTED' } })] });
    drs.on(DeleteSourceServerCommand).resolves({});
    await deleteExtendedSourceServer(client, { owner: OWNER, physicalResourceId: SERVER_ID }, options());
    expect(calls()).toEqual(['DescribeSourceServersCommand', 'DeleteSourceServerCommand']);
  });

  test('already disconnected and the delete is refused: FAILED, no disconnect (it cannot help)', async () => {
    describeById(SERVER_ID).resolves({ items: [extendedServer({ dataReplicationInfo: { dataReplicationState: 'DISCONNECTED' } })] });
    drs.on(DeleteSourceServerCommand).rejects(errors.conflict('a job is running'));
    const err = await failure(deleteExtendedSourceServer(client, { owner: OWNER, physicalResourceId: SERVER_ID }, options()));
    expect(err.message).toContain(`source server ${SERVER_ID} in account ${TARGET} region ${REGION} cannot be removed now`);
    expect(drs.commandCalls(DisconnectSourceServerCommand)).toHaveLength(0);
  });

  test('a delete refused for a recovery instance that appeared: FAILED, no disconnect', async () => {
    describeById(SERVER_ID).resolves({ items: [extendedServer()] });
    drs.on(DeleteSourceServerCommand).rejects(errors.conflict('Source server has recovery instance i-0123456789abcdef0'));
    const err = await failure(deleteExtendedSourceServer(client, { owner: OWNER, physicalResourceId: SERVER_ID }, options()));
    expect(err.message).toContain('cannot be removed now');
    expect(drs.commandCalls(DisconnectSourceServerCommand)).toHaveLength(0);
  });

  test('other errors on the delete: FAILED, no disconnect', async () => {
    describeById(SERVER_ID).resolves({ items: [extendedServer()] });
    drs.on(DeleteSourceServerCommand).rejects(errors.validation('something else'));
    await failure(deleteExtendedSourceServer(client, { owner: OWNER, physicalResourceId: SERVER_ID }, options()));
    expect(drs.commandCalls(DisconnectSourceServerCommand)).toHaveLength(0);
  });

  test('ResourceNotFound on the disconnect DRS asked for: success without deleting again', async () => {
    describeById(SERVER_ID).resolves({ items: [extendedServer()] });
    drs.on(DeleteSourceServerCommand).rejects(errors.conflict('must be disconnected'));
    drs.on(DisconnectSourceServerCommand).rejects(errors.notFound());
    await deleteExtendedSourceServer(client, { owner: OWNER, physicalResourceId: SERVER_ID }, options());
    expect(calls()).toEqual(['DescribeSourceServersCommand', 'DeleteSourceServerCommand', 'DisconnectSourceServerCommand']);
  });

  test('ResourceNotFound on delete: success', async () => {
    describeById(SERVER_ID).resolves({ items: [extendedServer()] });
    drs.on(DeleteSourceServerCommand).rejects(errors.notFound());
    const outcome = await deleteExtendedSourceServer(client, { owner: OWNER, physicalResourceId: SERVER_ID }, options());
    expect(outcome).toEqual({ physicalResourceId: SERVER_ID });
    expect(drs.commandCalls(DeleteSourceServerCommand)).toHaveLength(1);
    expect(drs.commandCalls(DisconnectSourceServerCommand)).toHaveLength(0);
  });

  test('Conflict on disconnect (a recovery instance appeared): FAILED with what to do', async () => {
    describeById(SERVER_ID).resolves({ items: [extendedServer()] });
    drs.on(DeleteSourceServerCommand).rejects(errors.conflict('must be disconnected'));
    drs.on(DisconnectSourceServerCommand).rejects(errors.conflict('Source server has a recovery instance'));
    const err = await failure(deleteExtendedSourceServer(client, { owner: OWNER, physicalResourceId: SERVER_ID }, options()));
    expect(err.message).toContain(`source server ${SERVER_ID} in account ${TARGET} region ${REGION} cannot be removed now`);
    expect(drs.commandCalls(DeleteSourceServerCommand)).toHaveLength(1);
  });
});
