import * as fs from 'fs';
import * as path from 'path';
import { App, Aspects, CfnResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { acknowledgeFinding } from '../../src/common/nag';
import { allPacks, allPacks2, CdkNag2Findings, checkCloudAssembly, checkCloudAssemblyNag2 } from '../support/check-nag-packs';
import { tmpOutdirs } from '../support/tmp-outdir';

/**
 * Every example (each folder of examples/ with an app-builder.ts, so new examples are picked up)
 * under the five cdk-nag packs regulated teams run: no unacknowledged finding, every
 * acknowledgement has a reason, and no acknowledgement is stale (each one hides a real finding).
 */

const tmpOutdir = tmpOutdirs('drs-nag-packs-');
const EXAMPLES_DIR = path.join(__dirname, '../../examples');
const ACK = 'aws:cdk:acknowledged-rules';

interface BuiltExample { readonly app: App }
type Builder = (options: { outdir?: string; context?: Record<string, string>; nag?: boolean }) => BuiltExample;

/** Example folders, and context variants that build other stacks. */
const VARIANTS: Record<string, Array<Record<string, string>>> = {
  organization: [{}, { trust: 'stacks' }],
};

const examples = fs.readdirSync(EXAMPLES_DIR)
  .filter((name) => fs.existsSync(path.join(EXAMPLES_DIR, name, 'app-builder.ts')))
  .sort()
  .flatMap((name) => (VARIANTS[name] ?? [{}]).map((context) => ({ name, context })));

function builderOf(name: string): Builder {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(EXAMPLES_DIR, name, 'app-builder')).buildExampleApp;
}

function stacksOf(app: App): Stack[] {
  return app.node.findAll().filter((c): c is Stack => Stack.isStack(c));
}

/** rule id → reason, from the construct metadata below `scope`, and removes it when asked. */
function acknowledgements(scope: IConstruct, remove: boolean): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const c of scope.node.findAll()) {
    for (const m of c.node.metadata.filter((x) => x.type === ACK)) {
      for (const [id, reason] of Object.entries(m.data as Record<string, string>)) {
        const rule = id.replace(/^annotation::/i, '');
        found.set(rule, [...found.get(rule) ?? [], `${c.node.path}: ${reason}`]);
      }
    }
    if (remove) (c.node as unknown as { _metadata: unknown[] })._metadata = c.node.metadata.filter((x) => x.type !== ACK);
  }
  return found;
}

function describe_(name: string, context: Record<string, string>): string {
  return Object.keys(context).length === 0 ? name : `${name} (${Object.entries(context).map(([k, v]) => `${k}=${v}`).join(', ')})`;
}

