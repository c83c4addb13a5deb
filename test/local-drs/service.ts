/**
 * The DRS rules behind the ten implemented operations: authorization, initialization, trust,
 * extension, disconnect/delete, tags and pagination. Operations receive input that already passed
 * the model's validation and return output objects that the transport serializes through the
 * model's output shapes. Every guess at behaviour the model leaves open is listed in README.md.
 */
import type { DataReplicationInfo, SourceServer, StagingArea } from '@aws-sdk/client-drs';
import {
  accessDenied, conflict, DrsError, fieldValidationError, notFound, uninitialized, validationError,
} from './errors';
import { Faults } from './faults';
import { operation, paginators, shape } from './model';
import { AccountState, copy, RegionState, ServerRecord, Store } from './state';
import { TrustEvaluator } from './types';
import { Limits, parseSourceServerArn } from '../../src/contract';

export interface Caller {
  readonly account: string;
  readonly region: string;
}

export interface Quotas {
  /**
   * Replicating (not extended, not disconnected) servers per account and Region; enforced when
   * servers are added with `addReplicatingServer`. @default 300 (the documented DRS quota)
   */
  readonly replicatingServersPerRegion?: number;
  /**
   * Extended servers per target account and Region; CreateExtendedSourceServer answers
   * ServiceQuotaExceededException beyond it. @default 3000 (a guess; see README)
   */
  readonly extendedServersPerRegion?: number;
}

/** Switches for behaviour the model does not pin down (see README). */
export interface Rules {
  /** DeleteSourceServer for an id that does not exist. @default 'ResourceNotFound' */
  readonly deleteMissingServer?: 'ResourceNotFound' | 'succeed';
  /** Which servers DeleteSourceServer requires to be disconnected first. @default 'all' */
  readonly deleteRequiresDisconnect?: 'all' | 'replicatingOnly';
  /**
   * The largest `maxResults` DescribeSourceServers accepts (the model sets none); above it, a
   * ValidationException naming `maxResults`. @default no maximum
   */
  readonly describeMaxResults?: number;
}

export interface ServiceOptions {
  readonly partition: string;
  readonly quotas: Required<Quotas>;
  readonly rules: Required<Omit<Rules, 'describeMaxResults'>> & Pick<Rules, 'describeMaxResults'>;
  readonly now: () => Date;
  readonly seed: number;
}

export const QUOTA_SERVICE_CODE = 'drs';
export const EXTENDED_SERVERS_QUOTA_CODE = 'local-extended-source-servers-per-region';

const NOBODY_TRUSTS: TrustEvaluator = () => ({ trusted: false, reason: 'no trust is configured in the local DRS' });

/** Servers DRS creates instance profiles for during InitializeService. */
const INSTANCE_PROFILES = [
  'AWSElasticDisasterRecoveryReplicationServerRole',
  'AWSElasticDisasterRecoveryConversionServerRole',
  'AWSElasticDisasterRecoveryRecoveryInstanceRole',
];

type Input = Record<string, unknown>;
type Handler = (caller: Caller, input: Input) => unknown;

export class DrsService {
  readonly store: Store;
  trust: TrustEvaluator = NOBODY_TRUSTS;

  /** The implemented operations; any other operation of the model is an unknown operation. */
  readonly handlers: Readonly<Record<string, Handler>> = {
    ListStagingAccounts: (c, i) => this.listStagingAccounts(c, i),
    ListExtensibleSourceServers: (c, i) => this.listExtensibleSourceServers(c, i),
    CreateExtendedSourceServer: (c, i) => this.createExtendedSourceServer(c, i),
    DescribeSourceServers: (c, i) => this.describeSourceServers(c, i),
    DisconnectSourceServer: (c, i) => this.disconnectSourceServer(c, i),
    DeleteSourceServer: (c, i) => this.deleteSourceServer(c, i),
    TagResource: (c, i) => this.tagResource(c, i),
    UntagResource: (c, i) => this.untagResource(c, i),
    ListTagsForResource: (c, i) => this.listTagsForResource(c, i),
    InitializeService: (c) => this.initializeService(c),
    GetLaunchConfiguration: (c, i) => this.getLaunchConfiguration(c, i),
    UpdateLaunchConfiguration: (c, i) => this.updateLaunchConfiguration(c, i),
  };

  constructor(readonly options: ServiceOptions, private readonly faults: Faults) {
    this.store = new Store(options.seed);
  }

