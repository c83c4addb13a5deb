/**
 * A local AWS Elastic Disaster Recovery endpoint for tests: an in-process HTTP server on a free
 * loopback port that speaks DRS's restJson1 protocol, validates requests against the DRS model,
 * keeps several accounts apart by access key id, and injects faults on demand. Point
 * `@aws-sdk/client-drs` (or `aws --endpoint-url`) at `endpoint`.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import type { SourceServer } from '@aws-sdk/client-drs';
import { Clock, ClockMode } from './clock';
import { DrsError, fieldValidationError, validationError } from './errors';
import { route, shape } from './model';
import { errorResponse, parseAuthorization, readInput, serialize, successResponse, WireResponse } from './protocol';
import { Recovery } from './recovery';
import { DrsFaults } from './recovery-faults';
import { Caller, DrsService, Quotas, Rules } from './service';
import { AccountState, ServerRecord } from './state';
import { Authorizer, CallRecord, LocalCredentials, TrustEvaluator } from './types';
import { validateShape } from './validate';
import { Limits, Patterns, validateAccountId } from '../../src/contract';

export * from './types';
export { Faults } from './faults';
export type { ThrottleOptions, InternalErrorOptions, SlowExtensionOptions, AfterSuccessHook, RolePropagationOptions } from './faults';
export type { Quotas, Rules } from './service';
export { seedServers } from './seed';
export { DrsFaults } from './recovery-faults';
export type { FailLaunchOptions } from './recovery-faults';
export { Recovery, QuotaCodes } from './recovery';
export type { RecoverySettings } from './recovery';
export type { ClockMode } from './clock';
export type { SeedOptions, SeededServer } from './seed';

export interface LocalDrsOptions {
  /** @default 'aws' */
  readonly partition?: string;
  readonly quotas?: Quotas;
  readonly rules?: Rules;
  /** Real-time source for timestamps in responses. @default () => new Date() */
  readonly now?: () => Date;
  /**
   * `real`: the clock follows `now` (plus any `advanceTime`); `manual`: it stands still at
   * `startTime` until a test calls `advanceTime`. Recovery jobs progress on this clock.
   * @default 'real'
   */
  readonly clock?: ClockMode;
  /** Where a manual clock starts. @default now() */
  readonly startTime?: Date;
  /** Seed for generated ids (servers, instances, request ids). @default 1 */
  readonly seed?: number;
}

export interface AddAccountOptions {
  /**
   * Whether DRS is initialized in every Region of the account. When false, only InitializeService
   * works until it is called (per Region). @default true
   */
  readonly initialized?: boolean;
}

export interface ReplicatingServerOptions {
  /** @default `host-<id>` */
  readonly hostname?: string;
  readonly tags?: Record<string, string>;
  /** A fixed id (must match `s-` + 17 alphanumerics and be unused), e.g. for ARNs embedded in an example. */
  readonly sourceServerID?: string;
}

export interface ServerRef {
  readonly sourceServerID: string;
  readonly arn: string;
}

/** What a `DrsClient` needs to talk to the local DRS as `account` in `region`. */
export interface LocalClientConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: LocalCredentials;
}

