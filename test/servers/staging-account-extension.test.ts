import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ExtendedServerSelector, ExtendedSourceServer, ServerSelector, StagingAccountExtension } from '../../src';
import { OwnerTags } from '../../src/contract';
import { parseStagingAccountExtensionProperties } from '../../src/servers/runtime/staging-account-extension-properties';
import { authorizerFromTemplate } from '../local-drs/iam';
import { CfnTemplate, resolve } from '../support/cfn-template';

const CR_TYPE = 'Custom::DrsStagingAccountExtension';
const TARGET = '222222222222';
const STAGING = '111111111111';
const REGION = 'us-east-1';
const STACK_ID = `arn:aws:cloudformation:${REGION}:${TARGET}:stack/Target/11111111-2222-3333-4444-555555555555`;

function targetStack(app = new App()): Stack {
  return new Stack(app, 'Target', { env: { account: TARGET, region: REGION } });
}

function resourcesOf(stack: Stack, type: string): Record<string, any> {
  return Template.fromStack(stack).findResources(type);
}

function onlyResource(stack: Stack, type: string): { logicalId: string; resource: any } {
  const found = resourcesOf(stack, type);
  expect(Object.keys(found)).toHaveLength(1);
  const logicalId = Object.keys(found)[0];
  return { logicalId, resource: found[logicalId] };
}

const ctx = { account: TARGET, region: REGION, stackName: 'Target', stackId: STACK_ID };

