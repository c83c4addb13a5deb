/**
 * The per-server declarations of a stack, for the StagingAccountExtensions of the same stack
 * (their `PerServerDeclarations` property, docs/ownership.md): every ExtendedSourceServer records
 * its staging server and tags here; an extension reads them lazily at synthesis.
 */
import { Lazy, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { PerServerDeclarationProperty } from '../contract';
import { stagingAccountOf } from './validation';

const declarations = new WeakMap<Stack, Map<string, PerServerDeclarationProperty>>();

/** Records one ExtendedSourceServer's declaration (by construct path) in its stack. */
export function recordPerServerDeclaration(scope: IConstruct, stagingSourceServerArn: string, tags: Record<string, string> | undefined): void {
  const stack = Stack.of(scope);
  let seen = declarations.get(stack);
  if (!seen) {
    seen = new Map();
    declarations.set(stack, seen);
  }
  seen.set(scope.node.path, {
    StagingSourceServerArn: stagingSourceServerArn,
    ...(tags && Object.keys(tags).length > 0 ? { Tags: { ...tags } } : {}),
  });
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
      const all = [...(declarations.get(stack)?.values() ?? [])].filter((d) => {
        if (Token.isUnresolved(d.StagingSourceServerArn) || Token.isUnresolved(stagingAccountId)) return true;
        return stagingAccountOf(d.StagingSourceServerArn) === stagingAccountId;
      });
      if (all.length === 0) return undefined;
      return all.sort((a, b) => (a.StagingSourceServerArn < b.StagingSourceServerArn ? -1 : a.StagingSourceServerArn > b.StagingSourceServerArn ? 1 : 0));
    },
  }) as unknown as PerServerDeclarationProperty[];
}