  // ---- operations -------------------------------------------------------------------------

  private listStagingAccounts(caller: Caller, input: Input): unknown {
    this.authorize(caller, 'drs:ListStagingAccounts', '*');
    const region = this.initializedRegion(caller);
    const accounts = [...region.stagingAccounts.keys()].sort();
    const page = this.page('ListStagingAccounts', input, accounts, (a) => a);
    return { accounts: page.items.map((accountID) => ({ accountID })), nextToken: page.nextToken };
  }

  private listExtensibleSourceServers(caller: Caller, input: Input): unknown {
    this.authorize(caller, 'drs:ListExtensibleSourceServers', '*');
    this.initializedRegion(caller);
    const staging = input.stagingAccountID as string;
    if (staging === caller.account) {
      throw validationError('stagingAccountID must be another account than the caller', 'other',
        [{ name: 'stagingAccountID', message: 'Cannot list extensible servers of the calling account' }]);
    }
    // Trust is account-wide (one IAM role), so the listing asks once, for any server of the account.
    const wildcard = `arn:${this.options.partition}:drs:${caller.region}:${staging}:source-server/*`;
    const decision = this.propagated(this.trustFor(staging, caller, wildcard), staging, caller);
    if (!decision.trusted) {
      throw accessDenied(caller.account, 'drs:ListExtensibleSourceServers', wildcard, untrustedReason(staging, caller.account, decision.reason));
    }
    const stagingState = this.store.accounts.get(staging);
    const servers = stagingState?.isInitialized(caller.region) ? [...stagingState.region(caller.region).servers.values()] : [];
    const extensible = servers.filter((s) => !s.extension && !s.disconnected && !this.store.extendedInto(s.arn, caller.account));
    const page = this.page('ListExtensibleSourceServers', input, extensible, (s) => s.seq);
    return {
      items: page.items.map((s) => ({ arn: s.arn, hostname: s.sourceProperties.identificationHints?.hostname, tags: { ...s.tags } })),
      nextToken: page.nextToken,
    };
  }

  private createExtendedSourceServer(caller: Caller, input: Input): unknown {
    const stagingArn = input.sourceServerArn as string;
    const tags = (input.tags ?? {}) as Record<string, string>;
    this.checkTags(tags, Object.keys(tags).length);
    const parts = parseSourceServerArn(stagingArn);
    const arnProblem = (message: string) => validationError(message, 'other', [{ name: 'sourceServerArn', message }]);
    if (!parts || parts.partition !== this.options.partition || stagingArn.split(':')[2] !== 'drs') {
      throw arnProblem(`sourceServerArn must be a DRS source server ARN in partition ${this.options.partition}`);
    }
    if (parts.region !== caller.region) {
      throw arnProblem(`sourceServerArn must be in the caller's Region ${caller.region}, got ${parts.region}`);
    }
    if (parts.account === caller.account) {
      throw arnProblem('sourceServerArn must be in a staging account, not in the calling account');
    }

    const newId = this.store.newServerId();
    const newArn = this.arn(caller.account, caller.region, newId);
    this.authorize(caller, 'drs:CreateExtendedSourceServer', '*', requestTagContext(tags));
    if (Object.keys(tags).length > 0) {
      this.authorize(caller, 'drs:TagResource', newArn, { ...requestTagContext(tags), 'drs:CreateAction': 'CreateExtendedSourceServer' });
    }
    const region = this.initializedRegion(caller);

    const decision = this.propagated(this.trustFor(parts.account, caller, stagingArn), parts.account, caller);
    if (!decision.trusted) {
      throw accessDenied(caller.account, 'drs:CreateExtendedSourceServer', stagingArn, untrustedReason(parts.account, caller.account, decision.reason));
    }
    const staging = this.store.byArn.get(stagingArn);
    if (!staging || !this.store.accounts.get(parts.account)!.isInitialized(parts.region)) throw notFound(stagingArn);
    if (staging.extension) throw arnProblem(`Source server ${stagingArn} is itself an extended source server and cannot be extended again`);
    if (staging.disconnected) throw arnProblem(`Source server ${stagingArn} is disconnected and cannot be extended`);
    const existing = this.store.extendedInto(stagingArn, caller.account);
    if (existing) throw arnProblem(`Source server ${stagingArn} is already extended into account ${caller.account} as ${existing}`);
    if (region.extendedCount >= this.options.quotas.extendedServersPerRegion) {
      throw new DrsError('ServiceQuotaExceededException',
        `Account ${caller.account} already has ${region.extendedCount} extended source servers in ${caller.region}; the quota is ${this.options.quotas.extendedServersPerRegion}`,
        { quotaCode: EXTENDED_SERVERS_QUOTA_CODE, serviceCode: QUOTA_SERVICE_CODE, resourceType: 'SOURCE_SERVER' });
    }

    const now = this.now();
    const slow = this.faults.slowExtensionSetting;
    const record: ServerRecord = {
      id: newId,
      arn: newArn,
      account: caller.account,
      region: caller.region,
      seq: this.store.nextSeq(),
      tags: { ...tags },
      disconnected: false,
      lifeCycle: { addedToServiceDateTime: now, lastSeenByServiceDateTime: now },
      sourceProperties: copy(staging.sourceProperties),
      dataReplicationInfo: this.replicationOf(staging),
      agentVersion: staging.agentVersion,
      extension: { stagingAccountID: parts.account, stagingSourceServerArn: stagingArn },
      pendingReads: slow?.describes ?? 0,
      pendingReport: slow?.report,
    };
    this.store.insert(record);
    return { sourceServer: this.view(record, false) };
  }

