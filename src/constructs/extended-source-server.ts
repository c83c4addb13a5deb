import { CustomResource, IResource, RemovalPolicy, Resource, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  ExtendedSourceServerAttributes as Attr,
  ExtendedSourceServerResourceProperties,
  ResourceTypes,
} from '../contract';
import { DrsHandlerProvider } from './handler-provider';
import {
  checkAccountId,
  checkRemovalPolicy,
  checkSourceServerId,
  checkStagingArnAgainstStack,
  checkStagingSourceServerArn,
  checkUserTags,
  stagingAccountOf,
  throwIfProblems,
} from './validation';

/**
 * A DRS source server in this (target) account, extended from a staging account.
 */
export interface IExtendedSourceServer extends IResource {
  /**
   * The id of the source server in this account (`s-...`).
   *
   * @attribute
   */
  readonly sourceServerId: string;

  /**
   * The ARN of the source server in this account.
   *
   * @attribute
   */
  readonly sourceServerArn: string;

  /**
   * The staging account that replicates the server.
   *
   * @default - unknown (imported by id only)
   */
  readonly stagingAccountId?: string;

  /**
   * The ARN of the source server in the staging account.
   *
   * @default - unknown (imported by id only)
   */
  readonly stagingSourceServerArn?: string;

  /**
   * Grants `actions` (for example `drs:StartRecovery`) on this source server to `grantee`.
   */
  grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant;
}

/**
 * Properties for an `ExtendedSourceServer`.
 */
export interface ExtendedSourceServerProps {
  /**
   * The ARN of the source server in the staging account, e.g.
   * `arn:aws:drs:us-east-1:111122223333:source-server/s-1234567890abcdef0`.
   *
   * It must be in this stack's Region and in another account, and the staging account must
   * trust this account (see `StagingAccountTrust`). Changing it replaces the extended server.
   */
  readonly stagingSourceServerArn: string;

  /**
   * Tags for the extended source server.
   *
   * At most 48 (DRS allows 50 per server; the library adds two tags recording the owning stack
   * and resource). Keys must not start with `aws:`.
   *
   * @default - no tags besides the owner tags
   */
  readonly tags?: { [key: string]: string };

  /**
   * What happens to the extended server when it leaves the stack. `DESTROY` disconnects and
   * deletes it in this account (replication in the staging account is not touched); `RETAIN`
   * leaves it in place. `SNAPSHOT` is not supported.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Attributes to import an extended source server defined elsewhere.
 */
export interface ExtendedSourceServerAttributes {
  /**
   * The id of the source server in this account (`s-...`).
   */
  readonly sourceServerId: string;

  /**
   * The ARN of the source server in the staging account.
   *
   * @default - unknown
   */
  readonly stagingSourceServerArn?: string;

  /**
   * The staging account that replicates the server.
   *
   * @default - taken from `stagingSourceServerArn` when that is given, else unknown
   */
  readonly stagingAccountId?: string;
}

abstract class ExtendedSourceServerBase extends Resource implements IExtendedSourceServer {
  public abstract readonly sourceServerId: string;
  public abstract readonly sourceServerArn: string;
  public abstract readonly stagingAccountId?: string;
  public abstract readonly stagingSourceServerArn?: string;

  public grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [this.sourceServerArn] });
  }
}

/**
 * Extends a source server of a staging account into this (target) account, where drills and
 * recoveries can be launched for it.
 *
 * Backed by a custom resource served by one handler function per stack. The handler tags the
 * new server with the owning stack and resource, and only ever disconnects or deletes servers
 * carrying those tags.
 */
export class ExtendedSourceServer extends ExtendedSourceServerBase {
  /**
   * Imports an extended source server by its id in this account.
   */
  public static fromSourceServerId(scope: Construct, id: string, sourceServerId: string): IExtendedSourceServer {
    return ExtendedSourceServer.fromSourceServerAttributes(scope, id, { sourceServerId });
  }

