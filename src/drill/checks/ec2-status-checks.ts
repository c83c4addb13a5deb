/**
 * The kind of `DrillCheck.ec2StatusChecks`: Wait states between `ec2:DescribeInstanceStatus`
 * calls until the recovered instance's instance and system status are both `ok`. Internal.
 */
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CheckKind, CheckKindGroup } from './check-kind';
import { Ec2StatusChecksOptions } from './drill-check-options';
import { EC2_RETRY, State } from '../definition/asl';
import { CheckStates, DefinitionCheck, PollTiming, pollStates, verdict } from '../definition/checks-definition';

const GROUP: CheckKindGroup = {
  rank: 2,
  problems: (checks) => (checks.length > 1 ? ['checks: give DrillCheck.ec2StatusChecks at most once'] : []),
  statements: () => [new iam.PolicyStatement({
    sid: 'ReadInstanceStatus',
    // DescribeInstanceStatus supports no resource-level permissions (Service Authorization Reference for EC2).
    actions: ['ec2:DescribeInstanceStatus'],
    resources: ['*'],
  })],
  acknowledgements: () => ({}),
};

export class Ec2StatusChecks implements CheckKind {
  public readonly group = GROUP;
  public readonly timing: { readonly timeout: Duration; readonly interval: Duration };

  constructor(options: Ec2StatusChecksOptions) {
    this.timing = { timeout: options.timeout ?? Duration.minutes(15), interval: options.interval ?? Duration.seconds(30) };
  }

  public problems(): string[] {
    return [];
  }

  public render(): DefinitionCheck {
    const t = { timeoutSeconds: this.timing.timeout.toSeconds(), intervalSeconds: this.timing.interval.toSeconds() };
    return {
      startState: 'StartInstanceStatusChecks',
      backstopSeconds: t.timeoutSeconds + t.intervalSeconds,
      states: (_o, n, next) => ec2States(t, n, next),
    };
  }
}

/** EC2 status checks: ask, then wait and ask again until both are `ok`, one is `impaired`, or the timeout. */
function ec2States(t: PollTiming, n: string, next: string): Record<string, State> {
  const S = CheckStates;
  const describe = `${S.DESCRIBE_INSTANCE_STATUS}${n}`;
  const status = (which: string) => `$.ec2.Statuses[0].${which}.Status`;
  return {
    [`StartInstanceStatusChecks${n}`]: { Type: 'Pass', Result: { N: 0 }, ResultPath: '$.ec2Polls', Next: describe },
    [describe]: {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:ec2:describeInstanceStatus',
      Parameters: { 'InstanceIds.$': 'States.Array($.Server.Ec2InstanceID)', 'IncludeAllInstances': true },
      ResultSelector: { 'Statuses.$': '$.InstanceStatuses' },
      ResultPath: '$.ec2',
      Retry: [EC2_RETRY],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.checkError', Next: 'CheckErrored' }],
      Next: `InstanceStatusOk${n}`,
    },
    [`InstanceStatusOk${n}`]: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.ec2.Statuses[0]', IsPresent: false, Next: `InstanceStatusPending${n}` },
        {
          Or: [{ Variable: status('InstanceStatus'), StringEquals: 'impaired' }, { Variable: status('SystemStatus'), StringEquals: 'impaired' }],
          Next: `InstanceStatusImpaired${n}`,
        },
        { And: [{ Variable: status('InstanceStatus'), StringEquals: 'ok' }, { Variable: status('SystemStatus'), StringEquals: 'ok' }], Next: next },
      ],
      Default: `InstanceStatusPending${n}`,
    },
    ...pollStates(t, { pending: `InstanceStatusPending${n}`, wait: `${S.WAIT_FOR_INSTANCE_STATUS}${n}`, count: `CountInstanceStatusPoll${n}` },
      '$.ec2Polls', describe, `InstanceStatusTimedOut${n}`),
    [`InstanceStatusImpaired${n}`]: verdict({
      'detail.$': `States.Format('EC2 status checks of instance {} failed: instance status {}, system status {}', $.Server.Ec2InstanceID, ${status('InstanceStatus')}, ${status('SystemStatus')})`,
    }),
    [`InstanceStatusTimedOut${n}`]: verdict({
      'detail.$': `States.Format('EC2 status checks of instance {} were not both ok within ${t.timeoutSeconds} s', $.Server.Ec2InstanceID)`,
    }),
  };
}
