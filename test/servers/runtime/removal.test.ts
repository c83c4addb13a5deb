import { DeleteSourceServerCommand, DescribeSourceServersCommand, DisconnectSourceServerCommand, DrsClient } from '@aws-sdk/client-drs';
import { mockClient } from 'aws-sdk-client-mock';
import { isDisconnectRequired, RemovalMemo, RemovalSteps, removeSourceServer } from '../../../src/servers/runtime/removal';
import { errors, extendedServer, REGION, SERVER_ID } from '../../support/handler-fixtures';

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

// With tag-conditioned IAM a server that no longer exists has no owner tags, so the retry of a
// delete whose response was lost is denied, not "not found" (issue 9, defect f).
describe('a denied step on a server that is gone counts as done', () => {
  const denied = () => errors.named('AccessDeniedException', { message: 'User is not authorized to perform: drs:DeleteSourceServer' });

  test('DeleteSourceServer denied, and DescribeSourceServers no longer lists the server: gone', async () => {
    drs.on(DeleteSourceServerCommand).rejects(denied());
    drs.on(DescribeSourceServersCommand).resolves({ items: [] });
    expect(await removeSourceServer(extendedServer(), steps())).toBe('gone');
    expect(calls()).toEqual(['DeleteSourceServer', 'DescribeSourceServers']);
    expect(drs.commandCalls(DescribeSourceServersCommand)[0].args[0].input).toEqual({ filters: { sourceServerIDs: [SERVER_ID] } });
  });

  test('DisconnectSourceServer denied after a delete that needed it, and the server is gone: gone', async () => {
    drs.on(DeleteSourceServerCommand).rejects(errors.conflict('must be disconnected first'));
    drs.on(DisconnectSourceServerCommand).rejects(denied());
    drs.on(DescribeSourceServersCommand).resolves({ items: [] });
    expect(await removeSourceServer(extendedServer(), steps())).toBe('gone');
    expect(calls()).toEqual(['DeleteSourceServer', 'DisconnectSourceServer', 'DescribeSourceServers']);
  });

  test('denied while the server still exists: the denial is the failure', async () => {
    drs.on(DeleteSourceServerCommand).rejects(denied());
    drs.on(DescribeSourceServersCommand).resolves({ items: [extendedServer()] });
    await expect(removeSourceServer(extendedServer(), steps())).rejects.toThrow(`DeleteSourceServer ${SERVER_ID}: User is not authorized`);
  });

  test('denied, and the look-up fails too: the denial is the failure (nothing is assumed gone)', async () => {
    drs.on(DeleteSourceServerCommand).rejects(denied());
    drs.on(DescribeSourceServersCommand).rejects(errors.named('AccessDeniedException'));
    await expect(removeSourceServer(extendedServer(), steps())).rejects.toThrow(`DeleteSourceServer ${SERVER_ID}: User is not authorized`);
  });
});
