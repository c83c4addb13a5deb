/**
 * The per-server declarations of a stack, for the StagingAccountExtensions of the same stack
 * (their `PerServerDeclarations` property, docs/ownership.md): every ExtendedSourceServer records
 * its staging server and tags here; an extension reads them lazily at synthesis.
 */
import { Lazy, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { stagingAccountOf } from '../common/validation';
import { PerServerDeclarationProperty } from '../contract';

const declarations = new WeakMap<Stack, Map<string, PerServerDeclarationProperty & { readonly resource: IConstruct }>>();
const extensions = new WeakMap<Stack, { readonly stagingAccountId: string; readonly resource: IConstruct }[]>();

function mayShare(stagingSourceServerArn: string, stagingAccountId: string): boolean {
  if (Token.isUnresolved(stagingSourceServerArn) || Token.isUnresolved(stagingAccountId)) return true;
  return stagingAccountOf(stagingSourceServerArn) === stagingAccountId;
}

/**
 * Records one ExtendedSourceServer's declaration (by construct path) in its stack, and makes its
 * custom resource depend on the StagingAccountExtensions of its staging account in the stack:
 * CloudFormation then updates the extension (whose PerServerDeclarations change) before it
 * creates the per-server resource, so a rollback sends the extension its Update back even when
 * the per-server resource's Create is what failed.
 */
export function recordPerServerDeclaration(
  scope: IConstruct, resource: IConstruct, stagingSourceServerArn: string, tags: Record<string, string> | undefined,
): void {
  const stack = Stack.of(scope);
  let seen = declarations.get(stack);
  if (!seen) {
    seen = new Map();
    declarations.set(stack, seen);
  }
  seen.set(scope.node.path, {
    StagingSourceServerArn: stagingSourceServerArn,
    ...(tags && Object.keys(tags).length > 0 ? { Tags: { ...tags } } : {}),
    resource,
  });
  for (const e of extensions.get(stack) ?? []) {
    if (mayShare(stagingSourceServerArn, e.stagingAccountId)) resource.node.addDependency(e.resource);
  }
}

/** Records a StagingAccountExtension's custom resource (see recordPerServerDeclaration). */
export function recordExtension(scope: IConstruct, resource: IConstruct, stagingAccountId: string): void {
  const stack = Stack.of(scope);
  let all = extensions.get(stack);
  if (!all) {
    all = [];
    extensions.set(stack, all);
  }
  all.push({ stagingAccountId, resource });
  for (const d of declarations.get(stack)?.values() ?? []) {
    if (mayShare(d.StagingSourceServerArn, stagingAccountId)) d.resource.node.addDependency(resource);
  }
}

/**
 * The declarations of `scope`'s stack for staging account `stagingAccountId`, resolved at
 * synthesis (sorted by ARN; undefined when there are none, so the property is left out). An ARN
 * whose account is a token is included: the handler compares ARNs at deploy time.
 */
export function perServerDeclarationsFor(scope: IConstruct, stagingAccountId: string): PerServerDeclarationProperty[] {
  const stack = Stack.of(scope);
  return Lazy.any({
    produce: () => {
      const all = [...(declarations.get(stack)?.values() ?? [])]
        .filter((d) => mayShare(d.StagingSourceServerArn, stagingAccountId))
        .map((d): PerServerDeclarationProperty => ({ StagingSourceServerArn: d.StagingSourceServerArn, ...(d.Tags ? { Tags: d.Tags } : {}) }));
      if (all.length === 0) return undefined;
      const arn = (d: { StagingSourceServerArn: string }) => d.StagingSourceServerArn;
      return all.sort((a, b) => (arn(a) < arn(b) ? -1 : arn(a) > arn(b) ? 1 : 0));
    },
  }) as unknown as PerServerDeclarationProperty[];
}
