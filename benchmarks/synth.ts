/**
 * Synthesis metrics of one variant at one size: template bytes, resources, Lambda functions and
 * IAM roles per stack, and synthesis time (construction plus `app.synth()`, in this process).
 */
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { buildVariantApp, syntheticEstate, Variant } from './apps';
import { median } from './stats';

/** CloudFormation's per-stack limits (templates uploaded through S3, as the CDK CLI does). */
export const CFN_MAX_RESOURCES = 500;
export const CFN_MAX_TEMPLATE_BYTES = 1_000_000;

export interface SynthMetrics {
  readonly variant: Variant;
  readonly servers: number;
  readonly stacks: number;
  /** All target templates, as written to the cloud assembly. */
  readonly templateBytes: number;
  readonly maxTemplateBytes: number;
  readonly maxResourcesPerStack: number;
  readonly functionsPerStack: number;
  readonly rolesPerStack: number;
  /** Stacks over CloudFormation's resource or template size limit. */
  readonly stacksOverLimits: number;
  readonly synthMs: number;
  readonly synthRuns: number[];
}

export function measureSynth(variant: Variant, servers: number, runs: number, workdir: string): SynthMetrics {
  const estate = syntheticEstate(servers);
  const times: number[] = [];
  let stackStats: StackStats[] = [];
  for (let run = 0; run < runs; run++) {
    const outdir = fs.mkdtempSync(path.join(workdir, `synth-${variant}-${servers}-`));
    const started = performance.now();
    const { app, targetStacks } = buildVariantApp(variant, estate, { outdir });
    const assembly = app.synth();
    times.push(performance.now() - started);
    if (run === 0) {
      stackStats = targetStacks.map((name) => {
        const artifact = assembly.getStackByName(name);
        return statsOf(fs.readFileSync(path.join(outdir, artifact.templateFile)), artifact.template);
      });
    }
    fs.rmSync(outdir, { recursive: true, force: true });
  }
  const max = (f: (s: StackStats) => number) => Math.max(...stackStats.map(f));
  return {
    variant,
    servers,
    stacks: stackStats.length,
    templateBytes: stackStats.reduce((sum, s) => sum + s.bytes, 0),
    maxTemplateBytes: max((s) => s.bytes),
    maxResourcesPerStack: max((s) => s.resources),
    functionsPerStack: max((s) => s.functions),
    rolesPerStack: max((s) => s.roles),
    stacksOverLimits: stackStats.filter((s) => s.resources > CFN_MAX_RESOURCES || s.bytes > CFN_MAX_TEMPLATE_BYTES).length,
    synthMs: median(times),
    synthRuns: times,
  };
}

interface StackStats {
  readonly bytes: number;
  readonly resources: number;
  readonly functions: number;
  readonly roles: number;
}

function statsOf(file: Buffer, template: any): StackStats {
  const types = Object.values<any>(template.Resources ?? {}).map((r) => String(r.Type));
  return {
    bytes: file.length,
    resources: types.length,
    functions: types.filter((t) => t === 'AWS::Lambda::Function').length,
    roles: types.filter((t) => t === 'AWS::IAM::Role').length,
  };
}
