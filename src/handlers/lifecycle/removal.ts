/**
 * Removing one owned source server: the one place both lifecycles (ExtendedSourceServer's Delete
 * and cleanup, StagingAccountExtension's removal and pruning) disconnect and delete. Ownership is
 * the caller's business: it only hands over servers it owns.
 */
import { isNotFound } from '../drs/errors';
import { DeleteSourceServerCommand, DisconnectSourceServerCommand, DrsClient, SourceServer } from '../drs/sdk';
import { Logger, silentLogger } from '../log';

/** How the caller runs and reports the DRS calls of a removal. */
export interface RemovalSteps {
  readonly client: DrsClient;
  readonly log?: Logger;
  /** Runs one DRS call with the caller's retry policy. */
  call<T>(operation: string, fn: () => Promise<T>): Promise<T>;
  /** The error to throw when `operation` failed with `err` (translated, or `err` itself for the caller to classify). */
  failure(operation: string, sourceServerId: string, err: unknown): unknown;
  /** The error to throw when the server has a recovery instance (which blocks disconnect and delete). */
  recoveryInstance(sourceServerId: string, recoveryInstanceId: string): unknown;
}

/** `gone` when DRS no longer knew the server at some step. */
export type RemovalResult = 'deleted' | 'gone';

/**
 * Disconnects (unless already disconnected) and deletes a server. Gone at any step counts as
 * done. A recovery instance blocks both, so it is reported before trying.
 */
export async function removeSourceServer(server: SourceServer, steps: RemovalSteps): Promise<RemovalResult> {
  const sourceServerId = server.sourceServerID!;
  const log = steps.log ?? silentLogger;
  if (server.recoveryInstanceId) throw steps.recoveryInstance(sourceServerId, server.recoveryInstanceId);
  const attempt = async (operation: string, fn: () => Promise<unknown>): Promise<boolean> => {
    try {
      await steps.call(operation, fn);
      return true;
    } catch (err) {
      if (isNotFound(err)) {
        log('source server already gone', { operation, sourceServerId });
        return false;
      }
      throw steps.failure(operation, sourceServerId, err);
    }
  };
  if (server.dataReplicationInfo?.dataReplicationState !== 'DISCONNECTED') {
    const present = await attempt('DisconnectSourceServer', () =>
      steps.client.send(new DisconnectSourceServerCommand({ sourceServerID: sourceServerId })));
    if (!present) return 'gone';
  }
  const deleted = await attempt('DeleteSourceServer', () =>
    steps.client.send(new DeleteSourceServerCommand({ sourceServerID: sourceServerId })));
  return deleted ? 'deleted' : 'gone';
}
