import { DeleteSourceServerCommand, DisconnectSourceServerCommand, DrsClient } from '@aws-sdk/client-drs';
import { mockClient } from 'aws-sdk-client-mock';
import { isDisconnectRequired, RemovalMemo, RemovalSteps, removeSourceServer } from '../../../src/handlers/lifecycle/removal';
import { errors, extendedServer, REGION, SERVER_ID } from '../fixtures';

const drs = mockClient(DrsClient);
const client = new DrsClient({ region: REGION });
beforeEach(() => drs.reset());
const calls = () => drs.calls().map((c) => c.args[0].constructor.name.replace('Command', ''));

function steps(learned?: RemovalMemo): RemovalSteps {
  return {
    client,
    call: (_op, fn) => fn(),
    failure: (operation, id, err) => new Error(`${operation} ${id}: ${(err as Error).message}`),
    recoveryInstance: (id, ri) => new Error(`${id} has ${ri}`),
    learned,
  };
}

test('isDisconnectRequired: Conflict (not about a recovery instance), or Validation that mentions disconnecting', () => {
  expect(isDisconnectRequired(errors.conflict('must be disconnected first'))).toBe(true);
  expect(isDisconnectRequired(errors.conflict('conflict'))).toBe(true);
  expect(isDisconnectRequired(errors.conflict('Source server has recovery instance i-1'))).toBe(false);
  expect(isDisconnectRequired(errors.validation('The Source Server must be disconnected first'))).toBe(true);
  expect(isDisconnectRequired(errors.validation('invalid id'))).toBe(false);
  expect(isDisconnectRequired(errors.named('AccessDeniedException'))).toBe(false);
});

test('a recovery instance is reported without any call', async () => {
  await expect(removeSourceServer(extendedServer({ recoveryInstanceId: 'i-1' }), steps())).rejects.toThrow(`${SERVER_ID} has i-1`);
  expect(calls()).toEqual([]);
});

test('once DRS said a disconnect is needed, later removals of the invocation disconnect first', async () => {
  const memo: RemovalMemo = { disconnectFirst: false };
  drs.on(DeleteSourceServerCommand).rejectsOnce(errors.conflict('Source server must be disconnected before it is deleted')).resolves({});
  drs.on(DisconnectSourceServerCommand).resolves({});
  expect(await removeSourceServer(extendedServer(), steps(memo))).toBe('deleted');
  expect(memo.disconnectFirst).toBe(true);
  expect(await removeSourceServer(extendedServer(), steps(memo))).toBe('deleted');
  expect(calls()).toEqual(['DeleteSourceServer', 'DisconnectSourceServer', 'DeleteSourceServer', 'DisconnectSourceServer', 'DeleteSourceServer']);
});

test('a refusal that does not say so in words is not learned', async () => {
  const memo: RemovalMemo = { disconnectFirst: false };
  drs.on(DeleteSourceServerCommand).rejectsOnce(errors.conflict('conflict')).resolves({});
  drs.on(DisconnectSourceServerCommand).resolves({});
  await removeSourceServer(extendedServer(), steps(memo));
  expect(memo.disconnectFirst).toBe(false);
  await removeSourceServer(extendedServer(), steps(memo));
  expect(calls()).toEqual(['DeleteSourceServer', 'DisconnectSourceServer', 'DeleteSourceServer', 'DeleteSourceServer']);
});

test('a server already disconnected is deleted directly, even after learning', async () => {
  drs.on(DeleteSourceServerCommand).resolves({});
  await removeSourceServer(extendedServer({ dataReplicationInfo: { dataReplicationState: 'DISCONNECTED' } }), steps({ disconnectFirst: true }));
  expect(calls()).toEqual(['DeleteSourceServer']);
});
