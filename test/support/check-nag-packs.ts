/**
 * Runs the five cdk-nag packs over a synthesized cloud assembly (e.g. a CDK CLI cdk.out), the
 * templates only: each stack's template is included into a fresh app (`CfnInclude`, so the
 * resources are the same L1 classes cdk-nag checks), and the acknowledgements the library
 * recorded (`aws:cdk:acknowledged-rules` in the assembly's metadata, per construct path) are put
 * back on the resources below those paths.
 *
 *   npx ts-node --transpile-only test/support/check-nag-packs.ts <cdk.out> [<cdk.out> ...]
 *
 * Prints every acknowledged finding with its reason, then every unacknowledged one, and exits 1
 * when there is any of the latter.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { CfnInclude } from 'aws-cdk-lib/cloudformation-include';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, NagPack, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';

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
    const { open, acknowledged } = checkCloudAssembly(dir);
    const rules = new Set(acknowledged.map((f) => f.rule));
    console.log(`${dir}: ${open.length} unacknowledged finding(s), ${acknowledged.length} acknowledged (${rules.size} distinct rules)`);
    for (const f of acknowledged) console.log(`  acknowledged ${f.stack}/${f.logicalId} ${f.rule}: ${f.reason}`);
    for (const f of open) console.log(`  OPEN ${f.stack}/${f.logicalId} ${f.rule}`);
    openCount += open.length;
  }
  return openCount === 0 ? 0 : 1;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
