/**
 * The staging-account reconciliation over a mocked DRS client. The mock keeps a small state
 * (staging servers, extended servers) so that each request sees what the previous calls did,
 * and pages every listing in twos so pagination is always exercised.
 */
import { CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import {
  CreateExtendedSourceServerCommand,
  DeleteSourceServerCommand,
  DescribeSourceServersCommand,
  DisconnectSourceServerCommand,
  DrsClient,
  GetLaunchConfigurationCommand,
  ListExtensibleSourceServersCommand,
  SourceServer,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateLaunchConfigurationCommand,
} from '@aws-sdk/client-drs';
import { mockClient } from 'aws-sdk-client-mock';
import { HandlerError } from '../../../src/aws/drs/errors';
import { Limits, OwnerTags, ResourceTypes, SelectorTypes, ServerSelectorProperty } from '../../../src/contract';
import { handleEvent, HandlerDeps, runHandler } from '../../../src/provider/runtime/dispatch';
import { CloudFormationEvent, responseBody } from '../../../src/provider/runtime/response';
import { LifecycleOptions } from '../../../src/servers/runtime/options';
import {
  Continuation,
  ReconcileSettings,
  stagingAccountExtension,
} from '../../../src/servers/runtime/staging-account-extension';
import { errors, FakeClock, lifecycleOptions, REGION, serverArn, STACK_ID, STAGING, TARGET } from '../../support/handler-fixtures';

const drs = mockClient(DrsClient);
const client = new DrsClient({ region: REGION });
const LOGICAL_ID = 'Staging1';
const OWNER_TAGS = { [OwnerTags.STACK_ID]: STACK_ID, [OwnerTags.LOGICAL_ID]: LOGICAL_ID };
const PHYSICAL_ID = `drs-staging-account-extension:${STAGING}`;
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${TARGET}:function:handler`;
const PAGE = 2;

interface StagingServer { arn: string; hostname: string; tags: Record<string, string> }

/** A tiny DRS: staging servers, and the target account's servers extended from them. */
class FakeDrs {
  staging: StagingServer[] = [];
  extended: SourceServer[] = [];
  /** The API reference's reading: DeleteSourceServer refuses a server that is not disconnected. */
  deleteRequiresDisconnect = false;
  private seq = 0;
  /** Called before each operation; may throw to inject an error. */
  before: (operation: string, input: any) => void = () => {};

  addStaging(count: number, hostname = (n: number) => `web-${n}`, tags = (_n: number): Record<string, string> => ({})): StagingServer[] {
    const added = Array.from({ length: count }, (_, i) => {
      const n = this.staging.length + i + 1;
      const id = `s-${'1'.repeat(12)}${String(n).padStart(5, '0')}`;
      return { arn: `arn:aws:drs:${REGION}:${STAGING}:source-server/${id}`, hostname: hostname(n), tags: tags(n) };
    });
    this.staging.push(...added);
    return added;
  }

  /** Extends a staging server as someone would (owner tags given or not). */
  extend(staging: StagingServer, tags: Record<string, string>, status = 'EXTENDED'): SourceServer {
    this.seq += 1;
    const id = `s-${'2'.repeat(12)}${String(this.seq).padStart(5, '0')}`;
    const server: SourceServer = {
      sourceServerID: id,
      arn: serverArn(id),
      tags: { ...tags },
      sourceProperties: { identificationHints: { hostname: staging.hostname } },
      stagingArea: { status: status as any, stagingAccountID: STAGING, stagingSourceServerArn: staging.arn },
      dataReplicationInfo: { dataReplicationState: 'CONTINUOUS' },
    };
    this.extended.push(server);
    return server;
  }

  byId(id: string): SourceServer | undefined {
    return this.extended.find((s) => s.sourceServerID === id);
  }

  install(): void {
    const page = <T>(items: T[], token: string | undefined) => {
      const start = token ? Number(token) : 0;
      const next = start + PAGE < items.length ? String(start + PAGE) : undefined;
      return { items: items.slice(start, start + PAGE), nextToken: next };
    };
    drs.on(DescribeSourceServersCommand).callsFake((input) => {
      this.before('DescribeSourceServers', input);
      const wanted = input.filters?.stagingAccountIDs ?? [];
      const items = this.extended.filter((s) => wanted.length === 0 || wanted.includes(s.stagingArea!.stagingAccountID!));
      return page(JSON.parse(JSON.stringify(items)), input.nextToken);
    });
    drs.on(ListExtensibleSourceServersCommand).callsFake((input) => {
      this.before('ListExtensibleSourceServers', input);
      const taken = new Set(this.extended.map((s) => s.stagingArea?.stagingSourceServerArn));
      const items = this.staging.filter((s) => !taken.has(s.arn)).map((s) => ({ arn: s.arn, hostname: s.hostname, tags: { ...s.tags } }));
      return page(items, input.nextToken);
    });
    drs.on(CreateExtendedSourceServerCommand).callsFake((input) => {
      this.before('CreateExtendedSourceServer', input);
      const staging = this.staging.find((s) => s.arn === input.sourceServerArn)!;
      if (this.extended.some((s) => s.stagingArea?.stagingSourceServerArn === staging.arn)) throw errors.validation('already extended');
      return { sourceServer: this.extend(staging, input.tags ?? {}) };
    });
    drs.on(DisconnectSourceServerCommand).callsFake((input) => {
      this.before('DisconnectSourceServer', input);
      const s = this.byId(input.sourceServerID);
      if (!s) throw errors.notFound();
      s.dataReplicationInfo = { dataReplicationState: 'DISCONNECTED' };
      return {};
    });
    drs.on(DeleteSourceServerCommand).callsFake((input) => {
      this.before('DeleteSourceServer', input);
      const s = this.byId(input.sourceServerID);
      if (!s) throw errors.notFound();
      if (this.deleteRequiresDisconnect && s.dataReplicationInfo?.dataReplicationState !== 'DISCONNECTED') {
        throw errors.conflict(`Source server ${s.sourceServerID} must be disconnected before it is deleted`);
      }
      this.extended = this.extended.filter((x) => x !== s);
      return {};
    });
    drs.on(TagResourceCommand).callsFake((input) => {
      this.before('TagResource', input);
      const s = this.extended.find((x) => x.arn === input.resourceArn)!;
      Object.assign(s.tags!, input.tags);
      return {};
    });
    drs.on(UntagResourceCommand).callsFake((input) => {
      this.before('UntagResource', input);
      const s = this.extended.find((x) => x.arn === input.resourceArn)!;
      for (const k of input.tagKeys) delete s.tags![k];
      return {};
    });
  }
}

let fake: FakeDrs;
let clock: FakeClock;
let logs: Array<Record<string, unknown>>;
let invoked: Array<{ functionName: string; payload: any }>;

beforeEach(() => {
  drs.reset();
  fake = new FakeDrs();
  fake.install();
  clock = new FakeClock();
  logs = [];
  invoked = [];
});

const options = (overrides: Partial<LifecycleOptions> = {}) => lifecycleOptions(clock, overrides, logs);
const calls = (operation: string) => drs.calls().filter((c) => c.args[0].constructor.name === `${operation}Command`) as Array<{ args: [{ input: any }] }>;
const ownedServers = () => fake.extended.filter((s) => s.tags?.[OwnerTags.STACK_ID] === STACK_ID && s.tags?.[OwnerTags.LOGICAL_ID] === LOGICAL_ID);

function event(overrides: Partial<CloudFormationEvent> & { Continuation?: Continuation } = {}): CloudFormationEvent {
  return {
    RequestType: 'Create',
    ResponseURL: 'https://cloudformation-custom-resource-response.s3.amazonaws.com/x',
    StackId: STACK_ID,
    RequestId: 'req-1',
    LogicalResourceId: LOGICAL_ID,
    ResourceType: ResourceTypes.STAGING_ACCOUNT_EXTENSION,
    ResourceProperties: { ServiceToken: FUNCTION_ARN, StagingAccountId: STAGING, Tags: { team: 'dr' } },
    ...overrides,
  };
}

const props = (extra: Record<string, unknown> = {}) => ({ ServiceToken: FUNCTION_ARN, StagingAccountId: STAGING, Tags: { team: 'dr' }, ...extra });

const deps = () => ({
  client,
  env: { AWS_REGION: REGION },
  invoke: async (functionName: string, payload: unknown) => { invoked.push({ functionName, payload }); },
});

function run(e: CloudFormationEvent, settings: ReconcileSettings = {}, opts: Partial<LifecycleOptions> = {}) {
  return stagingAccountExtension(e, deps() as any, options(opts), { invokedFunctionArn: FUNCTION_ARN }, settings);
}

async function failure(promise: Promise<unknown>): Promise<HandlerError> {
  const err = await promise.then(() => undefined, (e) => e);
  expect(err).toBeInstanceOf(HandlerError);
  return err as HandlerError;
}

const hostnames = (...Patterns: string[]): ServerSelectorProperty => ({ Type: SelectorTypes.HOSTNAME, Patterns });

describe('create', () => {
  test('extends every extensible server (all pages) with user and owner tags; counts in Data', async () => {
    fake.addStaging(5);
    const outcome = await run(event());
    expect(ownedServers()).toHaveLength(5);
    expect(calls('CreateExtendedSourceServer').map((c) => c.args[0].input)).toEqual(fake.staging.map((s) => ({
      sourceServerArn: s.arn, tags: { team: 'dr', ...OWNER_TAGS },
    })));
    // 5 staging servers in pages of 2: three list pages; describe before (empty) and after (3 pages).
    expect(calls('ListExtensibleSourceServers').map((c) => c.args[0].input)).toEqual([
      { stagingAccountID: STAGING, maxResults: 300, nextToken: undefined },
      { stagingAccountID: STAGING, maxResults: 300, nextToken: '2' },
      { stagingAccountID: STAGING, maxResults: 300, nextToken: '4' },
    ]);
    // Every read is of this staging account, but the first: every extended server, to find
    // owned servers of staging accounts the resource no longer declares (none here).
    expect(calls('DescribeSourceServers').filter((c) => c.args[0].input.filters?.stagingAccountIDs?.[0] !== STAGING)
      .map((c) => c.args[0].input.filters)).toEqual([{}]);
    expect(outcome).toEqual({
      physicalResourceId: PHYSICAL_ID,
      data: {
        StagingAccountId: STAGING,
        ServerCount: '5',
        ExtendedCount: '5',
        AlreadyOwnedCount: '0',
        PrunedCount: '0',
        NotMatchingCount: '0',
        ExtensionErrorCount: '0',
        FailedCount: '0',
        SkippedNotMatchingCount: '0',
        OwnedElsewhereCount: '0',
        PendingCount: '0',
      },
    });
    expect(invoked).toEqual([]);
  });

  test('extends only what the selector matches; the rest are counted as skipped', async () => {
    fake.addStaging(6, (n) => (n % 2 ? `web-${n}` : `db-${n}`), (n): Record<string, string> => (n === 2 ? { dr: 'yes' } : {}));
    const outcome = await run(event({
      ResourceProperties: props({ Selector: { Type: SelectorTypes.ANY_OF, Selectors: [hostnames('web-*'), { Type: 'tag', Key: 'dr', Values: ['yes'] }] } }),
    }));
    expect(ownedServers().map((s) => s.sourceProperties?.identificationHints?.hostname).sort()).toEqual(['db-2', 'web-1', 'web-3', 'web-5']);
    expect(outcome.data).toMatchObject({ ServerCount: '4', ExtendedCount: '4', SkippedNotMatchingCount: '2' });
  });

  test("adopts nothing and touches nothing of someone else's; a second run extends nothing new", async () => {
    const [first] = fake.addStaging(3);
    fake.extend(first, { other: 'owner' });
    const outcome = await run(event());
    expect(outcome.data).toMatchObject({ ServerCount: '2', ExtendedCount: '2', OwnedElsewhereCount: '1' });
    expect(fake.extended.find((s) => s.stagingArea?.stagingSourceServerArn === first.arn)?.tags).toEqual({ other: 'owner' });

    drs.resetHistory();
    const again = await run(event({ RequestType: 'Update', PhysicalResourceId: PHYSICAL_ID, OldResourceProperties: props() }));
    expect(calls('CreateExtendedSourceServer')).toHaveLength(0);
    expect(calls('TagResource')).toHaveLength(0);
    expect(again.data).toMatchObject({ ServerCount: '2', ExtendedCount: '0', AlreadyOwnedCount: '2', OwnedElsewhereCount: '1' });
  });

  test('waits for new servers that are not EXTENDED yet, polling at the poll interval', async () => {
    fake.addStaging(2);
    let reads = 0;
    fake.before = (op) => {
      if (op !== 'DescribeSourceServers') return;
      reads += 1;
      for (const s of fake.extended) s.stagingArea!.status = reads < 3 ? 'NOT_EXTENDED' as any : 'EXTENDED';
    };
    const outcome = await run(event());
    expect(clock.sleeps).toEqual([1_000]);
    expect(outcome.data).toMatchObject({ ServerCount: '2', PendingCount: '0' });
  });
});

describe('errors', () => {
  test('servers in EXTENSION_ERROR are reported (count, log with ids), not removed, and do not fail by default', async () => {
    const [a, b] = fake.addStaging(3);
    const broken = fake.extend(a, OWNER_TAGS, 'EXTENSION_ERROR');
    broken.stagingArea!.errorMessage = 'staging server not found';
    fake.extend(b, OWNER_TAGS);
    const outcome = await run(event({ ResourceProperties: props({ Selector: hostnames('none-*'), PruneNotMatching: 'true' }) }));
    expect(outcome.data).toMatchObject({ ServerCount: '1', ExtensionErrorCount: '1', PrunedCount: '1', SkippedNotMatchingCount: '1' });
    expect(fake.byId(broken.sourceServerID!)).toBeDefined();
    const attention = logs.find((l) => l.message === 'servers need attention')!;
    expect(attention.extensionErrors).toEqual([{ task: 'extend', subject: broken.sourceServerID, reason: 'staging server not found' }]);
  });

  test('failOnExtensionError: FAILED naming the servers, with the physical id whose Delete cleans up', async () => {
    const [a] = fake.addStaging(2);
    const broken = fake.extend(a, OWNER_TAGS, 'EXTENSION_ERROR');
    broken.stagingArea!.errorMessage = 'cannot assume the staging role';
    const err = await failure(run(event({ ResourceProperties: props({ FailOnExtensionError: 'true' }) })));
    expect(err.message).toContain(`1 owned server(s) in EXTENSION_ERROR (${broken.sourceServerID}: cannot assume the staging role)`);
    expect(err.message).toContain('failOnExtensionError is set');
    expect(err.physicalResourceId).toBe(PHYSICAL_ID);
    // The other server was still extended first.
    expect(ownedServers()).toHaveLength(2);
  });

  test('a server DRS refuses (default EBS key) is counted and the others are extended', async () => {
    const [, bad] = fake.addStaging(3);
    fake.before = (op, input) => {
      if (op === 'CreateExtendedSourceServer' && input.sourceServerArn === bad.arn) {
        throw errors.validation('Source server cannot be extended if it has the default EBS encryption key');
      }
    };
    const outcome = await run(event());
    expect(outcome.data).toMatchObject({ ServerCount: '2', ExtendedCount: '2', FailedCount: '1' });
    const attention = logs.find((l) => l.message === 'servers need attention')! as any;
    expect(attention.failures[0].subject).toBe(bad.arn);
    expect(attention.failures[0].reason).toContain('default EBS encryption key');

    const err = await failure(run(event({ ResourceProperties: props({ FailOnExtensionError: 'true' }) })));
    expect(err.message).toContain(`1 server(s) could not be extended or removed (${bad.arn}: `);
  });

  test('a create whose answer was lost is not a failure: the server shows up as owned', async () => {
    const [a] = fake.addStaging(1);
    fake.before = (op) => {
      if (op === 'CreateExtendedSourceServer' && fake.extended.length === 0) {
        fake.extend(a, OWNER_TAGS);
        throw errors.validation('already extended');
      }
    };
    const outcome = await run(event());
    expect(outcome.data).toMatchObject({ ServerCount: '1', FailedCount: '0' });
  });

  test('AccessDenied on extend stops the request at once with the trust explanation', async () => {
    fake.addStaging(6);
    fake.before = (op) => {
      if (op === 'CreateExtendedSourceServer') throw errors.named('AccessDeniedException');
    };
    const err = await failure(run(event(), { concurrency: 1 }));
    expect(err.message).toContain(`staging account ${STAGING} does not trust target account ${TARGET}`);
    expect(calls('CreateExtendedSourceServer')).toHaveLength(1);
  });

  test('AccessDenied on listing names StagingAccountTrust and the handler permission', async () => {
    fake.before = (op) => {
      if (op === 'ListExtensibleSourceServers') throw errors.named('AccessDeniedException');
    };
    const err = await failure(run(event()));
    expect(err.message).toBe(
      `listing the servers of staging account ${STAGING} was denied in account ${TARGET} region ${REGION}: the staging account must trust ` +
      `${TARGET} (deploy StagingAccountTrust there, which creates role service-role/DRSStagingAccountRole_${TARGET}) ` +
      'and the handler role needs drs:ListExtensibleSourceServers (DRS said: AccessDeniedException message)');
  });

  test('throttling that outlasts the retries puts the server back; it is extended later in the same invocation', async () => {
    const [a] = fake.addStaging(3);
    let throttled = 0;
    fake.before = (op, input) => {
      if (op === 'CreateExtendedSourceServer' && input.sourceServerArn === a.arn && throttled < 3) {
        throttled += 1;
        throw errors.throttling();
      }
    };
    const outcome = await run(event(), { concurrency: 1 }, { retry: { maxAttempts: 2, baseDelayMs: 10, random: () => 0.5 } });
    expect(outcome.data).toMatchObject({ ServerCount: '3', FailedCount: '0' });
    expect(logs.filter((l) => l.message === 'putting the task back after its retries ran out')).toHaveLength(1);
    expect(invoked).toEqual([]);
  });
});

describe('continuation', () => {
  /** Every DRS call takes `ms` of the fake clock. */
  const slowCalls = (ms: number) => { fake.before = () => { clock.t += ms; }; };

  test('hands the rest to a new invocation when the work deadline comes; the last invocation answers with totals', async () => {
    fake.addStaging(10);
    slowCalls(1_000);
    const first = clock.t;
    const outcome = await run(event(), { concurrency: 1 }, { deadline: clock.t + 8_000 });

    expect(outcome).toEqual({ physicalResourceId: PHYSICAL_ID, continued: true });
    const done = ownedServers().length;
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(10);
    expect(invoked).toHaveLength(1);
    expect(invoked[0].functionName).toBe(FUNCTION_ARN);
    expect(invoked[0].payload).toEqual({ ...event(), Continuation: { invocation: 2, startedAt: first, extended: done, pruned: 0 } });

    // The next invocation gets the event with the progress, and all the time it needs.
    const final = await run(invoked[0].payload, { concurrency: 1 }, { deadline: clock.t + 600_000 });
    expect(final.data).toMatchObject({ ServerCount: '10', ExtendedCount: '10', AlreadyOwnedCount: '0' });
    expect(invoked).toHaveLength(1);
  });

  test('a read throttled past the invocation\'s deadline hands over instead of failing', async () => {
    fake.addStaging(3);
    let throttle = false;
    fake.before = (op) => {
      if (op === 'CreateExtendedSourceServer') throttle = true;
      if (op === 'DescribeSourceServers' && throttle) throw errors.throttling('5');
    };
    const retry = { baseDelayMs: 100, random: () => 0.5, deadline: clock.t + 2_000 };
    const outcome = await run(event(), {}, { retry });
    expect(outcome).toMatchObject({ continued: true });
    expect(logs.find((l) => l.message === 'continuing in a new invocation')).toMatchObject({
      why: expect.stringContaining('DescribeSourceServers ran out of time'), invocation: 2, extended: 3,
    });
    fake.before = () => {};
    const final = await run(invoked[0].payload);
    expect(final.data).toMatchObject({ ServerCount: '3', ExtendedCount: '3' });
  });

  test('a read that keeps being throttled with time left fails with the throttling explanation', async () => {
    fake.before = (op) => { if (op === 'DescribeSourceServers') throw errors.throttling(); };
    const err = await failure(run(event(), {}, { retry: { maxAttempts: 2, baseDelayMs: 10, random: () => 0.5 } }));
    expect(err.message).toMatch(/^DRS kept throttling DescribeSourceServers in account 222222222222 region us-east-1 and the handler gave up after 2 attempt/);
  });

  test('gives up, FAILED with the progress, once the request has used its total budget', async () => {
    fake.addStaging(4);
    slowCalls(1_000);
    const startedAt = clock.t - 60_000;
    const err = await failure(run(
      event({ Continuation: { invocation: 3, startedAt, extended: 7, pruned: 0 } } as any),
      { concurrency: 1, totalBudgetMs: 65_000 }, { deadline: clock.t + 600_000 }));
    expect(err.message).toMatch(/^reconciling staging account servers did not finish after 3 invocation\(s\) and 1 minute\(s\) \(\d+ of 4 server tasks left; \d+ extended, 0 removed so far\)/);
    expect(err.physicalResourceId).toBe(PHYSICAL_ID);
    expect(invoked).toEqual([]);
  });

  test('gives up after maxInvocations', async () => {
    fake.addStaging(4);
    slowCalls(1_000);
    const err = await failure(run(event({ Continuation: { invocation: 5, startedAt: clock.t, extended: 0, pruned: 0 } } as any),
      { concurrency: 1, maxInvocations: 5 }, { deadline: clock.t + 3_000 }));
    expect(err.message).toContain('did not finish after 5 invocation(s)');
  });

  test('a failed self-invocation fails the request and says which permission it needs', async () => {
    fake.addStaging(4);
    slowCalls(1_000);
    const failing = { ...deps(), invoke: async () => { throw new Error('AccessDeniedException: not authorized'); } };
    const context = { invokedFunctionArn: FUNCTION_ARN };
    const err = await failure(stagingAccountExtension(event(), failing as any, options({ deadline: clock.t + 3_000 }), context, { concurrency: 1 }));
    expect(err.message).toBe(`could not continue in a new invocation of ${FUNCTION_ARN} (AccessDeniedException: not authorized): ` +
      'the handler role needs lambda:InvokeFunction on its own function');
  });
});

describe('update and scheduled reconcile', () => {
  test('a server that appeared since is extended; changed tags are set and dropped tags removed, owner tags untouched', async () => {
    fake.addStaging(2);
    await run(event({ ResourceProperties: props({ Tags: { team: 'dr', cost: 'a' } }) }));
    fake.addStaging(1);
    drs.resetHistory();

    const outcome = await run(event({
      RequestType: 'Update',
      PhysicalResourceId: PHYSICAL_ID,
      ResourceProperties: props({ Tags: { team: 'sre' } }),
      OldResourceProperties: props({ Tags: { team: 'dr', cost: 'a' } }),
    }));
    expect(outcome.data).toMatchObject({ ServerCount: '3', ExtendedCount: '1', AlreadyOwnedCount: '2' });
    expect(calls('TagResource').map((c) => c.args[0].input.tags)).toEqual([{ team: 'sre' }, { team: 'sre' }]);
    expect(calls('UntagResource').map((c) => c.args[0].input.tagKeys)).toEqual([['cost'], ['cost']]);
    for (const s of ownedServers()) expect(s.tags).toEqual({ team: 'sre', ...OWNER_TAGS });
  });

  test.each([
    ['the user guide\'s reading: deleted without a disconnect', false, 0, 1],
    ['the API reference\'s reading: disconnected once DRS asks, then deleted', true, 1, 2],
  ])('prune off: servers that stopped matching are kept and counted; prune on: removed (%s)', async (_reading, requiresDisconnect, disconnects, deletes) => {
    fake.deleteRequiresDisconnect = requiresDisconnect;
    fake.addStaging(3, (n) => `web-${n}`);
    await run(event());
    fake.staging[2].hostname = 'retired-3';
    // The extended servers mirror the staging hostname.
    fake.extended[2].sourceProperties!.identificationHints!.hostname = 'retired-3';
    const selector = { Selector: hostnames('web-*') };

    const kept = await run(event({ RequestType: 'Update', PhysicalResourceId: PHYSICAL_ID, ResourceProperties: props(selector), OldResourceProperties: props() }));
    expect(kept.data).toMatchObject({ ServerCount: '3', NotMatchingCount: '1', PrunedCount: '0' });
    expect(calls('DeleteSourceServer')).toHaveLength(0);

    const pruned = await run(event({ RequestType: RECONCILE, PhysicalResourceId: PHYSICAL_ID, ResourceProperties: props({ ...selector, PruneNotMatching: 'true' }) }));
    expect(pruned.data).toMatchObject({ ServerCount: '2', NotMatchingCount: '0', PrunedCount: '1' });
    expect(calls('DisconnectSourceServer')).toHaveLength(disconnects);
    expect(calls('DeleteSourceServer')).toHaveLength(deletes);
    expect(ownedServers().every((s) => s.sourceProperties?.identificationHints?.hostname?.startsWith('web-'))).toBe(true);
  });

  test('a tag-only selector never prunes: staging tags of extended servers are not visible', async () => {
    fake.addStaging(2, undefined, () => ({ dr: 'yes' }));
    await run(event({ ResourceProperties: props({ Selector: { Type: 'tag', Key: 'dr', Values: ['yes'] } }) }));
    fake.staging.forEach((s) => { s.tags = { dr: 'no' }; });
    const outcome = await run(event({
      RequestType: RECONCILE,
      PhysicalResourceId: PHYSICAL_ID,
      ResourceProperties: props({ Selector: { Type: 'tag', Key: 'dr', Values: ['yes'] }, PruneNotMatching: 'true' }),
    }));
    expect(outcome.data).toMatchObject({ ServerCount: '2', PrunedCount: '0', NotMatchingCount: '0' });
  });

  test('a prune blocked by a recovery instance is reported, the rest goes on', async () => {
    fake.addStaging(2);
    await run(event());
    fake.extended[0].recoveryInstanceId = 'i-0123456789abcdef0';
    const outcome = await run(event({ RequestType: RECONCILE, PhysicalResourceId: PHYSICAL_ID, ResourceProperties: props({ Selector: hostnames('none'), PruneNotMatching: 'true' }) }));
    expect(outcome.data).toMatchObject({ ServerCount: '1', PrunedCount: '1', FailedCount: '1', NotMatchingCount: '1' });
    const attention = logs.find((l) => l.message === 'servers need attention') as any;
    expect(attention.failures[0].reason).toContain('recovery instance i-0123456789abcdef0');
  });
});

const RECONCILE = 'Reconcile' as any;

// Issue 9 (e): an update while the staging account no longer trusts this one fails (rightly), and
// CloudFormation's rollback sends an Update back to the old properties, which met the same denial:
// UPDATE_ROLLBACK_FAILED. The rollback (the stack is UPDATE_ROLLBACK_IN_PROGRESS) now extends nothing.
describe('update while the staging account cannot be listed', () => {
  const cfn = mockClient(CloudFormationClient);
  const cloudFormation = new CloudFormationClient({ region: REGION });
  let stackStatus: string | Error;
  beforeEach(() => {
    cfn.reset();
    stackStatus = 'UPDATE_IN_PROGRESS';
    cfn.on(DescribeStacksCommand).callsFake(() => {
      if (stackStatus instanceof Error) throw stackStatus;
      return { Stacks: [{ StackId: STACK_ID, StackName: 'Target', StackStatus: stackStatus, CreationTime: new Date(0) }] };
    });
    cfn.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: [] });
  });
  const runWithCfn = (e: CloudFormationEvent) =>
    stagingAccountExtension(e, { ...deps(), cloudFormation } as any, options(), { invokedFunctionArn: FUNCTION_ARN });
  const newProps = props({ Tags: { team: 'sre' }, Selector: hostnames('web-1'), PruneNotMatching: 'true' });
  const forward = () => event({ RequestType: 'Update', PhysicalResourceId: PHYSICAL_ID, ResourceProperties: newProps, OldResourceProperties: props() });
  const rollback = () => event({ RequestType: 'Update', PhysicalResourceId: PHYSICAL_ID, ResourceProperties: props(), OldResourceProperties: newProps });

  async function revokedAfterCreate(): Promise<void> {
    fake.addStaging(3);
    await run(event());
    expect(ownedServers()).toHaveLength(3);
    fake.addStaging(1);
    fake.before = (op) => {
      if (op === 'ListExtensibleSourceServers') throw errors.named('AccessDeniedException');
    };
    drs.resetHistory();
  }

  test('the forward Update fails naming the trust and changes nothing', async () => {
    await revokedAfterCreate();
    const err = await failure(runWithCfn(forward()));
    expect(err.message).toContain(`the staging account must trust ${TARGET} (deploy StagingAccountTrust there`);
    expect(err.message).toContain('Restore that trust, then deploy again; meanwhile the rollback of this update keeps the servers this resource owns and extends none');
    expect(calls('TagResource').concat(calls('UntagResource'), calls('DeleteSourceServer'), calls('CreateExtendedSourceServer'))).toEqual([]);
  });

  test('its rollback (UPDATE_ROLLBACK_IN_PROGRESS) succeeds: nothing extended or removed, owned servers kept', async () => {
    await revokedAfterCreate();
    await failure(runWithCfn(forward()));
    stackStatus = 'UPDATE_ROLLBACK_IN_PROGRESS';
    const outcome = await runWithCfn(rollback());
    expect(outcome).toMatchObject({ physicalResourceId: PHYSICAL_ID, data: { ServerCount: '3', ExtendedCount: '0', PrunedCount: '0' } });
    expect(calls('CreateExtendedSourceServer').concat(calls('DeleteSourceServer'), calls('DisconnectSourceServer'))).toEqual([]);
    for (const s of ownedServers()) expect(s.tags).toEqual({ team: 'dr', ...OWNER_TAGS });
    expect(logs.some((l) => l.message === 'rolling back while the staging account cannot be listed: extending nothing, keeping owned servers consistent')).toBe(true);
  });

  test('when the stack status cannot be read, the Update is not taken for a rollback: it fails', async () => {
    await revokedAfterCreate();
    stackStatus = Object.assign(new Error('not authorized to perform cloudformation:DescribeStacks'), { name: 'AccessDenied' });
    const err = await failure(runWithCfn(rollback()));
    expect(err.message).toContain('Restore that trust');
  });
});

describe('delete', () => {
  test('removes exactly the servers carrying this resource\'s owner tags (all pages)', async () => {
    const staging = fake.addStaging(7);
    staging.slice(0, 5).forEach((s) => fake.extend(s, OWNER_TAGS));
    const otherLogical = fake.extend(staging[5], { ...OWNER_TAGS, [OwnerTags.LOGICAL_ID]: 'Other' });
    const otherStack = fake.extend(staging[6], { ...OWNER_TAGS, [OwnerTags.STACK_ID]: STACK_ID.replace('Target', 'Else') });

    const outcome = await run(event({ RequestType: 'Delete', PhysicalResourceId: PHYSICAL_ID }));
    expect(outcome).toEqual({ physicalResourceId: PHYSICAL_ID });
    expect(fake.extended.map((s) => s.sourceServerID).sort()).toEqual([otherLogical.sourceServerID, otherStack.sourceServerID].sort());
    expect(calls('DeleteSourceServer')).toHaveLength(5);
    expect(calls('DisconnectSourceServer')).toHaveLength(0);
  });

  test('when DRS requires a disconnect, each server is disconnected after its delete is refused, then deleted', async () => {
    fake.deleteRequiresDisconnect = true;
    fake.addStaging(3).forEach((s) => fake.extend(s, OWNER_TAGS));
    await run(event({ RequestType: 'Delete', PhysicalResourceId: PHYSICAL_ID }));
    expect(fake.extended).toEqual([]);
    expect(calls('DisconnectSourceServer')).toHaveLength(3);
    expect(calls('DeleteSourceServer')).toHaveLength(6);
  });

  test('after a failed create (no physical id of ours) the staging account comes from the properties', async () => {
    const [a] = fake.addStaging(1);
    fake.extend(a, OWNER_TAGS);
    await run(event({ RequestType: 'Delete', PhysicalResourceId: 'failed-create:req-1' }));
    expect(fake.extended).toEqual([]);
  });

  test('without a staging account anywhere there is nothing to delete', async () => {
    const outcome = await run(event({ RequestType: 'Delete', PhysicalResourceId: 'failed-create:req-1', ResourceProperties: {} }));
    expect(outcome).toEqual({ physicalResourceId: 'failed-create:req-1' });
    expect(drs.calls()).toHaveLength(0);
  });

  test('a recovery instance fails the delete naming the server; the others are removed', async () => {
    const staging = fake.addStaging(3);
    const servers = staging.map((s) => fake.extend(s, OWNER_TAGS));
    servers[1].recoveryInstanceId = 'i-0123456789abcdef0';
    const err = await failure(run(event({ RequestType: 'Delete', PhysicalResourceId: PHYSICAL_ID })));
    expect(err.message).toContain(`1 server(s) extended from staging account ${STAGING} could not be removed`);
    expect(err.message).toContain(`${servers[1].sourceServerID}: it has recovery instance i-0123456789abcdef0`);
    expect(fake.extended).toEqual([servers[1]]);
  });

  test('continues in a new invocation when time runs out', async () => {
    fake.addStaging(6).forEach((s) => fake.extend(s, OWNER_TAGS));
    fake.before = () => { clock.t += 1_000; };
    const outcome = await run(event({ RequestType: 'Delete', PhysicalResourceId: PHYSICAL_ID }), { concurrency: 1 }, { deadline: clock.t + 5_000 });
    expect(outcome).toMatchObject({ continued: true });
    expect(invoked[0].payload.Continuation).toMatchObject({ invocation: 2 });
    await run(invoked[0].payload, { concurrency: 1 }, { deadline: clock.t + 600_000 });
    expect(fake.extended).toEqual([]);
  });
});

describe('through dispatch', () => {
  const put: Array<{ url: string; body: string }> = [];
  const handlerDeps = (extra: Partial<HandlerDeps> = {}): HandlerDeps => ({
    client,
    env: { AWS_REGION: REGION },
    now: clock.now,
    sleep: clock.sleep,
    write: () => {},
    put: async (url, body) => { put.push({ url, body }); },
    ...extra,
  });
  beforeEach(() => { put.length = 0; });

  test('Create answers SUCCESS with the counts; the response stays far below 4 KB', async () => {
    fake.addStaging(3);
    const result = await runHandler(event(), { invokedFunctionArn: FUNCTION_ARN }, handlerDeps());
    expect(result).toMatchObject({ status: 'SUCCESS', physicalResourceId: PHYSICAL_ID, data: { ServerCount: '3' } });
    expect(put).toHaveLength(1);
    expect(JSON.parse(put[0].body)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: PHYSICAL_ID, Data: { ExtendedCount: '3' } });
  });

  test('the largest possible Data (every count at 300 servers and beyond) fits the response limit', () => {
    const data = Object.fromEntries(['StagingAccountId', 'ServerCount', 'ExtendedCount', 'AlreadyOwnedCount', 'PrunedCount', 'NotMatchingCount',
      'ExtensionErrorCount', 'FailedCount', 'SkippedNotMatchingCount', 'OwnedElsewhereCount', 'PendingCount'].map((k) => [k, '999999']));
    const body = responseBody(event(), { status: 'SUCCESS', physicalResourceId: PHYSICAL_ID, data });
    expect(Buffer.byteLength(body)).toBeLessThan(Limits.MAX_RESPONSE_BYTES / 2);
  });

  test('a continued request sends nothing to CloudFormation', async () => {
    fake.addStaging(8);
    fake.before = () => { clock.t += 1_000; };
    const invokes: unknown[] = [];
    const result = await handleEvent(event(), { invokedFunctionArn: FUNCTION_ARN, getRemainingTimeInMillis: () => 10_000 },
      handlerDeps({ invoke: async (_f: string, p: unknown) => { invokes.push(p); } } as any));
    expect(result).toEqual({ status: 'SUCCESS', physicalResourceId: PHYSICAL_ID, continued: true });
    expect(invokes).toHaveLength(1);
    await runHandler(event(), { invokedFunctionArn: FUNCTION_ARN, getRemainingTimeInMillis: () => 10_000 },
      handlerDeps({ invoke: async () => {} } as any));
    expect(put).toEqual([]);
  });

  test('a scheduled Reconcile is not answered (it has no ResponseURL); failures only go to the log', async () => {
    fake.addStaging(2);
    const lines: string[] = [];
    const reconcile = { ...event({ RequestType: RECONCILE, PhysicalResourceId: PHYSICAL_ID }), ResponseURL: undefined } as any;
    const ok = await runHandler(reconcile, { invokedFunctionArn: FUNCTION_ARN }, handlerDeps());
    expect(ok).toMatchObject({ status: 'SUCCESS', data: { ExtendedCount: '2' } });

    fake.before = (op) => { if (op === 'ListExtensibleSourceServers') throw errors.named('AccessDeniedException'); };
    const failed = await runHandler(reconcile, { invokedFunctionArn: FUNCTION_ARN }, handlerDeps({ write: (l) => lines.push(l) }));
    expect(failed?.status).toBe('FAILED');
    expect(put).toEqual([]);
    expect(lines.map((l) => JSON.parse(l)).find((l) => l.message === 'failed')).toMatchObject({ requestType: 'Reconcile' });
  });
});

describe('launch settings', () => {
  // The server's DRS launch configuration, kept per server id by a small fake.
  let configs: Map<string, Record<string, unknown>>;
  beforeEach(() => {
    configs = new Map();
    drs.on(GetLaunchConfigurationCommand).callsFake((input) => ({
      sourceServerID: input.sourceServerID, copyTags: false, ...configs.get(input.sourceServerID),
    }));
    drs.on(UpdateLaunchConfigurationCommand).callsFake(({ sourceServerID, ...rest }) => {
      configs.set(sourceServerID, { ...configs.get(sourceServerID), ...rest });
      return {};
    });
  });
  const withSettings = () => props({ LaunchSettings: { CopyTags: 'true' } });

  test('applied to every server it extends, once each; a second request only reads', async () => {
    fake.addStaging(3);
    await run(event({ ResourceProperties: withSettings() }));
    expect(calls('UpdateLaunchConfiguration').map((c) => c.args[0].input.sourceServerID).sort())
      .toEqual(ownedServers().map((s) => s.sourceServerID).sort());
    drs.resetHistory();
    await run(event({ RequestType: 'Update', PhysicalResourceId: PHYSICAL_ID, ResourceProperties: withSettings(), OldResourceProperties: withSettings() }));
    expect(calls('GetLaunchConfiguration')).toHaveLength(3);
    expect(calls('UpdateLaunchConfiguration')).toHaveLength(0);
  });

  test('the scheduled reconcile applies them to servers extended later and puts drifted ones back; it never touches others\' servers', async () => {
    fake.addStaging(2);
    await run(event({ ResourceProperties: withSettings() }));
    const foreign = fake.extend(fake.addStaging(1)[0], { [OwnerTags.STACK_ID]: 'other-stack', [OwnerTags.LOGICAL_ID]: 'X' });
    fake.addStaging(1);
    configs.set(ownedServers()[0].sourceServerID!, { copyTags: false }); // drifted
    drs.resetHistory();
    await run(event({ RequestType: RECONCILE, PhysicalResourceId: PHYSICAL_ID, ResourceProperties: withSettings() }));
    const updated = calls('UpdateLaunchConfiguration').map((c) => c.args[0].input.sourceServerID);
    expect(updated).toHaveLength(2); // the new server and the drifted one
    expect(updated).toContain(ownedServers()[0].sourceServerID);
    expect(calls('GetLaunchConfiguration').map((c) => c.args[0].input.sourceServerID)).not.toContain(foreign.sourceServerID);
  });

  test('a failure fails a CloudFormation request naming the server', async () => {
    fake.addStaging(1);
    drs.on(UpdateLaunchConfigurationCommand).rejects(errors.named('ValidationException'));
    const err = await failure(run(event({ ResourceProperties: withSettings() })));
    expect(err.message).toMatch(/launch settings could not be applied to 1 server\(s\)/);
  });

  test('without launch settings nothing reads them', async () => {
    fake.addStaging(2);
    await run(event());
    expect(calls('GetLaunchConfiguration')).toHaveLength(0);
  });
});
