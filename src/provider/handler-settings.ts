import { Annotations, Aws, Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, IConstruct } from 'constructs';
import type { DrsHandlerProps } from './drs-handler-props';
import { acknowledgeFinding, acknowledgeRule, HIPAA_NIST, HIPAA_NIST_PCI, NagPack } from '../common/nag';

/**
 * How the settings of the stack's one handler are applied: the key of its log group, its
 * network, and the cdk-nag acknowledgements of the defaults a user did not change. Internal.
 */

/** Problems with the settings, each naming its field. */
export function checkHandlerSettings(props: DrsHandlerProps): string[] {
  const problems: string[] = [];
  if (!props.vpc && props.vpcSubnets) problems.push('vpcSubnets needs vpc: give the VPC the subnets belong to');
  if (!props.vpc && props.securityGroups) problems.push('securityGroups needs vpc: give the VPC the security groups belong to');
  if (props.securityGroups && props.securityGroups.length === 0) {
    problems.push('securityGroups must list at least one security group, or be left out for a new HTTPS-only group');
  }
  const reserved = props.reservedConcurrentExecutions;
  if (reserved !== undefined && !Token.isUnresolved(reserved) && !(Number.isInteger(reserved) && reserved >= 1)) {
    problems.push(`reservedConcurrentExecutions must be a whole number of at least 1 (0 would stop the handler), got ${reserved}`);
  }
  return problems;
}

/** The settings (by field name) in which `a` and `b` differ. */
export function differingSettings(a: DrsHandlerProps, b: DrsHandlerProps): string[] {
  const same: Record<keyof DrsHandlerProps, (x: DrsHandlerProps, y: DrsHandlerProps) => boolean> = {
    vpc: (x, y) => x.vpc === y.vpc,
    vpcSubnets: (x, y) => sameSubnetSelection(x.vpcSubnets, y.vpcSubnets),
    securityGroups: (x, y) => sameList(x.securityGroups, y.securityGroups),
    logEncryptionKey: (x, y) => x.logEncryptionKey === y.logEncryptionKey,
    reservedConcurrentExecutions: (x, y) => x.reservedConcurrentExecutions === y.reservedConcurrentExecutions,
    tracing: (x, y) => (x.tracing ?? lambda.Tracing.DISABLED) === (y.tracing ?? lambda.Tracing.DISABLED),
  };
  return (Object.keys(same) as Array<keyof DrsHandlerProps>).filter((field) => !same[field](a, b));
}

