import { runSimulation } from '@cloud-copilot/iam-simulate';
import { App, Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { arnAccount, authorizerFromPolicies, authorizerFromTemplate } from './iam';
import { AuthzRequest } from './types';
import { OwnerTags } from '../../src/contract';
import { CfnTemplate, PolicyDocument } from '../support/cfn-template';

const ACCOUNT = '222222222222';
const STACK_ID = 'arn:aws:cloudformation:eu-west-1:222222222222:stack/Target/1111';
const SERVER = `arn:aws:drs:eu-west-1:${ACCOUNT}:source-server/s-0123456789abcdef0`;

/** Shaped like the handler role the library is meant to synthesize. */
const handlerPolicy: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'ReadAnything',
      Effect: 'Allow',
      Action: ['drs:DescribeSourceServers', 'drs:ListExtensibleSourceServers', 'drs:ListStagingAccounts'],
      Resource: '*',
    },
    {
      Sid: 'CreateOwned',
      Effect: 'Allow',
      Action: ['drs:CreateExtendedSourceServer', 'drs:TagResource'],
      Resource: '*',
      Condition: {
        'StringEquals': { [`aws:RequestTag/${OwnerTags.STACK_ID}`]: STACK_ID },
        'ForAllValues:StringEquals': { 'aws:TagKeys': [OwnerTags.STACK_ID, OwnerTags.LOGICAL_ID, 'team'] },
      },
    },
    {
      Sid: 'ManageOwned',
      Effect: 'Allow',
      Action: ['drs:DisconnectSourceServer', 'drs:DeleteSourceServer', 'drs:UntagResource'],
      Resource: 'arn:aws:drs:*:222222222222:source-server/*',
      Condition: { StringEquals: { [`aws:ResourceTag/${OwnerTags.STACK_ID}`]: STACK_ID } },
    },
    {
      Sid: 'KeepOwnerTags',
      Effect: 'Deny',
      Action: 'drs:UntagResource',
      Resource: '*',
      Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': [OwnerTags.STACK_ID, OwnerTags.LOGICAL_ID] } },
    },
  ],
};

function req(action: string, resource: string, context: Record<string, string | string[]> = {}): AuthzRequest {
  return { action: `drs:${action}`, resource, account: ACCOUNT, region: 'eu-west-1', context };
}

const owned = { [`aws:ResourceTag/${OwnerTags.STACK_ID}`]: STACK_ID };
const createTags = (extra: Record<string, string>, stackId = STACK_ID) => {
  const tags = { [OwnerTags.STACK_ID]: stackId, [OwnerTags.LOGICAL_ID]: 'Server', ...extra };
  return {
    ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])),
    'aws:TagKeys': Object.keys(tags),
  };
};

