import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Acknowledges one cdk-nag finding on `scope` (and everything below it), with the reason.
 *
 * `Validations.of(scope).acknowledge()` rejects ids with more than one `::` (aws-cdk-lib 2.257),
 * yet cdk-nag's finding ids for ARNs have several, e.g.
 * `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/...]`. Those are recorded in
 * the same construct metadata entry that `acknowledge()` writes and cdk-nag reads.
 */
export function acknowledgeFinding(scope: IConstruct, id: string, reason: string): void {
  if (id.split('::').length <= 2) {
    Validations.of(scope).acknowledge({ id, reason });
  } else {
    scope.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, { [id]: reason });
  }
}

/** The rule-id prefixes of the cdk-nag 3 packs the library is checked against. */
export const NagPack = {
  AWS_SOLUTIONS: 'AwsSolutions',
  HIPAA: 'HIPAA.Security',
  NIST_800_53_R5: 'NIST.800.53.R5',
  PCI_DSS_321: 'PCI.DSS.321',
  SERVERLESS: 'Serverless',
} as const;

/** The packs that share a rule: the same check under each pack's prefix. */
export const HIPAA_NIST_PCI = [NagPack.HIPAA, NagPack.NIST_800_53_R5, NagPack.PCI_DSS_321];
export const HIPAA_NIST = [NagPack.HIPAA, NagPack.NIST_800_53_R5];

/**
 * Acknowledges `rule` (e.g. `LambdaInsideVPC`) in each of `packs` on `scope`, with one reason:
 * the rule is the same check in each pack, so the reason is too.
 */
export function acknowledgeRule(scope: IConstruct, rule: string, packs: readonly string[], reason: string): void {
  for (const pack of packs) acknowledgeFinding(scope, `${pack}-${rule}`, reason);
}

/**
 * An inline policy (`AWS::IAM::Policy`, or a role's `Policies`) the library writes on purpose:
 * its statements name resources of one stack or one role and must not be attached elsewhere,
 * which is what a customer managed policy would allow.
 */
export function acknowledgeInlinePolicy(scope: IConstruct, why: string): void {
  acknowledgeRule(scope, 'IAMNoInlinePolicy', HIPAA_NIST_PCI,
    `Inline on purpose: ${why} A managed policy could be attached to other principals, which these statements must not be.`);
}
