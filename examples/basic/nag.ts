import { App, IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport } from 'aws-cdk-lib';
// eslint-disable-next-line import/no-extraneous-dependencies
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * cdk-nag's AWS Solutions checks as a validation plugin for `Validations.of(app).addPlugins()`.
 *
 * cdk-nag 3 reads the construct tree from `context.appConstruct`, which aws-cdk-lib 2.257 does
 * not pass yet (it passes only template paths), so `addPlugins(new AwsSolutionsChecks(app))`
 * alone reports "NagPack requires a construct tree" instead of checking anything. This wrapper
 * hands the app to the pack; with a CDK that passes the tree it changes nothing.
 */
export function awsSolutionsChecks(app: App): IPolicyValidationPlugin {
  const pack = new AwsSolutionsChecks(app);
  return {
    name: pack.name,
    version: pack.version,
    ruleIds: pack.ruleIds,
    validate: (context: IPolicyValidationContext): PolicyValidationPluginReport =>
      pack.validate({ ...context, appConstruct: app } as IPolicyValidationContext),
  };
}