function sameList<T>(x: readonly T[] | undefined, y: readonly T[] | undefined): boolean {
  if (x === undefined || y === undefined) return x === y;
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function sameSubnetSelection(x: ec2.SubnetSelection | undefined, y: ec2.SubnetSelection | undefined): boolean {
  if (x === undefined || y === undefined) return x === y;
  return x.subnetType === y.subnetType && x.subnetGroupName === y.subnetGroupName && x.onePerAz === y.onePerAz
    && sameList(x.availabilityZones, y.availabilityZones) && sameList(x.subnets, y.subnets)
    && sameList(x.subnetFilters, y.subnetFilters);
}

/**
 * The key for the handler's log group: the given one, with the CloudWatch Logs statement added
 * to its policy where the stack can, or a new one. CloudWatch Logs uses the key as the service
 * `logs.<region>.amazonaws.com`, for log groups of this account and Region (the log group's
 * generated name cannot be in the key policy: the log group refers to the key).
 */
export function logEncryptionKey(scope: Construct, given: kms.IKey | undefined): kms.IKey {
  const key = given ?? new kms.Key(scope, 'LogKey', {
    description: 'cdk-drs-multi-account: encrypts the DRS custom-resource handler log group of this stack',
    enableKeyRotation: true,
    // Removed with the stack, like the log group it encrypts (after the shortest waiting period).
    removalPolicy: RemovalPolicy.DESTROY,
    pendingWindow: Duration.days(7),
  });
  const statement = new iam.PolicyStatement({
    sid: 'CloudWatchLogsEncryptsHandlerLogGroup',
    principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    resources: ['*'],
    conditions: {
      ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*` },
    },
  });
  if (!key.addToResourcePolicy(statement, true).statementAdded) {
    Annotations.of(scope).addWarningV2('cdk-drs-multi-account:logKeyPolicyNotChanged',
      'logEncryptionKey is imported, so its key policy cannot be changed from this stack. Make sure it allows ' +
      `the service logs.<region>.amazonaws.com: ${JSON.stringify(statement.toJSON())}`);
  }
  return key;
}

/** What Lambda needs of the execution role to attach the function to the VPC. */
export function vpcStatements(): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'AttachToVpc',
      actions: ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
      // Network interfaces, subnets and security groups of this account and Region.
      resources: [`arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:*/*`],
    }),
    new iam.PolicyStatement({
      sid: 'DescribeVpcNetworkInterfaces',
      // No resource-level support.
      actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'],
      resources: ['*'],
    }),
  ];
}

/** A security group for the handler that lets out HTTPS only (the handler calls AWS APIs, nothing else). */
export function httpsOnlySecurityGroup(scope: Construct, vpc: ec2.IVpc): ec2.ISecurityGroup {
  const group = new ec2.SecurityGroup(scope, 'SecurityGroup', {
    vpc,
    description: 'cdk-drs-multi-account handler: outbound HTTPS to AWS APIs (VPC endpoints) only',
    allowAllOutbound: false,
  });
  group.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs: DRS, CloudFormation, Lambda, S3 response URL');
  return group;
}

/** Acknowledges, with reasons, the findings about the handler that follow from its settings. */
export function acknowledgeHandlerFindings(
  fn: lambda.IFunction, defaultPolicy: IConstruct, props: DrsHandlerProps,
): void {
  const runtime = 'The runtime is pinned so the deployed handler bundle is the tested one; it is moved to newer runtimes with releases.';
  acknowledgeFinding(fn, 'AwsSolutions-L1', runtime);
  acknowledgeFinding(fn, 'Serverless-LambdaLatestVersion', runtime);
  acknowledgeRule(fn, 'LambdaDLQ', [...HIPAA_NIST, NagPack.SERVERLESS],
    "Asynchronous invocations that still fail after Lambda's two retries go to the function's EventInvokeConfig " +
    'on-failure destination, the function itself, which answers FAILED to the request\'s CloudFormation ResponseURL. ' +
    'A dead-letter queue would only keep the request where nothing answers it.');
  if (!props.vpc) {
    acknowledgeRule(fn, 'LambdaInsideVPC', HIPAA_NIST_PCI,
      'The handler reaches only AWS APIs (DRS, CloudFormation, Lambda, the S3 response URL) and no resource in a VPC; ' +
      'DrsHandler.configure(stack, { vpc }) runs it in a VPC (endpoints: docs/compliance.md).');
  }
  if (props.reservedConcurrentExecutions === undefined) {
    acknowledgeRule(fn, 'LambdaConcurrency', HIPAA_NIST,
      "A reservation is taken from the account's unreserved concurrency and fails the deploy in accounts with a low " +
      'quota; invocations are asynchronous, so throttling only delays them. Set it with ' +
      'DrsHandler.configure(stack, { reservedConcurrentExecutions }).');
  }
  if ((props.tracing ?? lambda.Tracing.DISABLED) !== lambda.Tracing.ACTIVE) {
    acknowledgeFinding(fn, 'Serverless-LambdaTracing',
      "The handler's AWS SDK calls are not instrumented, so a trace would show only the invocation, which the JSON " +
      'log lines already record; DrsHandler.configure(stack, { tracing: Tracing.ACTIVE }) turns it on.');
  } else {
    acknowledgeFinding(defaultPolicy, 'AwsSolutions-IAM5[Resource::*]',
      'xray:PutTraceSegments and xray:PutTelemetryRecords (tracing ACTIVE) have no resource-level permissions.');
  }
  if (props.vpc) {
    acknowledgeFinding(defaultPolicy, 'AwsSolutions-IAM5[Resource::*]',
      'ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets (to attach the handler to the VPC) have no resource-level permissions.');
    acknowledgeFinding(defaultPolicy, 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:*/*]',
      'Lambda creates and deletes the network interfaces with ids it chooses, in the subnets and security groups ' +
      'given; the Lambda developer guide asks for all resource ids of the account for DeleteNetworkInterface.');
  }
}