describe('StagingAccountExtension', () => {
  test('one custom resource with the contract properties, depending on the self-invoke policy', () => {
    const stack = targetStack();
    new StagingAccountExtension(stack, 'Staging1', {
      stagingAccountId: STAGING,
      selector: ServerSelector.allOf(ServerSelector.hostnameMatches('web-*', 'app-?'), ServerSelector.tagEquals('env', 'prod')),
      tags: { Application: 'erp' },
      pruneNotMatching: true,
      failOnExtensionError: true,
      reconcileToken: '2024-06-01',
    });
    const { resource } = onlyResource(stack, CR_TYPE);
    const fnId = Object.keys(resourcesOf(stack, 'AWS::Lambda::Function'))[0];
    const policyId = Object.entries(resourcesOf(stack, 'AWS::IAM::Policy'))
      .find(([, p]) => p.Properties.PolicyDocument.Statement.some((s: any) => s.Sid === 'ContinueInNewInvocation'))![0];
    expect(resource).toEqual({
      Type: CR_TYPE,
      Properties: {
        ServiceToken: { 'Fn::GetAtt': [fnId, 'Arn'] },
        StagingAccountId: STAGING,
        Selector: {
          Type: 'allOf',
          Selectors: [{ Type: 'hostname', Patterns: ['web-*', 'app-?'] }, { Type: 'tag', Key: 'env', Values: ['prod'] }],
        },
        Tags: { Application: 'erp' },
        PruneNotMatching: 'true',
        FailOnExtensionError: 'true',
        ReconcileToken: '2024-06-01',
      },
      // The declared tags, for a rollback's hand-back (docs/ownership.md).
      Metadata: { 'cdk-drs-multi-account:declared-tags': { Application: 'erp' } },
      // The self-invoke policy, and the invocation configuration (on-failure destination).
      DependsOn: [Object.keys(resourcesOf(stack, 'AWS::Lambda::EventInvokeConfig'))[0], policyId].sort(),
      UpdateReplacePolicy: 'Delete',
      DeletionPolicy: 'Delete',
    });
  });

  test('defaults: every server, no flags; the handler parses what the construct writes', () => {
    const stack = targetStack();
    new StagingAccountExtension(stack, 'All', { stagingAccountId: STAGING });
    new StagingAccountExtension(stack, 'Some', {
      stagingAccountId: '333333333333',
      selector: ServerSelector.anyOf(ServerSelector.hasTag('dr'), ServerSelector.noneOf(ServerSelector.hostnameMatches('test-*'))),
      tags: { Team: 'sre' },
    });
    const parsed = Object.values(resourcesOf(stack, CR_TYPE)).map((r) => parseStagingAccountExtensionProperties(
      { ...r.Properties, ServiceToken: 'arn:aws:lambda:us-east-1:222222222222:function:f' }));
    expect(parsed).toEqual([
      { stagingAccountId: STAGING, tags: {}, pruneNotMatching: false, failOnExtensionError: false, perServer: new Map() },
      {
        stagingAccountId: '333333333333',
        selector: {
          Type: 'anyOf',
          Selectors: [
            { Type: 'tag', Key: 'dr' },
            { Type: 'not', Selectors: [{ Type: 'anyOf', Selectors: [{ Type: 'hostname', Patterns: ['test-*'] }] }] },
          ],
        },
        tags: { Team: 'sre' },
        pruneNotMatching: false,
        failOnExtensionError: false,
        perServer: new Map(),
      },
    ]);
  });

  test('one handler per stack, however many staging accounts and single servers', () => {
    const stack = targetStack();
    new StagingAccountExtension(stack, 'A', { stagingAccountId: STAGING });
    new StagingAccountExtension(stack, 'B', { stagingAccountId: '333333333333' });
    new ExtendedSourceServer(stack, 'One', { stagingSourceServerArn: `arn:aws:drs:${REGION}:444444444444:source-server/s-1234567890abcdef0` });
    expect(Object.keys(resourcesOf(stack, CR_TYPE))).toHaveLength(2);
    expect(Object.keys(resourcesOf(stack, 'AWS::Lambda::Function'))).toHaveLength(1);
    expect(Object.keys(resourcesOf(stack, 'AWS::IAM::Role'))).toHaveLength(1);
    // Identical statements of both resource types are merged: every Sid appears once.
    const sids = Object.values(resourcesOf(stack, 'AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement.map((s: any) => s.Sid)).filter(Boolean);
    expect(sids).toEqual([...new Set(sids)]);
    expect(sids).toEqual(expect.arrayContaining(['ListExtensibleSourceServers', 'ExtendOnlyWithOwnerTag', 'ContinueInNewInvocation']));
  });

  test('one StagingAccountExtension per staging account and stack: a second fails at synth naming both paths', () => {
    const stack = targetStack();
    new StagingAccountExtension(stack, 'Staging1', { stagingAccountId: STAGING });
    expect(() => new StagingAccountExtension(stack, 'Staging1Again', { stagingAccountId: STAGING, selector: ServerSelector.hostnameMatches('db-*') }))
      .toThrow(`StagingAccountExtension Target/Staging1Again: stagingAccountId '${STAGING}' is already declared by StagingAccountExtension Target/Staging1 in this stack`);
    // A per-server declaration of the same account may overlap (it takes precedence: docs/ownership.md).
    new ExtendedSourceServer(stack, 'One', { stagingSourceServerArn: `arn:aws:drs:${REGION}:${STAGING}:source-server/s-1234567890abcdef0` });
    new StagingAccountExtension(targetStack(), 'Staging1', { stagingAccountId: STAGING });
  });

  test('RETAIN keeps the servers; SNAPSHOT is refused', () => {
    const stack = targetStack();
    new StagingAccountExtension(stack, 'Kept', { stagingAccountId: STAGING, removalPolicy: RemovalPolicy.RETAIN });
    expect(onlyResource(stack, CR_TYPE).resource).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    const ext = new StagingAccountExtension(targetStack(), 'X', { stagingAccountId: STAGING });
    expect(() => ext.applyRemovalPolicy(RemovalPolicy.SNAPSHOT)).toThrow('removalPolicy RemovalPolicy.SNAPSHOT is not supported');
  });

  test('invalid props fail at synth, naming the construct and every prop', () => {
    expect(() => new StagingAccountExtension(targetStack(), 'Bad', {
      stagingAccountId: '12345',
      selector: ServerSelector.allOf(ServerSelector.hostnameMatches('x'.repeat(300)), ServerSelector.hasTag('')),
      tags: { 'aws:owner': 'x', [OwnerTags.STACK_ID]: 'y' },
      removalPolicy: RemovalPolicy.SNAPSHOT,
    })).toThrow(new RegExp([
      '^StagingAccountExtension Target/Bad: stagingAccountId must be a 12-digit AWS account id, got \'12345\'',
      'selector.Selectors\\[0\\].Patterns\\[0\\] must be a string of 1-',
      'selector.Selectors\\[1\\].Key must be a tag key of 1-256 characters, got ""',
      'tags key \'aws:owner\' uses the reserved prefix',
    ].join('.*')));
    expect(() => new StagingAccountExtension(targetStack(), 'Own', { stagingAccountId: TARGET }))
      .toThrow(`StagingAccountExtension Target/Own: stagingAccountId ${TARGET} is this stack's own account`);
  });

  test('a selector with nothing to match fails where it is made, naming the method (not the wire field)', () => {
    expect(() => ServerSelector.hostnameMatches()).toThrow("ServerSelector.hostnameMatches() needs at least one hostname pattern, e.g. ServerSelector.hostnameMatches('web-*')");
    expect(() => ServerSelector.tagEquals('env')).toThrow("ServerSelector.tagEquals('env') needs at least one value; for any value use ServerSelector.hasTag('env')");
    expect(() => ServerSelector.allOf()).toThrow('ServerSelector.allOf() needs at least one selector');
    expect(() => ServerSelector.noneOf()).toThrow('ServerSelector.noneOf() needs at least one selector');
    expect(() => ExtendedServerSelector.hostnameMatches()).toThrow('ExtendedServerSelector.hostnameMatches() needs at least one hostname pattern');
  });

  test('an ExtendedServerSelector (target-account tags, for drills) is refused, saying which selector reads which account\'s tags', () => {
    expect(() => new StagingAccountExtension(targetStack(), 'Wrong', { stagingAccountId: STAGING, selector: ExtendedServerSelector.all() as any }))
      .toThrow("StagingAccountExtension Target/Wrong: selector must be a ServerSelector (it reads the staging servers' tags in the staging account); " +
        "an ExtendedServerSelector reads extended servers' tags in the target account and is for RecoveryDrill");
  });

  test('exposes counts as number attributes and the owner tags (stack id, logical id)', () => {
    const stack = targetStack();
    const ext = new StagingAccountExtension(stack, 'Staging1', { stagingAccountId: STAGING });
    const { logicalId } = onlyResource(stack, CR_TYPE);
    expect(stack.resolve(ext.serverCount)).toEqual({ 'Fn::GetAtt': [logicalId, 'ServerCount'] });
    expect(stack.resolve(ext.extensionErrorCount)).toEqual({ 'Fn::GetAtt': [logicalId, 'ExtensionErrorCount'] });
    expect(stack.resolve(ext.pendingCount)).toEqual({ 'Fn::GetAtt': [logicalId, 'PendingCount'] });
    expect(stack.resolve(ext.ownerTags)).toEqual({ [OwnerTags.STACK_ID]: { Ref: 'AWS::StackId' }, [OwnerTags.LOGICAL_ID]: logicalId });
    expect(ext.stagingAccountId).toBe(STAGING);
    expect(ext.reconcileRule).toBeUndefined();
    expect(Object.keys(resourcesOf(stack, 'AWS::Events::Rule'))).toHaveLength(0);
  });

  test('grant() scopes the actions to servers carrying this resource\'s owner tags', () => {
    const stack = targetStack();
    const ext = new StagingAccountExtension(stack, 'Staging1', { stagingAccountId: STAGING });
    const role = new iam.Role(stack, 'Operators', { assumedBy: new iam.AccountRootPrincipal() });
    ext.grant(role, 'drs:StartRecovery');
    const { logicalId } = onlyResource(stack, CR_TYPE);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Operators') }],
      PolicyDocument: {
        Statement: [{
          Action: 'drs:StartRecovery',
          Effect: 'Allow',
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:drs:${REGION}:${TARGET}:source-server/*`]] },
          Condition: { StringEquals: { [`aws:ResourceTag/${OwnerTags.STACK_ID}`]: { Ref: 'AWS::StackId' }, [`aws:ResourceTag/${OwnerTags.LOGICAL_ID}`]: logicalId } },
        }],
      },
    });
  });
});

describe('per-server declarations of the same stack', () => {
  test('lists the stack\'s ExtendedSourceServers of its staging account with their tags, sorted; left out when there are none', () => {
    const stack = targetStack();
    const arn = (account: string, n: number) => `arn:aws:drs:${REGION}:${account}:source-server/s-${String(n).repeat(17)}`;
    const extension = new StagingAccountExtension(stack, 'Staging1', { stagingAccountId: STAGING });
    // Declared after the extension: resolved at synthesis.
    new ExtendedSourceServer(stack, 'Web2', { stagingSourceServerArn: arn(STAGING, 2), tags: { team: 'b' } });
    new ExtendedSourceServer(stack, 'Web1', { stagingSourceServerArn: arn(STAGING, 1) });
    new ExtendedSourceServer(stack, 'Other', { stagingSourceServerArn: arn('333333333333', 3) });
    new StagingAccountExtension(stack, 'Staging3', { stagingAccountId: '444444444444' });
    const found = resourcesOf(stack, CR_TYPE);
    const logicalId = stack.getLogicalId(extension.node.findChild('Resource').node.defaultChild as CfnResource);
    expect(found[logicalId].Properties.PerServerDeclarations).toEqual([
      { StagingSourceServerArn: arn(STAGING, 1) },
      { StagingSourceServerArn: arn(STAGING, 2), Tags: { team: 'b' } },
    ]);
    const other = Object.entries<any>(found).find(([id]) => id !== logicalId)![1];
    expect(other.Properties).not.toHaveProperty('PerServerDeclarations');
    // The handler reads what the construct writes.
    expect(parseStagingAccountExtensionProperties(found[logicalId].Properties).perServer.get(arn(STAGING, 2))).toEqual({ team: 'b' });
    // Each per-server resource depends on the extension of its staging account (declared before or after it), and only on that one.
    const servers = resourcesOf(stack, 'Custom::DrsExtendedSourceServer');
    const dependsOn = (id: string) => servers[Object.keys(servers).find((k) => k.startsWith(id))!].DependsOn ?? [];
    expect(dependsOn('Web1')).toContain(logicalId);
    expect(dependsOn('Web2')).toContain(logicalId);
    expect(dependsOn('Other')).not.toContain(logicalId);
    expect([...dependsOn('Web1'), ...dependsOn('Other')].some((d: string) => d.startsWith('Staging3'))).toBe(false);
  });
});

describe('reconcile schedule', () => {
  test('a rule invokes the stack\'s handler naming the resource; the properties are in its resolved Metadata', () => {
    const stack = targetStack();
    const ext = new StagingAccountExtension(stack, 'Staging1', {
      stagingAccountId: STAGING,
      selector: ServerSelector.hostnameMatches('web-*'),
      tags: { Application: 'erp' },
      reconcileSchedule: events.Schedule.rate(Duration.hours(1)),
    });
    expect(ext.reconcileRule).toBeDefined();
    const template = Template.fromStack(stack).toJSON() as CfnTemplate;
    const { logicalId, resource } = onlyResource(stack, CR_TYPE);
    const { logicalId: ruleId, resource: rule } = onlyResource(stack, 'AWS::Events::Rule');
    const fnId = Object.keys(resourcesOf(stack, 'AWS::Lambda::Function'))[0];
    expect(rule.Properties.ScheduleExpression).toBe('rate(1 hour)');
    expect(rule.Properties.Targets).toHaveLength(1);
    expect(rule.Properties.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
    expect(template.Resources![ruleId].DependsOn).toEqual(expect.arrayContaining([logicalId]));

    const input = JSON.parse(String(resolve(template, rule.Properties.Targets[0].Input, ctx)));
    expect(input).toEqual({ RequestType: 'Reconcile', ResourceType: CR_TYPE, StackId: STACK_ID, LogicalResourceId: logicalId });
    const { ServiceToken: _token, ...properties } = resource.Properties;
    expect(template.Resources![logicalId].Metadata).toMatchObject({ 'cdk-drs-multi-account:reconcile': properties });
    // EventBridge may invoke the function.
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com', FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
    });
  });

  test('many tags and a large selector: the rule\'s Input stays far below EventBridge\'s 8,192 characters', () => {
    const stack = targetStack();
    const tags = Object.fromEntries(Array.from({ length: 47 }, (_, i) => [`tag-key-${i}-${'k'.repeat(100)}`, 'v'.repeat(256)]));
    new StagingAccountExtension(stack, 'Staging1', {
      stagingAccountId: STAGING,
      selector: ServerSelector.hostnameMatches(...Array.from({ length: 50 }, (_, i) => `host-${i}-${'x'.repeat(40)}-*`)),
      tags,
      reconcileSchedule: events.Schedule.rate(Duration.hours(1)),
    });
    const template = Template.fromStack(stack).toJSON() as CfnTemplate;
    const { resource: rule } = onlyResource(stack, 'AWS::Events::Rule');
    const input = String(resolve(template, rule.Properties.Targets[0].Input, ctx));
    expect(input.length).toBeLessThan(1000);
  });

  test('overrideLogicalId after construction: the rule and the owner tags name the final logical id', () => {
    const stack = targetStack();
    const ext = new StagingAccountExtension(stack, 'Staging1', { stagingAccountId: STAGING, reconcileSchedule: events.Schedule.rate(Duration.hours(1)) });
    (ext.node.findChild('Resource').node.defaultChild as CfnResource).overrideLogicalId('RenamedExtension');
    const template = Template.fromStack(stack).toJSON() as CfnTemplate;
    expect(template.Resources!.RenamedExtension.Type).toBe(CR_TYPE);
    const { resource: rule } = onlyResource(stack, 'AWS::Events::Rule');
    expect(JSON.parse(String(resolve(template, rule.Properties.Targets[0].Input, ctx))).LogicalResourceId).toBe('RenamedExtension');
    expect(stack.resolve(ext.ownerTags[OwnerTags.LOGICAL_ID])).toBe('RenamedExtension');
  });
});

describe('handler role for staging-account extension, evaluated', () => {
  const stack = targetStack();
  new StagingAccountExtension(stack, 'Staging1', { stagingAccountId: STAGING });
  const template = Template.fromStack(stack).toJSON() as CfnTemplate;
  const roleId = Object.keys(resourcesOf(stack, 'AWS::IAM::Role'))[0];
  const fnId = Object.keys(resourcesOf(stack, 'AWS::Lambda::Function'))[0];
  const fnArn = `arn:aws:lambda:${REGION}:${TARGET}:function:Target-Handler`;
  const authorize = authorizerFromTemplate(template, roleId, { ...ctx, attributes: { [fnId]: { Arn: fnArn } } });
  const allowed = (action: string, resource: string, context: Record<string, string | string[]> = {}) =>
    authorize({ action, resource, account: TARGET, region: REGION, context }).allowed;
  const owner = { [OwnerTags.STACK_ID]: STACK_ID, [OwnerTags.LOGICAL_ID]: 'Staging1' };
  const server = `arn:aws:drs:${REGION}:${TARGET}:source-server/s-0123456789abcdef0`;

  test('lists extensible servers, reads and extends with the owner tags', () => {
    expect(allowed('drs:ListExtensibleSourceServers', '*')).toBe(true);
    expect(allowed('drs:DescribeSourceServers', '*')).toBe(true);
    const request = { ...Object.fromEntries(Object.entries(owner).map(([k, v]) => [`aws:RequestTag/${k}`, v])), 'aws:TagKeys': Object.keys(owner) };
    expect(allowed('drs:CreateExtendedSourceServer', '*', request)).toBe(true);
    expect(allowed('drs:CreateExtendedSourceServer', '*')).toBe(false);
  });

  test('removes and re-tags only servers of its stack', () => {
    const ours = { [`aws:ResourceTag/${OwnerTags.STACK_ID}`]: STACK_ID };
    const theirs = { [`aws:ResourceTag/${OwnerTags.STACK_ID}`]: STACK_ID.replace('Target', 'Other') };
    expect(allowed('drs:DeleteSourceServer', server, ours)).toBe(true);
    expect(allowed('drs:DisconnectSourceServer', server, ours)).toBe(true);
    expect(allowed('drs:TagResource', server, { ...ours, 'aws:TagKeys': ['team'], 'aws:RequestTag/team': 'x' })).toBe(true);
    expect(allowed('drs:DeleteSourceServer', server, theirs)).toBe(false);
    expect(allowed('drs:DeleteSourceServer', server)).toBe(false);
  });

  test('invokes its own function and no other', () => {
    expect(allowed('lambda:InvokeFunction', fnArn)).toBe(true);
    expect(allowed('lambda:InvokeFunction', `arn:aws:lambda:${REGION}:${TARGET}:function:another`)).toBe(false);
  });
});

describe('cdk-nag AwsSolutions', () => {
  beforeEach(() => jest.spyOn(console, 'error').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  test('a stack with extensions and a schedule has no unacknowledged finding', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'drs-sae-'));
    try {
      const app = new App({ outdir, context: { '@aws-cdk/core:failSynthOnValidationErrors': 'false' } });
      const stack = targetStack(app);
      new StagingAccountExtension(stack, 'Staging1', { stagingAccountId: STAGING, reconcileSchedule: events.Schedule.rate(Duration.hours(6)) });
      new StagingAccountExtension(stack, 'Staging2', { stagingAccountId: '333333333333' });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      app.synth();
      const reportFile = path.join(outdir, 'validation-report.json');
      // Written whenever the plugin ran; it lists only plugins that found something.
      const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
      const findings = report.pluginReports.flatMap((r: any) => r.violations.flatMap((v: any) =>
        v.violatingConstructs.map((c: any) => `${v.ruleName} at ${c.constructPath}`)));
      expect(findings).toEqual([]);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});
