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