/** Compares each decision with the validating runSimulation, which knows which actions are *-only. */
async function expectAgreement(document: PolicyDocument, cases: AuthzRequest[]): Promise<void> {
  const authorize = authorizerFromPolicies([{ name: 'P', document }]);
  for (const c of cases) {
    const reference = await runSimulation({
      request: {
        principal: 'arn:aws:iam::222222222222:role/local-drs-caller',
        action: c.action,
        resource: { resource: c.resource, accountId: arnAccount(c.resource) ?? c.account },
        contextVariables: c.context,
      },
      identityPolicies: [{ name: 'P', policy: document }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    }, {});
    if (reference.resultType === 'error') throw new Error(reference.errors.message);
    expect({ c, allowed: authorize(c).allowed }).toEqual({ c, allowed: reference.overallResult === 'Allowed' });
  }
}

describe('authorizerFromPolicies: DRS-shaped requests', () => {
  const authorize = authorizerFromPolicies([{ name: 'HandlerPolicy', document: handlerPolicy }]);

  test('actions without resource-level permissions are allowed by a * statement', () => {
    expect(authorize(req('DescribeSourceServers', '*'))).toEqual({ allowed: true });
    expect(authorize(req('ListStagingAccounts', '*'))).toEqual({ allowed: true });
  });

  test('an action no statement names is implicitly denied, and the reason says which action and resource', () => {
    const d = authorize(req('InitializeService', '*'));
    expect(d.allowed).toBe(false);
    expect(d.reason).toBe('arn:aws:iam::222222222222:role/local-drs-caller is not authorized to perform: drs:InitializeService ' +
      'on resource: * because no identity-based policy allows the drs:InitializeService action');
  });

  test('a statement scoped to source-server ARNs does not grant a *-only request', () => {
    const narrow = authorizerFromPolicies([{
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'drs:DescribeSourceServers', Resource: 'arn:aws:drs:*:*:source-server/*' }],
    }]);
    expect(narrow(req('DescribeSourceServers', '*')).allowed).toBe(false);
  });

  test('on a *-only request, Deny applies through Resource * or a NotResource, not through a specific ARN', async () => {
    const doc = (deny: Record<string, unknown>): PolicyDocument => ({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'drs:*', Resource: ['arn:aws:drs:*:*:source-server/*', '*'] },
        { Sid: 'D', Effect: 'Deny', Action: 'drs:CreateExtendedSourceServer', ...deny },
      ],
    });
    const create = req('CreateExtendedSourceServer', '*');
    expect(authorizerFromPolicies([doc({ Resource: 'arn:aws:drs:*:*:source-server/*' })])(create).allowed).toBe(true);
    expect(authorizerFromPolicies([doc({ Resource: '*' })])(create).reason).toContain("statement 'D'");
    expect(authorizerFromPolicies([doc({ NotResource: 'arn:aws:drs:*:*:source-server/*' })])(create).reason).toContain("statement 'D'");
    expect(authorizerFromPolicies([doc({ NotResource: '*' })])(create).allowed).toBe(true);
    for (const deny of [{ Resource: 'arn:aws:drs:*:*:source-server/*' }, { Resource: '*' }, { NotResource: 'arn:aws:drs:*:*:source-server/*' }]) {
      await expectAgreement(doc(deny), [create, req('DeleteSourceServer', SERVER)]);
    }
    await expectAgreement({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'drs:*', Resource: 'arn:aws:drs:*:*:source-server/*' }],
    }, [create, req('DescribeSourceServers', '*'), req('DeleteSourceServer', SERVER)]);
  });

  test('resource-level ARN with an aws:ResourceTag condition: owner tag, other owner, untagged, other account', () => {
    expect(authorize(req('DeleteSourceServer', SERVER, owned))).toEqual({ allowed: true });
    expect(authorize(req('DisconnectSourceServer', SERVER, owned))).toEqual({ allowed: true });

    const otherOwner = authorize(req('DeleteSourceServer', SERVER, { [`aws:ResourceTag/${OwnerTags.STACK_ID}`]: 'someone-else' }));
    expect(otherOwner.allowed).toBe(false);
    expect(otherOwner.reason).toContain(`on resource: ${SERVER} because no identity-based policy allows the drs:DeleteSourceServer action`);
    expect(otherOwner.reason).toContain('statement \'ManageOwned\' of policy \'HandlerPolicy\' matches the action and resource but its Condition');
    expect(otherOwner.reason).toContain(`aws:ResourceTag/${OwnerTags.STACK_ID}="someone-else"`);

    const untagged = authorize(req('DeleteSourceServer', SERVER));
    expect(untagged.allowed).toBe(false);
    expect(untagged.reason).toContain(`aws:ResourceTag/${OwnerTags.STACK_ID}=(absent)`);

    const otherAccount = authorize(req('DeleteSourceServer', SERVER.replace(ACCOUNT, '333333333333'), owned));
    expect(otherAccount.allowed).toBe(false);
    expect(otherAccount.reason).not.toContain('matches the action and resource');
  });

  test('aws:RequestTag and aws:TagKeys with ForAllValues on CreateExtendedSourceServer', () => {
    expect(authorize(req('CreateExtendedSourceServer', '*', createTags({ team: 'dr' })))).toEqual({ allowed: true });
    expect(authorize(req('CreateExtendedSourceServer', '*', createTags({})))).toEqual({ allowed: true });
    // A tag key outside the allowed set fails ForAllValues.
    const extraKey = authorize(req('CreateExtendedSourceServer', '*', createTags({ costcenter: '1' })));
    expect(extraKey.allowed).toBe(false);
    expect(extraKey.reason).toContain("statement 'CreateOwned' of policy 'HandlerPolicy' matches the action and resource but its Condition");
    // The owner tag must carry this stack's id.
    expect(authorize(req('CreateExtendedSourceServer', '*', createTags({}, 'arn:other'))).allowed).toBe(false);
    // No tags at all: the RequestTag condition fails (ForAllValues alone would pass vacuously).
    expect(authorize(req('CreateExtendedSourceServer', '*')).allowed).toBe(false);
  });

  test('explicit Deny for the owner tag keys on UntagResource wins over the Allow, and is named', () => {
    expect(authorize(req('UntagResource', SERVER, { ...owned, 'aws:TagKeys': ['team'] }))).toEqual({ allowed: true });
    const d = authorize(req('UntagResource', SERVER, { ...owned, 'aws:TagKeys': ['team', OwnerTags.LOGICAL_ID] }));
    expect(d).toEqual({
      allowed: false,
      reason: `arn:aws:iam::222222222222:role/local-drs-caller is not authorized to perform: drs:UntagResource on resource: ${SERVER} ` +
        "with an explicit deny in an identity-based policy (statement 'KeepOwnerTags' of policy 'HandlerPolicy')",
    });
  });

  test('the evaluator agrees with iam-simulate\'s validating (async) runSimulation on every case', async () => {
    await expectAgreement(handlerPolicy, [
      req('DescribeSourceServers', '*'),
      req('InitializeService', '*'),
      req('DeleteSourceServer', SERVER, owned),
      req('DeleteSourceServer', SERVER),
      req('DeleteSourceServer', SERVER.replace(ACCOUNT, '333333333333'), owned),
      req('CreateExtendedSourceServer', '*', createTags({ team: 'dr' })),
      req('CreateExtendedSourceServer', '*', createTags({ costcenter: '1' })),
      req('UntagResource', SERVER, { ...owned, 'aws:TagKeys': ['team'] }),
      req('UntagResource', SERVER, { ...owned, 'aws:TagKeys': [OwnerTags.STACK_ID] }),
    ]);
  });
});