  private describeSourceServers(caller: Caller, input: Input): unknown {
    this.authorize(caller, 'drs:DescribeSourceServers', '*');
    const region = this.initializedRegion(caller);
    const filters = (input.filters ?? {}) as { sourceServerIDs?: string[]; stagingAccountIDs?: string[]; hardwareId?: string };
    let servers: ServerRecord[];
    if (filters.sourceServerIDs && filters.sourceServerIDs.length > 0) {
      const found = new Set<ServerRecord>();
      for (const id of filters.sourceServerIDs) {
        const s = region.servers.get(id);
        if (s) found.add(s);
      }
      servers = [...found].sort((a, b) => a.seq - b.seq);
    } else {
      servers = [...region.servers.values()];
    }
    if (filters.stagingAccountIDs && filters.stagingAccountIDs.length > 0) {
      const wanted = new Set(filters.stagingAccountIDs);
      servers = servers.filter((s) => s.extension && wanted.has(s.extension.stagingAccountID));
    }
    // Hardware ids are not modelled: a non-empty hardwareId filter matches no server.
    if (filters.hardwareId) servers = [];
    const page = this.page('DescribeSourceServers', input, servers, (s) => s.seq);
    return { items: page.items.map((s) => this.view(s, true)), nextToken: page.nextToken };
  }

  /** The server's launch configuration, made with DRS's defaults on first use (README, guess 68). */
  private launchConfigurationOf(record: ServerRecord): Record<string, unknown> {
    record.launchConfiguration ??= {
      sourceServerID: record.id,
      name: record.sourceProperties.identificationHints?.hostname ?? record.id,
      ec2LaunchTemplateID: `lt-${record.id.slice(2)}`,
      launchDisposition: 'STARTED',
      targetInstanceTypeRightSizingMethod: 'BASIC',
      copyPrivateIp: false,
      copyTags: false,
      licensing: { osByol: false },
      postLaunchEnabled: false,
    };
    return record.launchConfiguration;
  }

  private getLaunchConfiguration(caller: Caller, input: Input): unknown {
    const { record, arn } = this.serverById(caller, input.sourceServerID as string);
    this.authorize(caller, 'drs:GetLaunchConfiguration', arn, resourceTagContext(record?.tags));
    this.initializedRegion(caller);
    if (!record) throw notFound(input.sourceServerID as string);
    return { ...this.launchConfigurationOf(record) };
  }

  private updateLaunchConfiguration(caller: Caller, input: Input): unknown {
    const { record, arn } = this.serverById(caller, input.sourceServerID as string);
    this.authorize(caller, 'drs:UpdateLaunchConfiguration', arn, resourceTagContext(record?.tags));
    this.initializedRegion(caller);
    if (!record) throw notFound(input.sourceServerID as string);
    const config = this.launchConfigurationOf(record);
    for (const key of ['name', 'launchDisposition', 'targetInstanceTypeRightSizingMethod', 'copyPrivateIp', 'copyTags', 'licensing', 'postLaunchEnabled']) {
      if (input[key] !== undefined) config[key] = input[key];
    }
    return { ...config };
  }

