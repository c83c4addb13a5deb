/**
 * Runs the five cdk-nag packs, under cdk-nag 3 and cdk-nag 2 (dev dependency `cdk-nag2`), over a synthesized cloud assembly (e.g. a CDK CLI cdk.out), the
 * templates only: each stack's template is included into a fresh app (`CfnInclude`, so the
 * resources are the same L1 classes cdk-nag checks), and the acknowledgements the library
 * recorded (`aws:cdk:acknowledged-rules` in the assembly's metadata, per construct path) are put
 * back on the resources below those paths.
 *
 *   npx ts-node --transpile-only test/support/check-nag-packs.ts <cdk.out> [<cdk.out> ...]
 *
 * Prints every acknowledged finding with its reason, then every unacknowledged one, and exits 1
 * when there is any of the latter (under either major).
 *
 * cdk-nag 2 runs as an Aspect, as apps run it, over the same included templates: it reads the
 * `Metadata.cdk_nag.rules_to_suppress` the library wrote on each resource (src/common/nag.ts), and
 * reports through its loggers (annotations and `<outdir>/*-NagReport.csv`); a logger of ours
 * collects what it reports.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Aspects, DefaultStackSynthesizer, Stack, Validations } from 'aws-cdk-lib';
import { CfnInclude } from 'aws-cdk-lib/cloudformation-include';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, NagPack, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import * as nag2 from 'cdk-nag2';

/** The packs regulated teams run, in cdk-nag 3's names. */
export function allPacks(): NagPack[] {
  return [new AwsSolutionsChecks(), new HIPAASecurityChecks(), new NIST80053R5Checks(), new PCIDSS321Checks(), new ServerlessChecks()];
}

export interface Finding {
  readonly assembly: string;
  readonly stack: string;
  readonly pack: string;
  readonly rule: string;
  /** The resource's logical id in the template. */
  readonly logicalId: string;
  /** The reason, for an acknowledged finding. */
  readonly reason?: string;
}

export interface AssemblyReport {
  readonly open: Finding[];
  readonly acknowledged: Finding[];
}

interface MetadataEntry { readonly type: string; readonly data?: unknown }
interface Manifest {
  readonly artifacts?: Record<string, {
    readonly type: string;
    readonly properties?: { readonly templateFile?: string };
    readonly metadata?: Record<string, MetadataEntry[]>;
  }>;
}

const ACK = Validations.ACKNOWLEDGED_RULES_METADATA_KEY;

