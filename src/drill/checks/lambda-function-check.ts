/**
 * The kind of `DrillCheck.lambdaFunction`: the user's function, invoked per recovered server,
 * passes the server with `{ "passed": true }`. Internal.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { CheckKind, CheckKindGroup } from './check-kind';
import { LAMBDA_RETRY, State } from '../definition/asl';
import { CheckDefinitionOptions, CheckStates, DefinitionCheck, serverOutcome } from '../definition/checks-definition';

const GROUP: CheckKindGroup = {
  rank: 3,
  problems: () => [],
  // The functions themselves (no `:*`): the state machine invokes their unqualified ARNs.
  statements: (checks) => [new iam.PolicyStatement({
    sid: 'InvokeServerCheck',
    actions: ['lambda:InvokeFunction'],
    resources: checks.map((c) => (c as LambdaFunctionCheck).fn.functionArn),
  })],
  acknowledgements: () => ({}),
};

export class LambdaFunctionCheck implements CheckKind {
  public readonly group = GROUP;

  constructor(public readonly fn: lambda.IFunction) {}

  public problems(): string[] {
    return [];
  }

  public render(): DefinitionCheck {
    const functionArn = this.fn.functionArn;
    return {
      startState: CheckStates.CHECK_SERVER,
      backstopSeconds: 0,
      states: (o, n, next) => lambdaStates(o, functionArn, n, next),
      sharedStates: { CheckDone: serverOutcome({ 'Result.$': '$.check.Result' }) },
    };
  }
}

/** The user's function: passed (`{ passed: true }`) goes on; anything else ends the server's checks with its answer. */
function lambdaStates(o: CheckDefinitionOptions, functionArn: string, n: string, next: string): Record<string, State> {
  const S = CheckStates;
  return {
    [`${S.CHECK_SERVER}${n}`]: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: functionArn,
        Payload: {
          'drillName': o.drillName,
          'executionName.$': '$.ExecutionName',
          'sourceServerId.$': '$.Server.SourceServerID',
          'recoveryInstanceId.$': '$.Server.RecoveryInstanceID',
          'ec2InstanceId.$': '$.Server.Ec2InstanceID',
        },
      },
      ResultSelector: { 'Result.$': '$.Payload' },
      ResultPath: '$.check',
      Retry: [LAMBDA_RETRY],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.checkError', Next: 'CheckErrored' }],
      Next: `CheckPassed${n}`,
    },
    [`CheckPassed${n}`]: {
      Type: 'Choice',
      Choices: [{ And: [{ Variable: '$.check.Result.passed', IsPresent: true }, { Variable: '$.check.Result.passed', BooleanEquals: true }], Next: next }],
      Default: 'CheckDone',
    },
  };
}