  private disconnectSourceServer(caller: Caller, input: Input): unknown {
    const { record, arn } = this.serverById(caller, input.sourceServerID as string);
    this.authorize(caller, 'drs:DisconnectSourceServer', arn, resourceTagContext(record?.tags));
    this.initializedRegion(caller);
    if (!record) throw notFound(input.sourceServerID as string);
    if (record.recoveryInstanceId) {
      throw conflict(record.id, `Source server ${record.id} has recovery instance ${record.recoveryInstanceId}; terminate it before disconnecting`);
    }
    this.store.markDisconnected(record);
    return this.view(record, false);
  }

  private deleteSourceServer(caller: Caller, input: Input): unknown {
    const { record, arn } = this.serverById(caller, input.sourceServerID as string);
    this.authorize(caller, 'drs:DeleteSourceServer', arn, resourceTagContext(record?.tags));
    this.initializedRegion(caller);
    if (!record) {
      if (this.options.rules.deleteMissingServer === 'succeed') return {};
      throw notFound(input.sourceServerID as string);
    }
    const mustDisconnect = this.options.rules.deleteRequiresDisconnect === 'all' || !record.extension;
    if (mustDisconnect && !record.disconnected) {
      throw conflict(record.id, `Source server ${record.id} must be disconnected before it is deleted`);
    }
    if (record.recoveryInstanceId) {
      throw conflict(record.id, `Source server ${record.id} has recovery instance ${record.recoveryInstanceId}`);
    }
    this.store.remove(record);
    return {};
  }

  private tagResource(caller: Caller, input: Input): unknown {
    const arn = input.resourceArn as string;
    const tags = input.tags as Record<string, string>;
    const record = this.serverByArn(caller, arn);
    this.authorize(caller, 'drs:TagResource', arn, { ...resourceTagContext(record?.tags), ...requestTagContext(tags) });
    this.initializedRegion(caller);
    if (!record) throw notFound(arn, 'Resource');
    this.checkTags(tags, Object.keys({ ...record.tags, ...tags }).length);
    Object.assign(record.tags, tags);
    return {};
  }

  private untagResource(caller: Caller, input: Input): unknown {
    const arn = input.resourceArn as string;
    const keys = input.tagKeys as string[];
    const record = this.serverByArn(caller, arn);
    this.authorize(caller, 'drs:UntagResource', arn, { ...resourceTagContext(record?.tags), 'aws:TagKeys': [...keys] });
    this.initializedRegion(caller);
    if (!record) throw notFound(arn, 'Resource');
    const reserved = keys.filter(isReservedKey);
    if (reserved.length > 0) {
      throw fieldValidationError([{ name: 'tagKeys', message: `Keys starting with ${Limits.RESERVED_TAG_PREFIX} are reserved: ${reserved.join(', ')}` }]);
    }
    for (const k of keys) delete record.tags[k];
    return {};
  }

  private listTagsForResource(caller: Caller, input: Input): unknown {
    const arn = input.resourceArn as string;
    // The Service Authorization Reference lists no resource type for ListTagsForResource: `*` only.
    this.authorize(caller, 'drs:ListTagsForResource', '*');
    this.initializedRegion(caller);
    const record = this.serverByArn(caller, arn);
    if (!record) throw notFound(arn, 'Resource');
    return { tags: { ...record.tags } };
  }

  private initializeService(caller: Caller): unknown {
    const p = this.options.partition;
    this.authorize(caller, 'drs:InitializeService', '*');
    this.authorize(caller, 'iam:CreateServiceLinkedRole',
      `arn:${p}:iam::${caller.account}:role/aws-service-role/drs.amazonaws.com/AWSServiceRoleForElasticDisasterRecovery`,
      { 'iam:AWSServiceName': 'drs.amazonaws.com' });
    for (const profile of INSTANCE_PROFILES) {
      const resource = `arn:${p}:iam::${caller.account}:instance-profile/${profile}`;
      for (const action of ['iam:GetInstanceProfile', 'iam:CreateInstanceProfile', 'iam:AddRoleToInstanceProfile']) {
        this.authorize(caller, action, resource);
      }
    }
    this.account(caller.account).initializedRegions.add(caller.region);
    return {};
  }

  // ---- views ------------------------------------------------------------------------------

