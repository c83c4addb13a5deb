/**
 * The local DRS's data: accounts, their servers per Region, and the indexes that keep every call
 * O(page) or O(servers in one Region) at worst: by access key, by ARN, by id, and which staging
 * servers are extended into which target accounts.
 */
import type { DataReplicationInfo, LifeCycle, SourceProperties } from '@aws-sdk/client-drs';
import { SeededRandom } from './faults';
import { Authorizer, LocalCredentials } from './types';

export interface Extension {
  readonly stagingAccountID: string;
  readonly stagingSourceServerArn: string;
}

export interface ServerRecord {
  readonly id: string;
  readonly arn: string;
  readonly account: string;
  readonly region: string;
  /** Creation order across the whole store: the pagination cursor. */
  readonly seq: number;
  tags: Record<string, string>;
  recoveryInstanceId?: string;
  /** Set by recovery jobs (recovery.ts); NOT_STARTED until the first launch. */
  lastLaunchResult?: 'PENDING' | 'SUCCEEDED' | 'FAILED';
  disconnected: boolean;
  readonly lifeCycle: LifeCycle;
  readonly sourceProperties: SourceProperties;
  /** Replicating servers: their replication. Extended servers: the last replication read from the staging server. */
  dataReplicationInfo: DataReplicationInfo;
  readonly agentVersion?: string;
  /** Set for extended servers. */
  readonly extension?: Extension;
  /** Slow extension: reads left before the server looks finished, and how unfinished looks. */
  pendingReads: number;
  pendingReport?: 'INITIATING' | 'NOT_EXTENDED';
  /** The DRS launch configuration (Get/UpdateLaunchConfiguration); made on first read with DRS's defaults (README, guess 68). */
  launchConfiguration?: Record<string, unknown>;
}

export class RegionState {
  /** Insertion order is creation order (ids are never re-inserted), so iteration is sorted by seq. */
  readonly servers = new Map<string, ServerRecord>();
  /** Staging account id -> number of extended servers from it (ListStagingAccounts). */
  readonly stagingAccounts = new Map<string, number>();
  extendedCount = 0;
  replicatingCount = 0;
}

export class AccountState {
  readonly regions = new Map<string, RegionState>();
  readonly initializedRegions = new Set<string>();
  initializedEverywhere: boolean;
  authorizer?: Authorizer;

  constructor(readonly account: string, readonly credentials: LocalCredentials, initialized: boolean) {
    this.initializedEverywhere = initialized;
  }

  isInitialized(region: string): boolean {
    return this.initializedEverywhere || this.initializedRegions.has(region);
  }

  region(region: string): RegionState {
    let r = this.regions.get(region);
    if (!r) {
      r = new RegionState();
      this.regions.set(region, r);
    }
    return r;
  }
}

export class Store {
  readonly accounts = new Map<string, AccountState>();
  readonly byAccessKey = new Map<string, AccountState>();
  readonly byArn = new Map<string, ServerRecord>();
  /** Staging server ARN -> target account -> extended server ARN. Outlives the staging server. */
  readonly extensions = new Map<string, Map<string, string>>();
  private readonly ids = new Set<string>();
  private readonly random: SeededRandom;
  private seq = 0;

  constructor(seed: number) {
    this.random = new SeededRandom(seed);
  }

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  /** `s-` + 17 hex characters, unique in the store. */
  newServerId(): string {
    for (;;) {
      const id = `s-${this.hex(17)}`;
      if (!this.ids.has(id)) return id;
    }
  }

  isIdTaken(id: string): boolean {
    return this.ids.has(id);
  }

  newInstanceId(): string {
    return `i-${this.hex(17)}`;
  }

  hex(length: number): string {
    let s = '';
    while (s.length < length) s += Math.floor(this.random.next() * 16).toString(16);
    return s;
  }

  insert(record: ServerRecord): void {
    const account = this.accounts.get(record.account)!;
    const region = account.region(record.region);
    region.servers.set(record.id, record);
    this.byArn.set(record.arn, record);
    this.ids.add(record.id);
    if (record.extension) {
      region.extendedCount += 1;
      const { stagingAccountID, stagingSourceServerArn } = record.extension;
      region.stagingAccounts.set(stagingAccountID, (region.stagingAccounts.get(stagingAccountID) ?? 0) + 1);
      let targets = this.extensions.get(stagingSourceServerArn);
      if (!targets) {
        targets = new Map();
        this.extensions.set(stagingSourceServerArn, targets);
      }
      targets.set(record.account, record.arn);
    } else if (!record.disconnected) {
      region.replicatingCount += 1;
    }
  }

  remove(record: ServerRecord): void {
    const region = this.accounts.get(record.account)!.region(record.region);
    if (!region.servers.delete(record.id)) return;
    this.byArn.delete(record.arn);
    this.ids.delete(record.id);
    if (record.extension) {
      region.extendedCount -= 1;
      const { stagingAccountID, stagingSourceServerArn } = record.extension;
      const n = (region.stagingAccounts.get(stagingAccountID) ?? 1) - 1;
      if (n > 0) region.stagingAccounts.set(stagingAccountID, n);
      else region.stagingAccounts.delete(stagingAccountID);
      const targets = this.extensions.get(stagingSourceServerArn);
      targets?.delete(record.account);
      if (targets?.size === 0) this.extensions.delete(stagingSourceServerArn);
    } else if (!record.disconnected) {
      region.replicatingCount -= 1;
    }
  }

  markDisconnected(record: ServerRecord): void {
    if (record.disconnected) return;
    record.disconnected = true;
    if (!record.extension) this.accounts.get(record.account)!.region(record.region).replicatingCount -= 1;
  }

  /** The extended server of `stagingArn` in `targetAccount`, if any. */
  extendedInto(stagingArn: string, targetAccount: string): string | undefined {
    return this.extensions.get(stagingArn)?.get(targetAccount);
  }
}

/** Deep copy of plain JSON data (records never hold anything else). */
export function copy<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}