  /**
   * Imports an extended source server from its attributes. Its ARN is built in this stack's
   * partition, Region and account.
   */
  public static fromSourceServerAttributes(scope: Construct, id: string, attrs: ExtendedSourceServerAttributes): IExtendedSourceServer {
    class Import extends ExtendedSourceServerBase {
      public readonly sourceServerId = attrs.sourceServerId;
      public readonly sourceServerArn = Stack.of(scope).formatArn({
        service: 'drs',
        resource: 'source-server',
        resourceName: attrs.sourceServerId,
      });
      public readonly stagingSourceServerArn = attrs.stagingSourceServerArn;
      public readonly stagingAccountId = attrs.stagingAccountId ??
        (attrs.stagingSourceServerArn === undefined ? undefined : stagingAccountOf(attrs.stagingSourceServerArn));
    }
    const imported = new Import(scope, id);
    throwIfProblems('ExtendedSourceServer', imported, [
      ...checkSourceServerId('sourceServerId', attrs.sourceServerId),
      ...(attrs.stagingSourceServerArn === undefined ? [] : checkStagingSourceServerArn('stagingSourceServerArn', attrs.stagingSourceServerArn)),
      ...(attrs.stagingAccountId === undefined ? [] : checkAccountId('stagingAccountId', attrs.stagingAccountId)),
      ...accountMismatch(attrs),
    ]);
    return imported;
  }

  public readonly sourceServerId: string;
  public readonly sourceServerArn: string;
  /**
   * The staging account: taken from `stagingSourceServerArn` at synth when that is not a
   * token, else from the handler at deploy time. Always set (optional only because imported
   * servers may not know it).
   */
  public readonly stagingAccountId?: string;
  /** The staging server's ARN, as given. Always set (optional only as for `stagingAccountId`). */
  public readonly stagingSourceServerArn?: string;

  private readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: ExtendedSourceServerProps) {
    super(scope, id);
    const field = 'stagingSourceServerArn';
    throwIfProblems('ExtendedSourceServer', this, [
      ...checkStagingSourceServerArn(field, props.stagingSourceServerArn),
      ...checkStagingArnAgainstStack(field, props.stagingSourceServerArn, this.stack),
      ...checkUserTags('tags', props.tags),
      ...checkRemovalPolicy('removalPolicy', props.removalPolicy),
    ]);

    const provider = DrsHandlerProvider.getOrCreate(this);
    provider.addStatementsFor(ResourceTypes.EXTENDED_SOURCE_SERVER);

    const properties: ExtendedSourceServerResourceProperties = {
      StagingSourceServerArn: props.stagingSourceServerArn,
      ...(props.tags && Object.keys(props.tags).length > 0 ? { Tags: { ...props.tags } } : {}),
    };
    this.resource = new CustomResource(this, 'Resource', {
      resourceType: ResourceTypes.EXTENDED_SOURCE_SERVER,
      serviceToken: provider.serviceToken,
      properties,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });

    this.sourceServerId = this.resource.getAttString(Attr.SOURCE_SERVER_ID);
    this.sourceServerArn = this.resource.getAttString(Attr.SOURCE_SERVER_ARN);
    this.stagingSourceServerArn = props.stagingSourceServerArn;
    this.stagingAccountId = stagingAccountOf(props.stagingSourceServerArn) ??
      this.resource.getAttString(Attr.STAGING_ACCOUNT_ID);
  }

  /**
   * Applies a removal policy to the extended server (`SNAPSHOT` is not supported).
   */
  public applyRemovalPolicy(policy: RemovalPolicy): void {
    throwIfProblems('ExtendedSourceServer', this, checkRemovalPolicy('removalPolicy', policy));
    this.resource.applyRemovalPolicy(policy);
  }
}

function accountMismatch(attrs: ExtendedSourceServerAttributes): string[] {
  const fromArn = attrs.stagingSourceServerArn === undefined ? undefined : stagingAccountOf(attrs.stagingSourceServerArn);
  const given = attrs.stagingAccountId;
  if (fromArn === undefined || given === undefined || Token.isUnresolved(given) || given === fromArn) return [];
  return [`stagingAccountId '${given}' differs from the account in stagingSourceServerArn ('${fromArn}')`];
}
