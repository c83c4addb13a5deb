/**
 * The first step of `npx projen integ:deploy`: checks, before anything is bundled, synthesized or
 * deployed, that the run names real accounts, a Region and a server (DRS_INTEG_* variables), and
 * that AWS credentials are available to the CDK CLI. Without them it stops with a message that
 * says what to set, instead of deploying the placeholder accounts of the committed snapshot.
 *
 * Credentials are found the way the CDK CLI finds them (the AWS SDK's default chain: environment,
 * AWS_PROFILE / shared files, SSO, process, web identity, container, instance metadata); whether
 * they may deploy to both accounts is for the deployment to tell.
 *
 *   ts-node --project test/tsconfig.json test/integ/preflight.ts
 */
import { DrsClient } from '@aws-sdk/client-drs';
import { Patterns, validateAccountId } from '../../src/contract';

/** The variables a real run needs, with what each one is. */
export const INTEG_VARIABLES: ReadonlyArray<readonly [name: string, meaning: string]> = [
  ['DRS_INTEG_STAGING_ACCOUNT', 'the staging account id (replicates the server)'],
  ['DRS_INTEG_TARGET_ACCOUNT', 'the target account id (receives the extended server)'],
  ['DRS_INTEG_REGION', 'the Region of both accounts\' stacks, e.g. us-east-1'],
  ['DRS_INTEG_SOURCE_SERVER_ID', 'a replicating source server in the staging account, e.g. s-1234567890abcdef0'],
];

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** What is wrong with the DRS_INTEG_* settings in `env` (empty when a real run can start). */
export function checkIntegSettings(env: Record<string, string | undefined>): string[] {
  const missing = INTEG_VARIABLES.filter(([name]) => !env[name]);
  if (missing.length > 0) {
    return [
      `set ${missing.map(([name]) => name).join(', ')} (see the README, "The integration test in your accounts"):`,
      ...missing.map(([name, meaning]) => `  ${name}: ${meaning}`),
    ];
  }
  const [staging, target, region, server] = INTEG_VARIABLES.map(([name]) => env[name]!);
  const problems = [
    ...validateAccountId('DRS_INTEG_STAGING_ACCOUNT', staging),
    ...validateAccountId('DRS_INTEG_TARGET_ACCOUNT', target),
  ];
  if (staging === target) {
    problems.push(`DRS_INTEG_STAGING_ACCOUNT and DRS_INTEG_TARGET_ACCOUNT are both '${staging}': DRS extends servers into another account`);
  }
  if (!REGION.test(region)) problems.push(`DRS_INTEG_REGION must be a Region name like us-east-1, got '${region}'`);
  if (!Patterns.SOURCE_SERVER_ID.test(server)) {
    problems.push(`DRS_INTEG_SOURCE_SERVER_ID must be a DRS source server id like s-1234567890abcdef0 (s- and 17 letters or digits), got '${server}'`);
  }
  return problems;
}

/** Resolves credentials from the default chain; returns the problem, or undefined when found. */
export async function checkCredentials(region: string, timeoutMs = 20_000): Promise<string | undefined> {
  const advice = 'the CDK CLI needs credentials that may deploy to both accounts (trusted by both accounts\' CDK bootstrap: ' +
    'README, "Deploying for real", step 2); set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)';
  const found = process.env.AWS_PROFILE ? `found with AWS_PROFILE=${process.env.AWS_PROFILE}` : 'found';
  const client = new DrsClient({ region });
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer after ${timeoutMs / 1000}s`)), timeoutMs);
    });
    const credentials = await Promise.race([client.config.credentials(), timeout]);
    if (!credentials.accessKeyId) return `no AWS credentials ${found}: ${advice}`;
    if (credentials.expiration && credentials.expiration.getTime() <= Date.now()) {
      return `the AWS credentials expired at ${credentials.expiration.toISOString()}: refresh them (e.g. aws sso login); ${advice}`;
    }
    return undefined;
  } catch (e) {
    return `no AWS credentials ${found} (${(e as Error).message}): ${advice}`;
  } finally {
    clearTimeout(timer);
    client.destroy();
  }
}

async function main(): Promise<number> {
  const stop = (problems: string[]) => {
    console.error(['integ:deploy stopped before deploying anything:', ...problems.map((p) => (p.startsWith('  ') ? p : `- ${p}`))].join('\n'));
    return 1;
  };
  const problems = checkIntegSettings(process.env);
  if (problems.length > 0) return stop(problems);
  const region = process.env.DRS_INTEG_REGION!;
  const credentials = await checkCredentials(region);
  if (credentials) return stop([credentials]);
  console.log(`integ:deploy: staging account ${process.env.DRS_INTEG_STAGING_ACCOUNT}, ` +
    `target account ${process.env.DRS_INTEG_TARGET_ACCOUNT}, Region ${region}, ` +
    `server ${process.env.DRS_INTEG_SOURCE_SERVER_ID}; AWS credentials found`);
  return 0;
}

if (require.main === module) {
  main().then((code) => process.exit(code), (e) => {
    console.error(`integ:deploy preflight failed: ${(e as Error).stack ?? e}`);
    process.exit(1);
  });
}