  /**
   * A server as DescribeSourceServers shows it. Extended servers re-read their staging server
   * (existence and trust) on every view; `consume` counts the read against slow extension.
   */
  view(record: ServerRecord, consume: boolean): SourceServer {
    let stagingArea: StagingArea = { status: 'NOT_EXTENDED' };
    let replication = this.replicationOf(record);
    if (record.extension) {
      const { stagingAccountID, stagingSourceServerArn } = record.extension;
      const base = { stagingAccountID, stagingSourceServerArn };
      const staging = this.store.byArn.get(stagingSourceServerArn);
      const decision = staging ? this.trustFor(stagingAccountID, record, stagingSourceServerArn) : undefined;
      if (!staging) {
        stagingArea = { ...base, status: 'EXTENSION_ERROR', errorMessage: `Staging source server ${stagingSourceServerArn} was not found in account ${stagingAccountID}` };
      } else if (!decision!.trusted) {
        stagingArea = {
          ...base,
          status: 'EXTENSION_ERROR',
          errorMessage: `Cannot read staging source server ${stagingSourceServerArn}: ${untrustedReason(stagingAccountID, record.account, decision!.reason)}`,
        };
      } else {
        stagingArea = { ...base, status: 'EXTENDED' };
        record.dataReplicationInfo = this.replicationOf(staging);
        replication = record.disconnected ? disconnectedReplication() : copy(record.dataReplicationInfo);
        if (record.pendingReads > 0 && !record.disconnected) {
          if (record.pendingReport === 'NOT_EXTENDED') stagingArea = { ...stagingArea, status: 'NOT_EXTENDED' };
          else replication = initiatingReplication(record.lifeCycle.addedToServiceDateTime!);
          if (consume) record.pendingReads -= 1;
        }
      }
    }
    return {
      sourceServerID: record.id,
      arn: record.arn,
      tags: { ...record.tags },
      recoveryInstanceId: record.recoveryInstanceId,
      lastLaunchResult: record.lastLaunchResult ?? 'NOT_STARTED',
      dataReplicationInfo: replication,
      lifeCycle: copy(record.lifeCycle),
      sourceProperties: copy(record.sourceProperties),
      stagingArea,
      replicationDirection: 'FAILOVER',
      agentVersion: record.agentVersion,
    };
  }

  private replicationOf(record: ServerRecord): DataReplicationInfo {
    return record.disconnected ? disconnectedReplication() : copy(record.dataReplicationInfo);
  }

  // ---- helpers ----------------------------------------------------------------------------

  account(account: string): AccountState {
    const a = this.store.accounts.get(account);
    if (!a) throw new Error(`Account ${account} is not registered with the local DRS (call addAccount)`);
    return a;
  }

  arn(account: string, region: string, id: string): string {
    return `arn:${this.options.partition}:drs:${region}:${account}:source-server/${id}`;
  }

  now(): string {
    return this.options.now().toISOString();
  }

  /** @internal (also used by recovery.ts) */
  initializedRegion(caller: Caller): RegionState {
    const account = this.account(caller.account);
    if (!account.isInitialized(caller.region)) throw uninitialized(caller.account, caller.region);
    return account.region(caller.region);
  }

  /** @internal (also used by recovery.ts) */
  authorize(caller: Caller, action: string, resource: string, context: Record<string, string | string[]> = {}): void {
    const authorizer = this.account(caller.account).authorizer;
    if (!authorizer) return;
    const decision = authorizer({ action, resource, account: caller.account, region: caller.region, context });
    if (!decision.allowed) throw accessDenied(caller.account, action, resource, decision.reason);
  }

  /** A trusted decision still denied while the fault says the new staging role propagates. */
  private propagated(decision: ReturnType<TrustEvaluator>, staging: string, caller: Caller): ReturnType<TrustEvaluator> {
    if (!decision.trusted || !this.faults.takePropagationDenial(staging, caller.account, this.options.now().getTime())) return decision;
    return { trusted: false, reason: `the staging role of ${staging} for ${caller.account} was created moments ago and has not propagated yet (fault)` };
  }

  private trustFor(stagingAccount: string, target: Caller, stagingSourceServerArn: string) {
    return this.trust({
      stagingAccount, targetAccount: target.account, region: target.region, partition: this.options.partition, stagingSourceServerArn,
    });
  }

