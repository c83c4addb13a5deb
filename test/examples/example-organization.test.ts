import * as fs from 'fs';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { buildExampleApp } from '../../examples/organization/app-builder';
import { tmpOutdirs } from '../support/tmp-outdir';

const tmpOutdir = tmpOutdirs('drs-org-example-');

const STAGING = ['111111111111', '333333333333', '444444444444'];

function extensions(template: Template): Array<Record<string, any>> {
  return Object.values(template.findResources('Custom::DrsStagingAccountExtension')).map((r) => r.Properties);
}

describe('organization example app', () => {
  test('the management account rolls the trust out to the staging OU; the target extends each staging account after it', () => {
    const { trustStacks, targetStack, stagingAccounts } = buildExampleApp({ outdir: tmpOutdir(), nag: false });
    expect(stagingAccounts).toEqual(STAGING);
    expect(trustStacks.map((s) => [s.stackName, s.account, s.region])).toEqual([['OrganizationTrustStack', '999999999999', 'us-east-1']]);
    expect([targetStack.account, targetStack.region]).toEqual(['222222222222', 'us-east-1']);
    expect(targetStack.dependencies).toEqual(trustStacks);

    const stackSets = Object.values(Template.fromStack(trustStacks[0]).findResources('AWS::CloudFormation::StackSet'));
    expect(stackSets).toHaveLength(1);
    const props = stackSets[0].Properties;
    expect(props).toMatchObject({
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true },
      StackInstancesGroup: [{ DeploymentTargets: { OrganizationalUnitIds: ['ou-ab12-cdef3456'] }, Regions: ['us-east-1'] }],
    });
    const roles = Object.values<any>(JSON.parse(props.TemplateBody).Resources).map((r) => r.Properties.RoleName);
    expect(roles).toEqual(['DRSStagingAccountRole_222222222222']);

    expect(extensions(Template.fromStack(targetStack))).toEqual(STAGING.map((account) => ({
      ServiceToken: expect.anything(),
      StagingAccountId: account,
      Selector: { Type: 'tag', Key: 'dr', Values: ['yes'] },
      Tags: { Application: 'example' },
    })));
  });

  test('trust=stacks: one trust stack per staging account, all deployed before the target', () => {
    const { trustStacks, targetStack } = buildExampleApp({ outdir: tmpOutdir(), nag: false, context: { trust: 'stacks' } });
    expect(trustStacks.map((s) => s.account)).toEqual(STAGING);
    expect(targetStack.dependencies).toEqual(trustStacks);
    for (const stack of trustStacks) {
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', { RoleName: 'DRSStagingAccountRole_222222222222' });
      Template.fromStack(stack).resourceCountIs('AWS::CloudFormation::StackSet', 0);
    }
  });

  test('context sets the accounts, OUs and tag; a bad value fails at synth naming it', () => {
    const { trustStacks, targetStack } = buildExampleApp({
      outdir: tmpOutdir(),
      nag: false,
      context: {
        managementAccount: '555555555555',
        targetAccount: '666666666666',
        stagingAccounts: '777777777777, 888888888888',
        organizationalUnitIds: 'ou-zz99-aaaa0000,r-zz99',
        application: 'erp',
      },
    });
    expect(trustStacks[0].account).toBe('555555555555');
    const props = Object.values(Template.fromStack(trustStacks[0]).findResources('AWS::CloudFormation::StackSet'))[0].Properties;
    expect(props.StackInstancesGroup[0].DeploymentTargets.OrganizationalUnitIds).toEqual(['ou-zz99-aaaa0000', 'r-zz99']);
    expect(props.TemplateBody).toContain('DRSStagingAccountRole_666666666666');
    expect(extensions(Template.fromStack(targetStack)).map((p) => [p.StagingAccountId, p.Tags.Application]))
      .toEqual([['777777777777', 'erp'], ['888888888888', 'erp']]);

    expect(() => buildExampleApp({ outdir: tmpOutdir(), nag: false, context: { organizationalUnitIds: 'ou-1' } }))
      .toThrow("StagingTrustStackSet OrganizationTrustStack/StagingTrust: organizationalUnitIds[0] must be an OU id like ou-ab12-cdef3456 or a root id like r-ab12, got 'ou-1'");
    expect(() => buildExampleApp({ outdir: tmpOutdir(), nag: false, context: { trust: 'both' } }))
      .toThrow("context 'trust' must be 'stackset' or 'stacks', got 'both'");
  });

  describe('cdk-nag AwsSolutions', () => {
    beforeEach(() => jest.spyOn(console, 'error').mockImplementation(() => undefined));
    afterEach(() => jest.restoreAllMocks());

    test.each(['stackset', 'stacks'])('trust=%s synthesizes with no unacknowledged finding', (trust) => {
      const outdir = tmpOutdir();
      buildExampleApp({ outdir, context: { 'trust': trust, '@aws-cdk/core:failSynthOnValidationErrors': 'false' } }).app.synth();
      // Written only when a plugin ran; lists only plugins that found something.
      const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
      expect(report.pluginReports).toEqual([]);
    });
  });
});
