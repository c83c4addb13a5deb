/**
 * The operations example deployed against the local DRS with the bundled handler: the target
 * account starts uninitialized, the stack initializes it and extends the servers; destroying the
 * stack removes its servers and nothing else.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ASSET } from './harness';
import { buildExampleApp } from '../../examples/operations/app-builder';
import { OwnerTags } from '../../src/contract';
import { AssemblyStack } from '../lifecycle/assembly';
import { LifecycleDriver } from '../lifecycle/driver';
import { LocalDrs } from '../local-drs';

jest.setTimeout(120_000);

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/**
 * The driver derives ARNs only for the resource types it knows, not KMS keys: give each key's
 * `Arn` attribute a fixed value of the right shape.
 */
function withKeyArns(stack: AssemblyStack): AssemblyStack {
  const keys = Object.keys(stack.template.Resources).filter((id) => stack.template.Resources[id].Type === 'AWS::KMS::Key');
  let text = JSON.stringify(stack.template);
  for (const id of keys) {
    text = text.split(JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] }))
      .join(JSON.stringify(`arn:aws:kms:${stack.region}:${stack.account}:key/00000000-0000-0000-0000-${id.slice(-12).padStart(12, '0')}`));
  }
  return { ...stack, template: JSON.parse(text) };
}

test('deploy with an uninitialized target account, then destroy', async () => {
  if (!fs.existsSync(ASSET)) throw new Error(`the handler bundle ${ASSET} is missing: run 'npx projen bundle' first`);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'drs-operations-e2e-'));
  outdirs.push(outdir);
  const { app, stagingStack, targetStack } = buildExampleApp({ outdir, nag: false });
  app.synth();
  const stacks = LifecycleDriver.stacks(outdir);
  const staging = withKeyArns(stacks[stagingStack.stackName]);
  const target = withKeyArns(stacks[targetStack.stackName]);

  const drs = await LocalDrs.start();
  const driver = await LifecycleDriver.start({ drs, maxInvocationMs: 60_000 });
  try {
    drs.addAccount(staging.account);
    drs.addAccount(target.account, { initialized: false });
    const declared = Object.values<any>(target.template.Resources)
      .filter((r) => r.Type === 'Custom::DrsExtendedSourceServer').map((r) => String(r.Properties.StagingSourceServerArn));
    for (const arn of declared) drs.addReplicatingServer(staging.account, staging.region, { sourceServerID: arn.split('/')[1] });
    const unrelated = drs.addReplicatingServer(staging.account, staging.region);

    expect(await driver.deploy(staging)).toEqual({ status: 'CREATE_COMPLETE', failures: [] });
    expect(await driver.deploy(target)).toEqual({ status: 'CREATE_COMPLETE', failures: [] });
    const extended = drs.inventory(target.account, target.region);
    expect(extended.map((s) => s.stagingArea?.stagingSourceServerArn).sort()).toEqual([...declared].sort());
    for (const s of extended) {
      expect(s.stagingArea?.status).toBe('EXTENDED');
      expect(s.tags).toMatchObject({ Application: 'operations-example', [OwnerTags.STACK_ID]: expect.stringContaining(`:stack/${target.stackName}/`) });
    }
    expect(drs.calls.filter((c) => c.errorType !== undefined)).toEqual([]);

    expect(await driver.destroy(target.stackName)).toEqual({ status: 'DELETE_COMPLETE', failures: [] });
    expect(drs.inventory(target.account, target.region)).toEqual([]);
    expect(await driver.destroy(staging.stackName)).toEqual({ status: 'DELETE_COMPLETE', failures: [] });
    expect(drs.inventory(staging.account, staging.region).map((s) => s.sourceServerID).sort())
      .toEqual([...declared.map((arn) => arn.split('/')[1]), unrelated.sourceServerID].sort());
  } finally {
    await driver.stop();
    await drs.stop();
  }
});