  private serverById(caller: Caller, id: string): { record?: ServerRecord; arn: string } {
    const region = this.account(caller.account).regions.get(caller.region);
    return { record: region?.servers.get(id), arn: this.arn(caller.account, caller.region, id) };
  }

  /** Only source servers of the caller's account and Region are taggable here. */
  private serverByArn(caller: Caller, arn: string): ServerRecord | undefined {
    const record = this.store.byArn.get(arn);
    return record && record.account === caller.account && record.region === caller.region ? record : undefined;
  }

  /** Service-side tag rules (the model bounds lengths only): at most 50 per resource, no `aws:` keys. */
  /** @internal (also used by recovery.ts) */
  checkTags(tags: Record<string, string>, totalAfter: number): void {
    const problems = Object.keys(tags).filter(isReservedKey)
      .map((k) => ({ name: 'tags', message: `Tag key ${k} uses the reserved prefix ${Limits.RESERVED_TAG_PREFIX}` }));
    if (totalAfter > Limits.MAX_TAGS_PER_RESOURCE) {
      problems.push({ name: 'tags', message: `A resource can have at most ${Limits.MAX_TAGS_PER_RESOURCE} tags; this request would leave ${totalAfter}` });
    }
    if (problems.length > 0) throw fieldValidationError(problems);
  }

  /**
   * One page of `items` (sorted by `key`), after the cursor in `nextToken`. Tokens are opaque
   * base64 JSON naming the operation and the last key returned, so they survive deletions.
   */
  page<T>(op: string, input: Input, items: T[], key: (item: T) => number | string): { items: T[]; nextToken?: string } {
    const max = this.options.rules.describeMaxResults;
    if (op === 'DescribeSourceServers' && max !== undefined && typeof input.maxResults === 'number' && input.maxResults > max) {
      throw fieldValidationError([{ name: 'maxResults', message: `Member must have value less than or equal to ${max}` }]);
    }
    const limit = (input.maxResults as number | undefined) ?? defaultPageSize(op);
    let start = 0;
    const token = input.nextToken as string | undefined;
    if (token) {
      const after = decodeToken(op, token);
      let lo = 0;
      let hi = items.length;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        if (key(items[mid]) <= after) lo = mid + 1;
        else hi = mid;
      }
      start = lo;
    }
    const pageItems = items.slice(start, start + limit);
    const more = start + limit < items.length;
    return { items: pageItems, nextToken: more ? encodeToken(op, key(pageItems[pageItems.length - 1])) : undefined };
  }
}

function encodeToken(op: string, after: number | string): string {
  return Buffer.from(JSON.stringify({ o: op, a: after })).toString('base64url');
}

function decodeToken(op: string, token: string): number | string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (parsed.o === op && (typeof parsed.a === 'number' || typeof parsed.a === 'string')) return parsed.a;
  } catch {
    // fall through to the validation error
  }
  throw fieldValidationError([{ name: 'nextToken', message: `Invalid pagination token for ${op}` }]);
}

/** The model's maximum for the operation's page size, or 100 where the model sets none. */
export function defaultPageSize(op: string): number {
  const limitKey = paginators[op].limit_key;
  const input = shape(operation(op).input!.shape);
  return shape(input.members![limitKey].shape).max ?? 100;
}

function isReservedKey(key: string): boolean {
  return key.toLowerCase().startsWith(Limits.RESERVED_TAG_PREFIX);
}

export function requestTagContext(tags: Record<string, string>): Record<string, string | string[]> {
  const context: Record<string, string | string[]> = {};
  const keys = Object.keys(tags);
  if (keys.length === 0) return context;
  for (const k of keys) context[`aws:RequestTag/${k}`] = tags[k];
  context['aws:TagKeys'] = keys;
  return context;
}

export function resourceTagContext(tags: Record<string, string> | undefined): Record<string, string> {
  const context: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags ?? {})) context[`aws:ResourceTag/${k}`] = v;
  return context;
}

function untrustedReason(staging: string, target: string, reason?: string): string {
  return reason ?? `staging account ${staging} does not trust account ${target}`;
}

function disconnectedReplication(): DataReplicationInfo {
  return { dataReplicationState: 'DISCONNECTED' };
}

function initiatingReplication(start: string): DataReplicationInfo {
  return {
    dataReplicationState: 'INITIATING',
    dataReplicationInitiation: { startDateTime: start, steps: [{ name: 'WAIT', status: 'IN_PROGRESS' }] },
  };
}
