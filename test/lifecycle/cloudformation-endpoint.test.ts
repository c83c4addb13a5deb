/**
 * The local CloudFormation query endpoint, read with the real SDK client (which must parse its
 * XML), found through AWS_ENDPOINT_URL_CLOUDFORMATION as the handler finds it.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { answerCloudFormationQuery, RecordedEvent, StackViews } from './cloudformation-endpoint';
import { createCloudFormationClient } from '../../src/aws/cloudformation/client';
import { describeStackResource, listStackResources } from '../../src/aws/cloudformation/stack-resources';

const STACK_ID = 'arn:aws:cloudformation:us-east-1:222222222222:stack/Target/11111111-2222-3333-4444-555555555555';
const views = new StackViews();
let denied = false;
let server: http.Server;
let endpoint: string;

const event = (e: Partial<RecordedEvent> & Pick<RecordedEvent, 'logicalId' | 'status'>): RecordedEvent => ({
  stackId: STACK_ID, stackName: 'Target', resourceType: 'Custom::DrsStagingAccountExtension', current: new Map(), ...e,
});

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const answer = answerCloudFormationQuery(Buffer.concat(chunks).toString('utf8'), {
        findStack: (id) => views.findStack(id),
        authorize: () => (denied ? { allowed: false, reason: 'test' } : { allowed: true }),
      }, { pageSize: 2 });
      res.writeHead(answer.status, { 'content-type': 'text/xml' }).end(answer.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const saved = { ...process.env };
beforeAll(() => {
  // The SDK reads these itself, as in the handler process.
  process.env.AWS_ENDPOINT_URL_CLOUDFORMATION = endpoint;
  process.env.AWS_ACCESS_KEY_ID = 'AKIDLOCAL';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
});
afterAll(() => { process.env = saved; });

const clients: ReturnType<typeof createCloudFormationClient>[] = [];
afterAll(() => clients.forEach((c) => c.destroy()));
function client() {
  const c = createCloudFormationClient({ AWS_REGION: 'us-east-1' });
  clients.push(c);
  return c;
}

test('serves status, physical id and resolved Metadata; pages the resource list', async () => {
  views.record({ ...event({ logicalId: 'Target', resourceType: 'AWS::CloudFormation::Stack', status: 'CREATE_IN_PROGRESS' }) });
  views.record(event({ logicalId: 'Ext', status: 'CREATE_IN_PROGRESS', metadata: () => ({ Reconcile: { Tags: { a: 'x&<y>' } } }) }));
  views.record(event({ logicalId: 'Ext', status: 'CREATE_COMPLETE', physicalId: 'drs-staging-account:111111111111', metadata: () => ({ Reconcile: { Tags: { a: 'x&<y>' } } }) }));
  for (const id of ['Role', 'Fn']) {
    views.record(event({ logicalId: id, resourceType: 'AWS::IAM::Role', status: 'CREATE_COMPLETE', physicalId: `p-${id}` }));
  }
  const c = client();
  await expect(describeStackResource(c, STACK_ID, 'Ext')).resolves.toEqual({
    exists: true,
    status: 'CREATE_COMPLETE',
    physicalId: 'drs-staging-account:111111111111',
    type: 'Custom::DrsStagingAccountExtension',
    metadata: { Reconcile: { Tags: { a: 'x&<y>' } } },
  });
  const rows = await listStackResources(c, STACK_ID);
  expect(rows.map((r) => r.logicalId)).toEqual(['Ext', 'Role', 'Fn']);
  const stacks = await c.send(new DescribeStacksCommand({ StackName: 'Target' }));
  expect(stacks.Stacks?.[0].StackId).toBe(STACK_ID);
  await expect(describeStackResource(c, STACK_ID, 'Nope')).resolves.toEqual({ exists: false });
  await expect(describeStackResource(c, STACK_ID.replace('11111111', '99999999'), 'Ext')).resolves.toEqual({ exists: false });
});

test('deleting a replaced physical resource leaves the logical resource alone; a deleted stack shows DELETE_COMPLETE by id only', async () => {
  views.record(event({ logicalId: 'Ext', status: 'DELETE_IN_PROGRESS', physicalId: 'drs-staging-account:333333333333' }));
  const c = client();
  expect((await describeStackResource(c, STACK_ID, 'Ext')).status).toBe('CREATE_COMPLETE');
  views.record(event({ logicalId: 'Ext', status: 'DELETE_IN_PROGRESS', physicalId: 'drs-staging-account:111111111111' }));
  expect((await describeStackResource(c, STACK_ID, 'Ext')).status).toBe('DELETE_IN_PROGRESS');
  views.record(event({ logicalId: 'Target', resourceType: 'AWS::CloudFormation::Stack', status: 'DELETE_COMPLETE' }));
  expect((await describeStackResource(c, STACK_ID, 'Ext')).status).toBe('DELETE_COMPLETE');
  await expect(c.send(new DescribeStacksCommand({ StackName: 'Target' }))).rejects.toMatchObject({ name: 'ValidationError' });
});

test('an unauthorized caller gets AccessDenied', async () => {
  denied = true;
  try {
    await expect(describeStackResource(client(), STACK_ID, 'Ext')).rejects.toMatchObject({ name: 'AccessDenied' });
  } finally {
    denied = false;
  }
});