/** Checks every stack of the assembly in `dir` under `packs`. */
export function checkCloudAssembly(dir: string, packs: NagPack[] = allPacks()): AssemblyReport {
  const manifest: Manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  const open: Finding[] = [];
  const acknowledged: Finding[] = [];
  for (const [artifactId, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    const metadata = { ...artifact.metadata, ...readMetadataFile(dir, artifactId) };
    const { pathOf, acks } = indexMetadata(metadata);

    const stack = new Stack(new App(), artifactId);
    const include = new CfnInclude(stack, 'Template', { templateFile: path.join(dir, artifact.properties.templateFile) });
    const reasons = new Map<string, Record<string, string>>();
    for (const [logicalId, constructPath] of pathOf) {
      const found: Record<string, string> = {};
      for (const [ackPath, data] of acks) {
        if (constructPath === ackPath || constructPath.startsWith(`${ackPath}/`)) Object.assign(found, data);
      }
      if (Object.keys(found).length === 0) continue;
      let resource;
      try { resource = include.getResource(logicalId); } catch { continue; }
      resource.node.addMetadata(ACK, found);
      reasons.set(logicalId, found);
    }

    for (const pack of packs) {
      for (const v of pack.validateScope(stack).violations) {
        for (const r of v.violatingResources) {
          open.push({ assembly: dir, stack: artifactId, pack: pack.name, rule: v.ruleName, logicalId: (r.constructPath ?? '').split('/').pop()! });
        }
      }
    }
    for (const [logicalId, found] of reasons) {
      for (const [id, reason] of Object.entries(found)) {
        const rule = id.replace(/^annotation::/i, '');
        const pack = packs.find((p) => rule.startsWith(`${p.readPackName}-`));
        if (pack) acknowledged.push({ assembly: dir, stack: artifactId, pack: pack.name, rule, logicalId, reason });
      }
    }
  }
  return { open, acknowledged };
}

/** Collects what cdk-nag 2's packs report, as a finding list. */
export class CdkNag2Findings implements nag2.INagLogger {
  public readonly open: Array<{ pack: string; rule: string; path: string }> = [];
  public readonly acknowledged: Array<{ pack: string; rule: string; path: string; reason: string }> = [];
  public onCompliance(): void {}
  public onNotApplicable(): void {}
  public onNonCompliance(d: nag2.NagLoggerNonComplianceData): void {
    this.open.push({ pack: d.nagPackName, rule: ruleWithFinding(d.ruleId, d.findingId), path: d.resource.node.path });
  }
  public onSuppressed(d: nag2.NagLoggerSuppressedData): void {
    const rule = ruleWithFinding(d.ruleId, d.findingId);
    this.acknowledged.push({ pack: d.nagPackName, rule, path: d.resource.node.path, reason: d.suppressionReason });
  }
  /** A rule that could not be evaluated (e.g. an unresolvable value) is a finding too. */
  public onError(d: nag2.NagLoggerErrorData): void {
    this.open.push({ pack: d.nagPackName, rule: `${d.ruleId} (could not evaluate: ${d.errorMessage})`, path: d.resource.node.path });
  }
  public onSuppressedError(d: nag2.NagLoggerSuppressedErrorData): void {
    this.acknowledged.push({ pack: d.nagPackName, rule: `${d.ruleId} (not evaluated)`, path: d.resource.node.path, reason: d.errorSuppressionReason });
  }
}

function ruleWithFinding(ruleId: string, findingId: string): string {
  return findingId ? `${ruleId}[${findingId}]` : ruleId;
}

/** cdk-nag 2's five packs, each reporting to `logger` (and, as in apps, to annotations and a CSV report). */
export function allPacks2(logger: nag2.INagLogger): nag2.NagPack[] {
  const props: nag2.NagPackProps = { additionalLoggers: [logger], reports: true };
  return [new nag2.AwsSolutionsChecks(props), new nag2.HIPAASecurityChecks(props), new nag2.NIST80053R5Checks(props),
    new nag2.PCIDSS321Checks(props), new nag2.ServerlessChecks(props)];
}

/** Checks every stack of the assembly in `dir` under cdk-nag 2's five packs, run as Aspects. */
export function checkCloudAssemblyNag2(dir: string): AssemblyReport {
  const manifest: Manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  const open: Finding[] = [];
  const acknowledged: Finding[] = [];
  for (const [artifactId, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'drs-nag2-'));
    try {
      const app = new App({ outdir });
      // The included template has the bootstrap version rule already.
      const stack = new Stack(app, artifactId, { synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }) });
      new CfnInclude(stack, 'Template', { templateFile: path.join(dir, artifact.properties.templateFile) });
      const findings = new CdkNag2Findings();
      for (const pack of allPacks2(findings)) Aspects.of(app).add(pack);
      app.synth();
      const logicalId = (p: string) => p.split('/').pop()!;
      for (const f of findings.open) open.push({ assembly: dir, stack: artifactId, pack: f.pack, rule: f.rule, logicalId: logicalId(f.path) });
      for (const f of findings.acknowledged) {
        acknowledged.push({ assembly: dir, stack: artifactId, pack: f.pack, rule: f.rule, logicalId: logicalId(f.path), reason: f.reason });
      }
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  }
  return { open, acknowledged };
}

/** Stack metadata is in the manifest, or (CDK 2.2xx) in `<artifact>.metadata.json` next to it. */
function readMetadataFile(dir: string, artifactId: string): Record<string, MetadataEntry[]> {
  const file = path.join(dir, `${artifactId}.metadata.json`);
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
}

/** Logical id → construct path, and construct path → acknowledged rules with reasons. */
function indexMetadata(metadata: Record<string, MetadataEntry[]>) {
  const pathOf = new Map<string, string>();
  const acks = new Map<string, Record<string, string>>();
  for (const [constructPath, entries] of Object.entries(metadata)) {
    for (const entry of entries) {
      if (entry.type === 'aws:cdk:logicalId' && typeof entry.data === 'string') pathOf.set(entry.data, constructPath);
      if (entry.type === ACK && entry.data) acks.set(constructPath, { ...acks.get(constructPath), ...entry.data as Record<string, string> });
    }
  }
  return { pathOf, acks };
}

function main(dirs: string[]): number {
  if (dirs.length === 0) {
    console.error('usage: check-nag-packs.ts <cdk.out> [<cdk.out> ...]');
    return 2;
  }
  let openCount = 0;
  for (const dir of dirs) {
    for (const [major, check] of [['cdk-nag 3', checkCloudAssembly], ['cdk-nag 2', checkCloudAssemblyNag2]] as const) {
      const { open, acknowledged } = check(dir);
      const rules = new Set(acknowledged.map((f) => f.rule));
      console.log(`${dir} (${major}): ${open.length} unacknowledged finding(s), ${acknowledged.length} acknowledged (${rules.size} distinct rules)`);
      for (const f of acknowledged) console.log(`  acknowledged ${f.stack}/${f.logicalId} ${f.rule}: ${f.reason}`);
      for (const f of open) console.log(`  OPEN ${f.stack}/${f.logicalId} ${f.rule}`);
      openCount += open.length;
    }
  }
  return openCount === 0 ? 0 : 1;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
