/**
 * GetLaunchConfiguration / UpdateLaunchConfiguration in the local DRS (issue 17): the model's
 * routes and shapes (strictly validated), through the SDK, with the rules of README guess 68.
 */
import {
  CreateExtendedSourceServerCommand, GetLaunchConfigurationCommand, UpdateLaunchConfigurationCommand,
} from '@aws-sdk/client-drs';
import { client, raw, REGION, startWithAccounts, TARGET } from './helpers';
import { LocalDrs } from './index';
import { operation } from './model';
import { validateShape } from './validate';

let drs: LocalDrs;
let serverId: string;

beforeAll(async () => {
  const started = await startWithAccounts();
  drs = started.drs;
  const out = await client(drs, TARGET).send(new CreateExtendedSourceServerCommand({ sourceServerArn: started.staging.arn }));
  serverId = out.sourceServer!.sourceServerID!;
});
afterAll(async () => drs.stop());

test('a new server has DRS\'s defaults and a launch template id; the body is the model\'s LaunchConfiguration', async () => {
  const r = await raw(drs, TARGET, REGION, { method: 'POST', path: '/GetLaunchConfiguration', body: JSON.stringify({ sourceServerID: serverId }) });
  expect(r.status).toBe(200);
  expect(validateShape(operation('GetLaunchConfiguration').output!.shape, r.json, '', { strict: true })).toEqual([]);
  expect(r.json).toMatchObject({
    sourceServerID: serverId, ec2LaunchTemplateID: `lt-${serverId.slice(2)}`, targetInstanceTypeRightSizingMethod: 'BASIC', copyTags: false,
  });
});

test('UpdateLaunchConfiguration changes only the given fields, and GetLaunchConfiguration shows them', async () => {
  const c = client(drs, TARGET);
  const updated = await c.send(new UpdateLaunchConfigurationCommand({ sourceServerID: serverId, copyTags: true, targetInstanceTypeRightSizingMethod: 'NONE' }));
  expect(updated).toMatchObject({ copyTags: true, targetInstanceTypeRightSizingMethod: 'NONE', launchDisposition: 'STARTED' });
  const read = await c.send(new GetLaunchConfigurationCommand({ sourceServerID: serverId }));
  expect(read).toMatchObject({ copyTags: true, targetInstanceTypeRightSizingMethod: 'NONE', licensing: { osByol: false } });
});

test('an unknown server is ResourceNotFound; a bad enum value is refused by the model', async () => {
  const c = client(drs, TARGET);
  await expect(c.send(new GetLaunchConfigurationCommand({ sourceServerID: 's-0000000000000000f' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  await expect(c.send(new UpdateLaunchConfigurationCommand({ sourceServerID: serverId, launchDisposition: 'ON' as any })))
    .rejects.toMatchObject({ name: 'ValidationException' });
});
