import { DrsClient, InitializeServiceCommand } from '@aws-sdk/client-drs';
import { mockClient } from 'aws-sdk-client-mock';
import { HandlerError } from '../../../src/aws/drs/errors';
import { deleteServiceInitialization, initializeService } from '../../../src/servers/runtime/service-initialization';
import { errors, FakeClock, lifecycleOptions, REGION, TARGET } from '../../support/handler-fixtures';

const drs = mockClient(DrsClient);
const client = new DrsClient({ region: REGION });

beforeEach(() => drs.reset());

describe('service initialization', () => {
  test('Create/Update call InitializeService and answer Initialized=true with a per-account-and-Region id', async () => {
    drs.on(InitializeServiceCommand).resolves({});
    const outcome = await initializeService(client, lifecycleOptions(new FakeClock()));
    expect(outcome).toEqual({ physicalResourceId: `drs-initialization:${TARGET}:${REGION}`, data: { Initialized: 'true' } });
    expect(drs.commandCalls(InitializeServiceCommand)).toHaveLength(1);
  });

  test('throttling is retried', async () => {
    const clock = new FakeClock();
    drs.on(InitializeServiceCommand).rejectsOnce(errors.throttling('2')).resolves({});
    await initializeService(client, lifecycleOptions(clock));
    expect(drs.commandCalls(InitializeServiceCommand)).toHaveLength(2);
    expect(clock.sleeps).toEqual([2000]);
  });

  test('AccessDenied names the permissions initialization needs', async () => {
    drs.on(InitializeServiceCommand).rejects(errors.named('AccessDeniedException'));
    const err = await initializeService(client, lifecycleOptions(new FakeClock())).catch((e) => e);
    expect(err).toBeInstanceOf(HandlerError);
    expect(err.message).toContain(`InitializeService was denied in account ${TARGET} region ${REGION}`);
    expect(err.message).toContain('iam:CreateServiceLinkedRole');
  });

  test('Delete makes no call: initialization is never undone', async () => {
    const outcome = deleteServiceInitialization(`drs-initialization:${TARGET}:${REGION}`, lifecycleOptions(new FakeClock()));
    expect(outcome).toEqual({ physicalResourceId: `drs-initialization:${TARGET}:${REGION}` });
    expect(drs.calls()).toHaveLength(0);
  });
});
