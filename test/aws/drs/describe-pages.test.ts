import { CreateExtendedSourceServerCommand, DescribeSourceServersCommand, DrsClient } from '@aws-sdk/client-drs';
import { mockClient } from 'aws-sdk-client-mock';
import {
  collectDescribePages, describePageSize, FALLBACK_PAGE_SIZE, forgetDescribePageSize, smallerPageSize,
} from '../../../src/aws/drs/describe-pages';
import { Limits } from '../../../src/contract';
import { createExtendedSourceServer } from '../../../src/servers/runtime/extended-source-server';
import { errors, extendedServer, FakeClock, input, lifecycleOptions, OWNER, REGION, STAGING } from '../../support/handler-fixtures';

const tooLarge = (message = 'Member must have value less than or equal to 200') =>
  errors.validation('1 validation error detected', [{ name: 'maxResults', message }]);

beforeEach(() => forgetDescribePageSize());
afterAll(() => forgetDescribePageSize());

describe('smallerPageSize', () => {
  test('the maximum the message names, else 100, else no maxResults, else give up', () => {
    expect(smallerPageSize(tooLarge(), 1000)).toBe(200);
    expect(smallerPageSize(tooLarge('Member must be at most 50'), 1000)).toBe(50);
    expect(smallerPageSize(tooLarge('too big'), 1000)).toBe(FALLBACK_PAGE_SIZE);
    expect(smallerPageSize(tooLarge('too big'), 100)).toBeUndefined();
    expect(smallerPageSize(tooLarge('Member must have value less than or equal to 500'), 200)).toBe(FALLBACK_PAGE_SIZE);
    expect(smallerPageSize(tooLarge(), undefined)).toBe(false);
  });

  test('other errors are not about the page size', () => {
    expect(smallerPageSize(errors.validation('bad filter', [{ name: 'filters', message: 'x' }]), 1000)).toBe(false);
    expect(smallerPageSize(errors.validation('no fields'), 1000)).toBe(false);
    expect(smallerPageSize(errors.throttling(), 1000)).toBe(false);
  });
});

describe('collectDescribePages', () => {
  test('retries the same page smaller, then keeps the size that worked', async () => {
    const asked: Array<[number | undefined, string | undefined]> = [];
    const items = await collectDescribePages(async (maxResults, nextToken) => {
      asked.push([maxResults, nextToken]);
      if ((maxResults ?? 100) > 200) throw tooLarge();
      return nextToken ? { items: [2] } : { items: [1], nextToken: 't' };
    });
    expect(items).toEqual([1, 2]);
    expect(asked).toEqual([[Limits.DESCRIBE_PAGE_SIZE, undefined], [200, undefined], [200, 't']]);
    expect(describePageSize()).toBe(200);
  });

  test('ends up omitting maxResults; a refusal of that is final', async () => {
    const asked: Array<number | undefined> = [];
    await expect(collectDescribePages(async (maxResults) => {
      asked.push(maxResults);
      throw tooLarge('no');
    })).rejects.toMatchObject({ name: 'ValidationException' });
    expect(asked).toEqual([Limits.DESCRIBE_PAGE_SIZE, FALLBACK_PAGE_SIZE, undefined]);
  });
});

test('the create look-up falls back to a smaller page and still finds nothing to adopt', async () => {
  const drs = mockClient(DrsClient);
  drs.on(DescribeSourceServersCommand, { filters: { stagingAccountIDs: [STAGING] }, maxResults: Limits.DESCRIBE_PAGE_SIZE }).rejects(tooLarge())
    .on(DescribeSourceServersCommand, { filters: { stagingAccountIDs: [STAGING] }, maxResults: 200 }).resolves({ items: [] });
  drs.on(CreateExtendedSourceServerCommand).resolves({ sourceServer: extendedServer() });
  const client = new DrsClient({ region: REGION });
  const outcome = await createExtendedSourceServer(client, { owner: OWNER, props: input() }, lifecycleOptions(new FakeClock()));
  expect(outcome.physicalResourceId).toBeDefined();
  expect(drs.commandCalls(DescribeSourceServersCommand).map((c) => c.args[0].input.maxResults)).toEqual([Limits.DESCRIBE_PAGE_SIZE, 200]);
  drs.restore();
});
