import * as fs from 'fs';
import * as path from 'path';

/** A stack of a cloud assembly, as the lifecycle driver deploys it. */
export interface AssemblyStack {
  readonly stackName: string;
  readonly artifactId: string;
  readonly account: string;
  readonly region: string;
  readonly template: any;
  /** Artifact ids of the stacks this one depends on (deployed first, destroyed last). */
  readonly dependencies: string[];
  /** Asset object key (as it appears in S3Key) → directory of the asset in the assembly. */
  readonly assetDirs: Record<string, string>;
}

/** Reads the stacks of a synthesized cloud assembly (`cdk.out`), with their file assets. */
export function readAssembly(dir: string): AssemblyStack[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  const artifacts: Record<string, any> = manifest.artifacts ?? {};
  const stacks: AssemblyStack[] = [];
  for (const [id, artifact] of Object.entries(artifacts)) {
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    const env = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment ?? '');
    if (!env || !/^[0-9]{12}$/.test(env[1])) {
      throw new Error(`stack ${id} must have an explicit account and region to be deployed locally (got '${artifact.environment}')`);
    }
    const template = JSON.parse(fs.readFileSync(path.join(dir, artifact.properties.templateFile), 'utf8'));
    stacks.push({
      stackName: artifact.properties.stackName ?? artifact.displayName ?? id,
      artifactId: id,
      account: env[1],
      region: env[2],
      template,
      dependencies: (artifact.dependencies ?? []).filter((d: string) => artifacts[d]?.type === 'aws:cloudformation:stack'),
      assetDirs: fileAssets(dir, artifacts, artifact.dependencies ?? []),
    });
  }
  return stacks;
}

function fileAssets(dir: string, artifacts: Record<string, any>, dependencies: string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const dep of dependencies) {
    const artifact = artifacts[dep];
    if (artifact?.type !== 'cdk:asset-manifest') continue;
    const assetManifest = JSON.parse(fs.readFileSync(path.join(dir, artifact.properties.file), 'utf8'));
    for (const asset of Object.values<any>(assetManifest.files ?? {})) {
      if (asset.source?.packaging !== 'zip' && asset.source?.packaging !== 'file') continue;
      for (const destination of Object.values<any>(asset.destinations ?? {})) {
        result[destination.objectKey] = path.join(dir, asset.source.path);
      }
    }
  }
  return result;
}
