import { Aspects, AspectPriority, CfnResource, IAspect, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** The resource metadata key cdk-nag 2 reads suppressions from (what its `NagSuppressions` writes). */
const CDK_NAG_2_METADATA_KEY = 'cdk_nag';

/**
 * Context key: `false` leaves cdk-nag 2's metadata out (a template no cdk-nag reads, e.g. the one
 * a StackSet deploys, which must stay small).
 */
export const CDK_NAG_2_METADATA_CONTEXT = 'cdk-drs-multi-account:cdkNag2Metadata';

/** One suppression as cdk-nag 2 stores it in a resource's `Metadata`. */
interface CdkNag2Suppression {
  readonly id: string;
  readonly reason: string;
  readonly applies_to?: string[];
  readonly is_reason_encoded?: boolean;
}

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
  acknowledgeForCdkNag2(scope, id, reason);
}

/**
 * The same acknowledgement for cdk-nag 2, which reads neither of the above: it reads
 * `Metadata.cdk_nag.rules_to_suppress` on each CloudFormation resource, entries
 * `{ id, reason, applies_to? }`, as its `NagSuppressions.addResourceSuppressions` writes them (a
 * finding such as `AwsSolutions-IAM5[Resource::*]` is `id: 'AwsSolutions-IAM5'` with
 * `applies_to: ['Resource::*']`). The library writes that metadata itself, so it does not depend
 * on cdk-nag at run time.
 *
 * Written on every resource below `scope` now, and again by an aspect that runs before the
 * default-priority aspects (cdk-nag 2's packs among them) for resources added to `scope` later.
 */
function acknowledgeForCdkNag2(scope: IConstruct, id: string, reason: string): void {
  if (scope.node.tryGetContext(CDK_NAG_2_METADATA_CONTEXT) === false) return;
  const finding = /^(.*?)\[(.*)\]$/s.exec(id);
  const suppression: CdkNag2Suppression = {
    id: finding ? finding[1] : id,
    // cdk-nag 2 stores a reason with characters beyond Latin-1 base64-encoded, and so do we.
    ...([...reason].some((c) => c.codePointAt(0)! > 255)
      ? { reason: Buffer.from(reason).toString('base64'), is_reason_encoded: true }
      : { reason }),
    ...(finding ? { applies_to: [finding[2]] } : {}),
  };
  const aspect = new CdkNag2Suppressions(suppression);
  aspect.visit(scope);
  Aspects.of(scope).add(aspect, { priority: AspectPriority.MUTATING });
}

class CdkNag2Suppressions implements IAspect {
  constructor(private readonly suppression: CdkNag2Suppression) {}

  /** Every resource at and below `node`: in aws-cdk-lib's first aspect order, an aspect of an
   * ancestor (cdk-nag's) visits each child before this one does, so the scope does it for all. */
  public visit(node: IConstruct): void {
    for (const c of node.node.findAll()) this.suppress(c);
  }

  private suppress(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node)) return;
    const current: CdkNag2Suppression[] = node.getMetadata(CDK_NAG_2_METADATA_KEY)?.rules_to_suppress ?? [];
    const key = JSON.stringify(this.suppression);
    if (current.some((s) => JSON.stringify(s) === key)) return;
    node.addMetadata(CDK_NAG_2_METADATA_KEY, { rules_to_suppress: [...current, this.suppression] });
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