describe('authorizerFromPolicies: policy grammar', () => {
  test('NotAction and NotResource', () => {
    const authorize = authorizerFromPolicies([{
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', NotAction: 'iam:*', Resource: '*' },
        { Sid: 'OnlyOwnAccount', Effect: 'Deny', Action: 'drs:DeleteSourceServer', NotResource: `arn:aws:drs:*:${ACCOUNT}:source-server/*` },
      ],
    }]);
    expect(authorize(req('DeleteSourceServer', SERVER)).allowed).toBe(true);
    expect(authorize({ ...req('x', '*'), action: 'iam:CreateServiceLinkedRole' }).allowed).toBe(false);
    const foreign = authorize(req('DeleteSourceServer', SERVER.replace(ACCOUNT, '333333333333')));
    expect(foreign.allowed).toBe(false);
    expect(foreign.reason).toContain("explicit deny in an identity-based policy (statement 'OnlyOwnAccount' of policy 'policy0')");
  });

  test('Null and StringLike conditions', () => {
    const authorize = authorizerFromPolicies([{
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow',
        Action: 'drs:TagResource',
        Resource: 'arn:aws:drs:eu-*:*:source-server/s-*',
        Condition: { Null: { 'aws:RequestTag/team': 'false' }, StringLike: { 'aws:RequestTag/team': 'dr-*' } },
      }],
    }]);
    expect(authorize(req('TagResource', SERVER, { 'aws:RequestTag/team': 'dr-blue' })).allowed).toBe(true);
    expect(authorize(req('TagResource', SERVER, { 'aws:RequestTag/team': 'ops' })).allowed).toBe(false);
    expect(authorize(req('TagResource', SERVER)).allowed).toBe(false);
    expect(authorize(req('TagResource', SERVER.replace('eu-west-1', 'us-east-1'), { 'aws:RequestTag/team': 'dr-blue' })).allowed).toBe(false);
  });

  test('an invalid policy is refused when the authorizer is built', () => {
    expect(() => authorizerFromPolicies([{ name: 'Broken', document: { Version: '2012-10-17', Statement: [{ Effect: 'Maybe', Action: 'drs:*', Resource: '*' }] } }]))
      .toThrow(/identity policy 'Broken' is invalid: .*Effect/);
  });
});

