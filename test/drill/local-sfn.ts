/**
 * A Step Functions endpoint (AWS JSON 1.0) for the two reads the drill's sweeper makes,
 * `DescribeExecution` and `ListExecutions`, answered from a table of execution statuses that the
 * test owns (and may change between calls). Reached through the SDK's standard
 * `AWS_ENDPOINT_URL_SFN`. Test support only.
 */
import * as http from 'http';
import { AddressInfo } from 'net';

export interface LocalSfnOptions {
  readonly region: string;
  readonly account: string;
  /** The state machine whose executions the table holds. */
  readonly stateMachineName: string;
}

export interface LocalSfn {
  readonly url: string;
  readonly stateMachineArn: string;
  /** The `x-amz-target` of every request, in order. */
  readonly targets: string[];
  close(): Promise<void>;
}

export async function startLocalSfn(o: LocalSfnOptions, statuses: Record<string, string>): Promise<LocalSfn> {
  const stateMachineArn = `arn:aws:states:${o.region}:${o.account}:stateMachine:${o.stateMachineName}`;
  const executionPrefix = `arn:aws:states:${o.region}:${o.account}:execution:${o.stateMachineName}:`;
  const targets: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      const target = String(req.headers['x-amz-target'] ?? '');
      targets.push(target);
      const send = (code: number, payload: unknown, type?: string) => {
        res.writeHead(code, { 'content-type': 'application/x-amz-json-1.0', ...(type ? { 'x-amzn-errortype': type } : {}) });
        res.end(JSON.stringify(payload));
      };
      if (target === 'AWSStepFunctions.DescribeExecution') {
        const arn = String(body.executionArn);
        const name = arn.slice(executionPrefix.length);
        if (!arn.startsWith(executionPrefix) || !(name in statuses)) {
          send(400, { __type: 'ExecutionDoesNotExist', message: `Execution Does Not Exist: '${arn}'` }, 'ExecutionDoesNotExist');
          return;
        }
        send(200, { executionArn: arn, stateMachineArn, name, status: statuses[name], startDate: 1780000000 });
      } else if (target === 'AWSStepFunctions.ListExecutions') {
        if (body.stateMachineArn !== stateMachineArn) {
          send(400, { __type: 'StateMachineDoesNotExist', message: `State Machine Does Not Exist: '${body.stateMachineArn}'` }, 'StateMachineDoesNotExist');
          return;
        }
        const listed = Object.entries(statuses).filter(([, s]) => body.statusFilter === undefined || s === body.statusFilter);
        send(200, { executions: listed.map(([name, status]) => ({ executionArn: `${executionPrefix}${name}`, stateMachineArn, name, status, startDate: 1780000000 })) });
      } else {
        send(400, { __type: 'UnknownOperationException', message: target }, 'UnknownOperationException');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stateMachineArn,
    targets,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