describe('cdk-nag packs on every example', () => {
  test('the examples folder is found and has the known examples', () => {
    expect(examples.map((e) => e.name)).toEqual(expect.arrayContaining(['basic', 'operations', 'organization']));
  });

  describe.each(examples.map((e) => [describe_(e.name, e.context), e] as const))('%s', (_label, { name, context }) => {
    const outdir = tmpOutdir();
    let built: BuiltExample;
    beforeAll(() => {
      built = builderOf(name)({ outdir, nag: false, context });
      built.app.synth();
    });

    test.each(allPacks().map((p) => [p.readPackName, p] as const))('%s: no unacknowledged finding; acknowledgements have reasons', (packName, pack) => {
      const open = stacksOf(built.app).flatMap((s) => pack.validateScope(s).violations
        .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`)));
      expect(open).toEqual([]);
      const acked = [...acknowledgements(built.app, false)].filter(([rule]) => rule.startsWith(`${packName}-`));
      for (const [, reasons] of acked) for (const reason of reasons) expect(reason.split(': ').slice(1).join(': ').length).toBeGreaterThan(40);
      // The note on the pack: what is acknowledged, with its reason.
      console.log(`${describe_(name, context)} / ${packName}: ${acked.length} acknowledged rule(s)\n` +
        acked.map(([rule, reasons]) => `  ${rule} (${reasons.length}x): ${reasons[0].split(': ').slice(1).join(': ')}`).join('\n'));
    });

    test('with the acknowledgements removed, each pack finds exactly the acknowledged rules (none is stale)', () => {
      const fresh = builderOf(name)({ outdir: tmpOutdir(), nag: false, context });
      fresh.app.synth();
      const acked = new Set(acknowledgements(fresh.app, true).keys());
      const raw = new Set(allPacks().flatMap((pack) => stacksOf(fresh.app).flatMap((s) => pack.validateScope(s).violations.map((v) => v.ruleName))));
      const ackedInPacks = [...acked].filter((rule) => allPacks().some((p) => rule.startsWith(`${p.readPackName}-`)));
      expect([...raw].sort()).toEqual(ackedInPacks.sort());
    });

    test('the cloud assembly check (for a CLI cdk.out) agrees: no unacknowledged finding', () => {
      const report = checkCloudAssembly(outdir);
      expect(report.open).toEqual([]);
      expect(report.acknowledged.length).toBeGreaterThan(0);
    });

    test('cdk-nag 2: the five packs as Aspects on the app (as most apps run them): no unacknowledged finding', () => {
      const fresh = builderOf(name)({ outdir: tmpOutdir(), nag: false, context });
      const findings = new CdkNag2Findings();
      for (const pack of allPacks2(findings)) Aspects.of(fresh.app).add(pack);
      fresh.app.synth();
      expect(findings.open.map((f) => `${f.rule} at ${f.path}`)).toEqual([]);
      expect(findings.acknowledged.length).toBeGreaterThan(0);
      // The same acknowledgements as under cdk-nag 3 (the cloud assembly check's, over the same app).
      const acked3 = new Set(checkCloudAssembly(outdir).acknowledged.map((f) => f.rule));
      for (const f of findings.acknowledged) expect(acked3).toContain(f.rule);
    });

    test('cdk-nag 2 over the cloud assembly (for a CLI cdk.out): no unacknowledged finding', () => {
      const report = checkCloudAssemblyNag2(outdir);
      expect(report.open).toEqual([]);
      expect(report.acknowledged.length).toBeGreaterThan(0);
    });
  });
});

describe('the cloud assembly check', () => {
  test('reports an unacknowledged finding, naming the stack, rule and resource', () => {
    const outdir = tmpOutdir();
    const built = builderOf('basic')({ outdir, nag: false });
    const target = stacksOf(built.app).find((s) => s.stackName === 'TargetStack')!;
    new iam.Role(target, 'Unreviewed', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AdministratorAccess')],
    });
    built.app.synth();
    const open = checkCloudAssembly(outdir).open.map((f) => `${f.stack} ${f.pack} ${f.rule} ${f.logicalId}`);
    expect(open).toEqual(['TargetStack AwsSolutions AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AdministratorAccess] Unreviewed2A1FD0C8']);
    const open2 = checkCloudAssemblyNag2(outdir).open.map((f) => `${f.stack} ${f.pack} ${f.rule} ${f.logicalId}`);
    expect(open2).toEqual(['TargetStack AwsSolutions AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AdministratorAccess] Unreviewed2A1FD0C8']);
  });
});

describe('acknowledgements in cdk-nag 2\'s form (its NagSuppressions metadata)', () => {
  test('a rule, and a finding of a rule (applies_to), on every resource below the scope, also those added later', () => {
    const stack = new Stack(new App(), 'S');
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    acknowledgeFinding(role, 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::b/*]', 'Objects of the one bucket this role reads.');
    acknowledgeFinding(role, 'Serverless-Rule', 'A reason beyond Latin-1 — encoded as cdk-nag 2 does.');
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
    const assembly = (stack.node.root as App).synth();
    const resources = assembly.getStackByName('S').template.Resources as Record<string, { Type: string; Metadata?: { cdk_nag?: unknown } }>;
    const expected = {
      rules_to_suppress: [
        { id: 'AwsSolutions-IAM5', reason: 'Objects of the one bucket this role reads.', applies_to: ['Resource::arn:<AWS::Partition>:s3:::b/*'] },
        { id: 'Serverless-Rule', reason: Buffer.from('A reason beyond Latin-1 — encoded as cdk-nag 2 does.').toString('base64'), is_reason_encoded: true },
      ],
    };
    const byType = Object.fromEntries(Object.values(resources).map((r) => [r.Type, r.Metadata?.cdk_nag]));
    expect(byType['AWS::IAM::Role']).toEqual(expected);
    // The default policy was added after the acknowledgement.
    expect(byType['AWS::IAM::Policy']).toEqual(expected);
    expect(role.node.defaultChild).toBeInstanceOf(CfnResource);
  });
});