export class LocalDrs {
  static async start(options: LocalDrsOptions = {}): Promise<LocalDrs> {
    const drs = new LocalDrs(options);
    await new Promise<void>((resolve, reject) => {
      drs.server.once('error', reject);
      drs.server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = drs.server.address() as AddressInfo;
    drs.endpoint = `http://127.0.0.1:${port}`;
    return drs;
  }

  /** `http://127.0.0.1:<port>`. */
  endpoint = '';
  /** Every request answered (or dropped by a fault), in order. */
  readonly calls: CallRecord[] = [];
  readonly faults = new DrsFaults();
  /** Jobs and recovery instances: `recovery.configure({ startSeconds, launchSeconds, ... })`. */
  readonly recovery: Recovery;
  /**
   * Errors raised outside any response: thrown by `faults.afterSuccess` hooks, or a connection
   * that broke while a request was read or answered. Tests can assert it stays empty.
   */
  readonly hookErrors: unknown[] = [];
  private readonly service: DrsService;
  private readonly server: http.Server;
  private readonly clock: Clock;

  private constructor(options: LocalDrsOptions) {
    this.clock = new Clock(options.clock ?? 'real', options.now ?? (() => new Date()), options.startTime);
    this.service = new DrsService({
      partition: options.partition ?? 'aws',
      quotas: {
        replicatingServersPerRegion: options.quotas?.replicatingServersPerRegion ?? 300,
        extendedServersPerRegion: options.quotas?.extendedServersPerRegion ?? 3000,
      },
      rules: {
        deleteMissingServer: options.rules?.deleteMissingServer ?? 'ResourceNotFound',
        deleteRequiresDisconnect: options.rules?.deleteRequiresDisconnect ?? 'all',
        ...(options.rules?.describeMaxResults !== undefined ? { describeMaxResults: options.rules.describeMaxResults } : {}),
      },
      now: () => this.clock.now(),
      seed: options.seed ?? 1,
    }, this.faults);
    this.recovery = new Recovery(this.service, this.faults, () => this.clock.nowMs());
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        // The connection broke (request unreadable or response unwritable): nobody to answer.
        this.hookErrors.push(e);
      });
    });
    // Clients keep connections alive and reuse them. Node closes an idle one after 5 s, and a
    // request sent on it just then fails with ECONNRESET (seen in CI: a test's first call after
    // a drill of more than 5 s). Idle connections stay open for the life of a test instead;
    // stop() closes them all.
    this.server.keepAliveTimeout = 10 * 60_000;
    this.server.headersTimeout = 10 * 60_000 + 1_000;
  }

  /** The local DRS's clock (real time unless started with `clock: 'manual'`). */
  now(): Date {
    return this.clock.now();
  }

  /** Moves the clock forward by `ms` and applies every job step that became due. */
  advanceTime(ms: number): void {
    this.clock.advance(ms);
    this.recovery.tick();
  }

  get partition(): string {
    return this.service.options.partition;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Registers an account (idempotent); the returned credentials identify it. */
  addAccount(account: string, options: AddAccountOptions = {}): LocalCredentials {
    const problems = validateAccountId('account', account);
    if (problems.length > 0) throw new Error(problems.join('; '));
    const store = this.service.store;
    let state = store.accounts.get(account);
    if (!state) {
      // AKIA + account + DRS0: 20 characters like a real key, and readable in call records.
      const credentials = { accessKeyId: `AKIA${account}DRS0`, secretAccessKey: `local-drs-secret-${account}` };
      state = new AccountState(account, credentials, options.initialized ?? true);
      store.accounts.set(account, state);
      store.byAccessKey.set(credentials.accessKeyId, state);
    } else if (options.initialized !== undefined) {
      state.initializedEverywhere = options.initialized;
      if (!options.initialized) state.initializedRegions.clear();
    }
    return state.credentials;
  }

  credentialsFor(account: string): LocalCredentials {
    return this.service.account(account).credentials;
  }

  /** Endpoint, Region and credentials for `new DrsClient(...)`. */
  clientConfig(account: string, region: string): LocalClientConfig {
    return { endpoint: this.endpoint, region, credentials: this.credentialsFor(account) };
  }

  /** A server replicating in `account` (stagingArea NOT_EXTENDED, data replication CONTINUOUS). */
  addReplicatingServer(account: string, region: string, options: ReplicatingServerOptions = {}): ServerRef {
    const state = this.service.account(account);
    if (!state.isInitialized(region)) throw new Error(`DRS is not initialized in ${account} ${region}: servers cannot replicate there`);
    const store = this.service.store;
    const regionState = state.region(region);
    const quota = this.service.options.quotas.replicatingServersPerRegion;
    if (regionState.replicatingCount >= quota) {
      throw new Error(`${account} already replicates ${regionState.replicatingCount} servers in ${region}; the quota is ${quota} (raise quotas.replicatingServersPerRegion)`);
    }
    let id = options.sourceServerID;
    if (id !== undefined) {
      if (!Patterns.SOURCE_SERVER_ID.test(id)) throw new Error(`sourceServerID ${id} must match ${Patterns.SOURCE_SERVER_ID}`);
      if (store.isIdTaken(id)) throw new Error(`sourceServerID ${id} is already in use`);
    } else {
      id = store.newServerId();
    }
    const tags = { ...options.tags };
    if (Object.keys(tags).length > Limits.MAX_TAGS_PER_RESOURCE) throw new Error(`At most ${Limits.MAX_TAGS_PER_RESOURCE} tags per server`);
    const record = this.newReplicatingRecord(account, region, id, options.hostname ?? `host-${id}`, tags);
    store.insert(record);
    return { sourceServerID: record.id, arn: record.arn };
  }

  /** A recovery instance (drill or recovery) launched for a server; returns its `i-` id. */
  addRecoveryInstance(account: string, region: string, sourceServerID: string): string {
    this.recovery.tick();
    return this.recovery.addInstance(this.server_(account, region, sourceServerID), true);
  }

  removeRecoveryInstance(account: string, region: string, sourceServerID: string): void {
    this.recovery.tick();
    this.recovery.removeInstance(this.server_(account, region, sourceServerID));
  }

  /** A person deleting a server by hand (no authorization, no rules). */
  removeServerByHand(account: string, region: string, sourceServerID: string): void {
    this.service.store.remove(this.server_(account, region, sourceServerID));
  }

  /** Who trusts whom; consulted on CreateExtendedSourceServer, ListExtensibleSourceServers and every read of an extended server. */
  setTrustEvaluator(evaluator: TrustEvaluator): void {
    this.service.trust = evaluator;
  }

  /** The caller's IAM policies in `account`; undefined allows everything. */
  setAuthorizer(account: string, authorizer: Authorizer | undefined): void {
    this.service.account(account).authorizer = authorizer;
  }

  /**
   * Deep copies of the servers of `account` in `region`, as DescribeSourceServers would show them
   * (trust is evaluated; slow-extension reads are not consumed).
   */
  inventory(account: string, region: string): SourceServer[] {
    this.recovery.tick();
    const servers = this.service.account(account).regions.get(region)?.servers.values() ?? [];
    return [...servers].map((s) => serialize('SourceServer', this.service.view(s, false)) as SourceServer);
  }

  private server_(account: string, region: string, id: string): ServerRecord {
    const record = this.service.account(account).regions.get(region)?.servers.get(id);
    if (!record) throw new Error(`No source server ${id} in ${account} ${region}`);
    return record;
  }

  private newReplicatingRecord(account: string, region: string, id: string, hostname: string, tags: Record<string, string>): ServerRecord {
    const store = this.service.store;
    const now = this.service.now();
    const seq = store.nextSeq();
    const disk = { deviceName: '/dev/xvda', bytes: 8 * 1024 ** 3 };
    const zone = `${region}a`;
    const zoneIsValid = new RegExp(shape('AwsAvailabilityZone').pattern!, 'u').test(zone);
    return {
      id,
      arn: this.service.arn(account, region, id),
      account,
      region,
      seq,
      tags,
      disconnected: false,
      lifeCycle: { addedToServiceDateTime: now, firstByteDateTime: now, elapsedReplicationDuration: 'PT1H', lastSeenByServiceDateTime: now },
      sourceProperties: {
        lastUpdatedDateTime: now,
        recommendedInstanceType: 't3.medium',
        identificationHints: { hostname, fqdn: `${hostname}.example.internal` },
        networkInterfaces: [{
          macAddress: `02:00:${store.hex(2)}:${store.hex(2)}:${store.hex(2)}:${store.hex(2)}`,
          ips: [`10.0.${Math.floor(seq / 250) % 250}.${(seq % 250) + 1}`],
          isPrimary: true,
        }],
        disks: [disk],
        cpus: [{ cores: 2, modelName: 'Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz' }],
        ramBytes: 4 * 1024 ** 3,
        os: { fullString: 'Amazon Linux 2023' },
      },
      dataReplicationInfo: {
        dataReplicationState: 'CONTINUOUS',
        lagDuration: 'PT0S',
        replicatedDisks: [{
          deviceName: disk.deviceName,
          totalStorageBytes: disk.bytes,
          replicatedStorageBytes: disk.bytes,
          rescannedStorageBytes: 0,
          backloggedStorageBytes: 0,
        }],
        ...(zoneIsValid ? { stagingAvailabilityZone: zone } : {}),
      },
      agentVersion: '4.5.0',
      pendingReads: 0,
    };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');

    let operation = 'Unknown';
    let caller: Caller = { account: '', region: '' };
    let injected = false;
    let wire: WireResponse;
    try {
      const scope = parseAuthorization(req.headers.authorization);
      const account = this.service.store.byAccessKey.get(scope.accessKeyId);
      if (!account) {
        throw new DrsError('UnrecognizedClientException', `The security token included in the request is invalid (unknown access key ${scope.accessKeyId}).`, {}, 403);
      }
      caller = { account: account.account, region: scope.region };
      const url = new URL(req.url ?? '/', 'http://local');
      let match;
      try {
        match = route(req.method ?? 'GET', url.pathname);
      } catch {
        throw validationError('The request path is not validly percent-encoded', 'cannotParse');
      }
      if (!match) {
        throw new DrsError('UnknownOperationException', `No DRS operation answers ${req.method} ${url.pathname}`, {}, 404);
      }
      operation = match.operation.name;
      const handler = this.service.handlers[operation] ?? this.recovery.handlers[operation];
      if (!handler) throw validationError(`Operation ${operation} is not implemented by the local DRS`, 'unknownOperation');

      const latency = this.faults.latencyFor(operation);
      if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
      const throttle = this.faults.takeThrottle(operation);
      if (throttle !== undefined) {
        injected = true;
        throw new DrsError('ThrottlingException', 'Rate exceeded (injected by the local DRS)', { retryAfterSeconds: String(throttle) });
      }
      const internal = this.faults.takeInternalError(operation);
      if (internal !== undefined) {
        injected = true;
        throw new DrsError('InternalServerException', 'Internal error (injected by the local DRS)', { retryAfterSeconds: internal });
      }

      this.recovery.tick();
      const input = readInput(match.operation, match.labels, url.searchParams, req.headers, body);
      const problems = match.operation.input ? validateShape(match.operation.input.shape, input, '') : [];
      if (problems.length > 0) throw fieldValidationError(problems);
      wire = successResponse(match.operation, handler(caller, input));

      if (this.faults.takeLostResponse(operation)) {
        this.calls.push({ operation, ...caller, status: wire.status, injected: true, lost: true });
        req.socket.destroy();
        return;
      }
    } catch (e) {
      wire = errorResponse(e instanceof DrsError ? e
        : new DrsError('InternalServerException', `Local DRS bug: ${(e as Error).stack ?? e}`));
    }

    const call: CallRecord = {
      operation,
      ...caller,
      status: wire.status,
      ...(wire.status >= 300 ? { errorType: wire.headers['x-amzn-errortype'] } : {}),
      ...(injected ? { injected } : {}),
    };
    this.calls.push(call);
    res.writeHead(wire.status, {
      ...wire.headers,
      'x-amzn-requestid': this.service.store.hex(32),
      'content-length': String(wire.body === undefined ? 0 : Buffer.byteLength(wire.body)),
    });
    const afterWrite = () => {
      if (wire.status >= 300) return;
      for (const hook of this.faults.hooksFor(operation)) {
        try {
          hook(call);
        } catch (e) {
          this.hookErrors.push(e);
        }
      }
    };
    if (wire.body === undefined) res.end(afterWrite);
    else res.end(wire.body, afterWrite);
  }
}
