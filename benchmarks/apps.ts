/**
 * The three ways to extend N staging servers into one target account that the benchmarks
 * compare, as CDK apps (a staging account replicates at most 300 servers, so 1000 servers take
 * four staging accounts). Each staging account gets its own target stacks, as few as
 * CloudFormation's 500 resources per stack allow: one for (a) and (b), two for (c) above 249
 * servers (a server costs it two resources: the custom resource and its IAM policy).
 *
 * (a) one `ExtendedSourceServer` per server;
 * (b) one `StagingAccountExtension` per staging account (every extensible server);
 * (c) the baseline without this library: one `AwsCustomResource` per server calling
 *     CreateExtendedSourceServer on create and DeleteSourceServer on delete, with the policy
 *     `AwsCustomResourcePolicy.fromSdkCalls` writes, as the aws-cdk-lib documentation shows it.
 */
import { App, Stack } from 'aws-cdk-lib';
import {
  AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId, PhysicalResourceIdReference,
} from 'aws-cdk-lib/custom-resources';
import { ExtendedSourceServer, StagingAccountExtension, StagingAccountTrust } from '../src';
import { Patterns } from '../src/contract';

export type Variant = 'a' | 'b' | 'c';
export const VARIANTS: readonly Variant[] = ['a', 'b', 'c'];

export const VARIANT_NAMES: Record<Variant, string> = {
  a: '(a) ExtendedSourceServer per server',
  b: '(b) StagingAccountExtension per staging account',
  c: '(c) AwsCustomResource per server (baseline)',
};

/** DRS replicates at most 300 servers per account and Region. */
export const SERVERS_PER_STAGING_ACCOUNT = 300;

/** Servers per target stack that stay within 500 resources (CDK refuses more at synth). */
const MAX_SERVERS_PER_STACK: Record<Variant, number> = {
  a: SERVERS_PER_STAGING_ACCOUNT, // 1 resource per server + 4 shared
  b: SERVERS_PER_STAGING_ACCOUNT, // 1 resource per staging account
  c: 249, // 2 resources per server + 2 shared
};
export const REGION = 'us-east-1';
export const TARGET_ACCOUNT = '200000000000';

export interface StagingAccount {
  readonly account: string;
  /** ARNs of its replicating servers. */
  readonly serverArns: string[];
}

/** How many servers each staging account holds: as few accounts as the 300 limit allows, evenly filled. */
export function stagingSplit(servers: number): number[] {
  const accounts = Math.max(1, Math.ceil(servers / SERVERS_PER_STAGING_ACCOUNT));
  return Array.from({ length: accounts }, (_, i) =>
    Math.floor(servers / accounts) + (i < servers % accounts ? 1 : 0));
}

export function stagingAccountId(index: number): string {
  return String(100000000001 + index);
}

/** An estate with made-up server ids (for synthesis only). */
export function syntheticEstate(servers: number): StagingAccount[] {
  return stagingSplit(servers).map((count, a) => {
    const account = stagingAccountId(a);
    return {
      account,
      serverArns: Array.from({ length: count }, (_, i) => {
        const id = `s-${(a * 1000 + i).toString(16).padStart(17, '0')}`;
        if (!Patterns.SOURCE_SERVER_ID.test(id)) throw new Error(`bad generated id ${id}`);
        return `arn:aws:drs:${REGION}:${account}:source-server/${id}`;
      }),
    };
  });
}

export interface BuildOptions {
  readonly outdir: string;
  /** Also a trust stack per staging account (for deploying against the local DRS). @default false */
  readonly withTrust?: boolean;
}

export interface BuiltApp {
  readonly app: App;
  /** Stack names of the target stacks, one per staging account. */
  readonly targetStacks: string[];
  readonly trustStacks: string[];
}

export function buildVariantApp(variant: Variant, estate: readonly StagingAccount[], options: BuildOptions): BuiltApp {
  const app = new App({ outdir: options.outdir, analyticsReporting: false });
  const targetStacks: string[] = [];
  const trustStacks: string[] = [];
  for (const staging of estate) {
    const trust = options.withTrust
      ? new Stack(app, `Staging${staging.account}`, { env: { account: staging.account, region: REGION } })
      : undefined;
    if (trust) {
      new StagingAccountTrust(trust, 'Trust', { targetAccounts: [TARGET_ACCOUNT] });
      trustStacks.push(trust.stackName);
    }
    const parts = chunk(staging.serverArns, MAX_SERVERS_PER_STACK[variant]);
    parts.forEach((serverArns, i) => {
      const id = parts.length === 1 ? `Target${staging.account}` : `Target${staging.account}Part${i + 1}`;
      const target = new Stack(app, id, { env: { account: TARGET_ACCOUNT, region: REGION } });
      targetStacks.push(target.stackName);
      addExtensions(variant, target, { account: staging.account, serverArns });
      if (trust) target.addStackDependency(trust);
    });
  }
  return { app, targetStacks, trustStacks };
}

/** Even parts of at most `size` (at least one part, so (b) gets its stack). */
function chunk<T>(items: readonly T[], size: number): T[][] {
  const parts = Math.max(1, Math.ceil(items.length / size));
  const per = Math.ceil(items.length / parts);
  return Array.from({ length: parts }, (_, i) => items.slice(i * per, (i + 1) * per));
}

function addExtensions(variant: Variant, stack: Stack, staging: StagingAccount): void {
  switch (variant) {
    case 'a':
      staging.serverArns.forEach((stagingSourceServerArn, i) =>
        new ExtendedSourceServer(stack, `Server${i}`, { stagingSourceServerArn }));
      return;
    case 'b':
      new StagingAccountExtension(stack, 'Extension', { stagingAccountId: staging.account });
      return;
    case 'c':
      staging.serverArns.forEach((sourceServerArn, i) => new AwsCustomResource(stack, `Server${i}`, {
        onCreate: {
          service: 'drs',
          action: 'CreateExtendedSourceServer',
          parameters: { sourceServerArn },
          physicalResourceId: PhysicalResourceId.fromResponse('sourceServer.sourceServerID'),
          // The whole server would overflow CloudFormation's 4 KB response limit.
          outputPaths: ['sourceServer.sourceServerID', 'sourceServer.arn'],
        },
        onDelete: {
          service: 'drs',
          action: 'DeleteSourceServer',
          parameters: { sourceServerID: new PhysicalResourceIdReference() },
        },
        policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: AwsCustomResourcePolicy.ANY_RESOURCE }),
        // Lambda's own SDK: no npm install at cold start (and none is possible offline).
        installLatestAwsSdk: false,
      }));
      return;
  }
}
