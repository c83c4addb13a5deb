/**
 * Removing one owned source server: the one place both lifecycles (ExtendedSourceServer's Delete
 * and cleanup, StagingAccountExtension's removal and pruning) disconnect and delete. Ownership is
 * the caller's business: it only hands over servers it owns.
 */
import { errorName, isNotFound } from '../../aws/drs/errors';
import { DeleteSourceServerCommand, DescribeSourceServersCommand, DisconnectSourceServerCommand, DrsClient, SourceServer } from '../../aws/drs/sdk';
import { Logger, silentLogger } from '../../common/runtime/log';

/** How the caller runs and reports the DRS calls of a removal. */
export interface RemovalSteps {
  readonly client: DrsClient;
  readonly log?: Logger;
  /**
   * Shared by the removals of one invocation: once DRS has said in so many words that a server
   * must be disconnected before it is deleted, the other servers are disconnected first (saving a
   * refused delete each). Never set without DRS saying so.
   */
  readonly learned?: RemovalMemo;
  /** Runs one DRS call with the caller's retry policy. */
  call<T>(operation: string, fn: () => Promise<T>): Promise<T>;
  /** The error to throw when `operation` failed with `err` (translated, or `err` itself for the caller to classify). */
  failure(operation: string, sourceServerId: string, err: unknown): unknown;
  /** The error to throw when the server has a recovery instance (which blocks disconnect and delete). */
  recoveryInstance(sourceServerId: string, recoveryInstanceId: string): unknown;
}

export interface RemovalMemo {
  disconnectFirst: boolean;
}

/** A refusal that says, in words, that the server must be disconnected. */
function saysDisconnectFirst(err: unknown): boolean {
  return isDisconnectRequired(err) && /disconnect/i.test((err as Error)?.message ?? '');
}

/** `gone` when DRS no longer knew the server at some step. */
export type RemovalResult = 'deleted' | 'gone';

/**
 * Whether DRS refused a delete because the server must be disconnected first. The documents
 * disagree on whether it ever does for an extended server (the user guide: an extended server can
 * be deleted at any time; the API reference: "The Source Server must be disconnected first"), and
 * neither names the error: a ConflictException, or a ValidationException that mentions
 * disconnecting, is taken as that answer.
 */
export function isDisconnectRequired(err: unknown): boolean {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { name?: string; message?: string };
  if (e.name === 'ConflictException') return !/recovery instance/i.test(e.message ?? '');
  return e.name === 'ValidationException' && /disconnect/i.test(e.message ?? '');
}

/**
 * Whether a refused removal step means the server is gone. ResourceNotFound says so. So does
 * AccessDenied for a server DescribeSourceServers (allowed on `*`) no longer lists: the handler
 * may disconnect and delete only servers carrying its stack's owner tags (`aws:ResourceTag`
 * conditions), and a server that no longer exists has no tags, so a retry of a delete whose
 * response was lost is denied rather than not found. A server still listed was really denied.
 */
async function isGone(err: unknown, sourceServerId: string, steps: RemovalSteps): Promise<boolean> {
  if (isNotFound(err)) return true;
  if (errorName(err) !== 'AccessDeniedException') return false;
  try {
    const out = await steps.call('DescribeSourceServers', () => steps.client.send(
      new DescribeSourceServersCommand({ filters: { sourceServerIDs: [sourceServerId] } })));
    return !(out.items ?? []).some((s) => s.sourceServerID === sourceServerId);
  } catch (describeErr) {
    return isNotFound(describeErr);
  }
}

/**
 * Deletes a server, disconnecting it only when DRS answers that the delete needs a disconnect
 * (a disconnect stops the server's replication, so it is never done unasked). Gone at any step
 * counts as done, also when a step is denied because the server is gone (`isGone`). A recovery
 * instance blocks both, so it is reported before trying.
 */
export async function removeSourceServer(server: SourceServer, steps: RemovalSteps): Promise<RemovalResult> {
  const sourceServerId = server.sourceServerID!;
  const log = steps.log ?? silentLogger;
  if (server.recoveryInstanceId) throw steps.recoveryInstance(sourceServerId, server.recoveryInstanceId);
  const send = (operation: 'DeleteSourceServer' | 'DisconnectSourceServer') => steps.call(operation, () => steps.client.send(
    operation === 'DeleteSourceServer'
      ? new DeleteSourceServerCommand({ sourceServerID: sourceServerId })
      : new DisconnectSourceServerCommand({ sourceServerID: sourceServerId })));
  /** True when the step succeeded, false when the server turned out to be gone. */
  const attempt = async (operation: 'DeleteSourceServer' | 'DisconnectSourceServer'): Promise<boolean> => {
    try {
      await send(operation);
      return true;
    } catch (err) {
      if (await isGone(err, sourceServerId, steps)) {
        log('source server already gone', { operation, sourceServerId, refusal: errorName(err) });
        return false;
      }
      throw steps.failure(operation, sourceServerId, err);
    }
  };

  const disconnected = server.dataReplicationInfo?.dataReplicationState === 'DISCONNECTED';
  if (steps.learned?.disconnectFirst && !disconnected) {
    if (!(await attempt('DisconnectSourceServer'))) return 'gone';
    return (await attempt('DeleteSourceServer')) ? 'deleted' : 'gone';
  }
  try {
    await send('DeleteSourceServer');
    return 'deleted';
  } catch (err) {
    if (await isGone(err, sourceServerId, steps)) {
      log('source server already gone', { operation: 'DeleteSourceServer', sourceServerId, refusal: errorName(err) });
      return 'gone';
    }
    // Already disconnected: the refusal is about something else, and disconnecting cannot help.
    if (!isDisconnectRequired(err) || disconnected) {
      throw steps.failure('DeleteSourceServer', sourceServerId, err);
    }
    log('DRS requires a disconnect before the delete', { sourceServerId, detail: (err as Error).message });
    if (steps.learned && saysDisconnectFirst(err)) steps.learned.disconnectFirst = true;
  }
  if (!(await attempt('DisconnectSourceServer'))) return 'gone';
  return (await attempt('DeleteSourceServer')) ? 'deleted' : 'gone';
}