describe('authorizerFromTemplate', () => {
  function synth(): { template: CfnTemplate; roleId: string } {
    const app = new App();
    const stack = new Stack(app, 'Target', { env: { account: ACCOUNT, region: 'eu-west-1' } });
    const role = new iam.Role(stack, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
    });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['drs:DescribeSourceServers'], resources: ['*'] }));
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['drs:DeleteSourceServer'],
      resources: [`arn:${Aws.PARTITION}:drs:${Aws.REGION}:${Aws.ACCOUNT_ID}:source-server/*`],
      conditions: { StringEquals: { [`aws:ResourceTag/${OwnerTags.STACK_ID}`]: Aws.STACK_ID } },
    }));
    role.addManagedPolicy(new iam.ManagedPolicy(stack, 'Extra', {
      statements: [new iam.PolicyStatement({ actions: ['drs:ListStagingAccounts'], resources: ['*'] })],
    }));
    const t = app.synth().getStackByName('Target').template as CfnTemplate;
    return { template: t, roleId: Object.keys(t.Resources!).find((id) => id.startsWith('HandlerRole') && t.Resources![id].Type === 'AWS::IAM::Role')! };
  }
  const deploy = { account: ACCOUNT, region: 'eu-west-1', partition: 'aws', stackName: 'Target', stackId: STACK_ID };

  test('evaluates the policies CDK attached, with intrinsics resolved for this deployment', () => {
    const { template, roleId } = synth();
    const authorize = authorizerFromTemplate(template, roleId, deploy);
    expect(authorize(req('DescribeSourceServers', '*'))).toEqual({ allowed: true });
    expect(authorize(req('ListStagingAccounts', '*'))).toEqual({ allowed: true });
    expect(authorize(req('DeleteSourceServer', SERVER, owned))).toEqual({ allowed: true });
    expect(authorize(req('DeleteSourceServer', SERVER.replace('eu-west-1', 'us-east-1'), owned)).allowed).toBe(false);
    const d = authorize(req('DeleteSourceServer', SERVER, { [`aws:ResourceTag/${OwnerTags.STACK_ID}`]: 'other-stack' }));
    expect(d.reason).toMatch(/^arn:aws:iam::222222222222:role\/Target-HandlerRole\S+ is not authorized to perform: drs:DeleteSourceServer/);
  });

  test('AWS managed policies grant nothing unless their document is passed, and denials name them', () => {
    const { template, roleId } = synth();
    const basic = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
    const d = authorizerFromTemplate(template, roleId, deploy)(req('InitializeService', '*'));
    expect(d.allowed).toBe(false);
    expect(d.reason).toContain(`managed policies not evaluated (no document given): ${basic}`);
    const withDoc = authorizerFromTemplate(template, roleId, deploy, {
      managedPolicies: { [basic]: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'drs:InitializeService', Resource: '*' }] } },
    });
    expect(withDoc(req('InitializeService', '*'))).toEqual({ allowed: true });
  });

  test('a caller from another account is refused', () => {
    const { template, roleId } = synth();
    const d = authorizerFromTemplate(template, roleId, deploy)({ ...req('DescribeSourceServers', '*'), account: '333333333333' });
    expect(d.allowed).toBe(false);
    expect(d.reason).toMatch(/the caller's account 333333333333 is not the account of role Target-HandlerRole\S+ \(222222222222\)/);
  });
});
