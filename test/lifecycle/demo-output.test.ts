/**
 * The demo's output: the event table stays aligned with long logical ids, and the DRS call summary
 * explains why there are more deletes than servers.
 */
import { callSummary, formatEvent } from './demo';

describe('demo output', () => {
  test('event lines: the columns line up whatever the logical id; a cell longer than its column is shortened, not spilled', () => {
    const columns = { stack: 12, logicalId: 50, type: 31 };
    const lines = ['CdkDrsMultiAccountHandlerEventInvokeConfig260AF71D', 'Server1'].map((logicalId) =>
      formatEvent({ stackName: 'TargetStack', logicalId, resourceType: 'AWS::Lambda::EventInvokeConfig', status: 'CREATE_COMPLETE' }, columns));
    expect(lines.map((l) => l.indexOf('AWS::Lambda'))).toEqual([2 + 12 + 1 + 50 + 1, 2 + 12 + 1 + 50 + 1]);
    const long = formatEvent({ stackName: 'TargetStack', logicalId: 'x'.repeat(80), resourceType: 'T', status: 'S' }, columns);
    expect(long.indexOf(' T ')).toBe(2 + 12 + 1 + 50);
    expect(long).toContain('…');
  });

  test('the summary counts refused calls apart and explains the second delete per server', () => {
    const calls = [
      ...['DeleteSourceServer', 'DeleteSourceServer', 'DeleteSourceServer'].map((operation) => ({ operation, status: 409 })),
      ...['DisconnectSourceServer', 'DisconnectSourceServer', 'DisconnectSourceServer'].map((operation) => ({ operation, status: 200 })),
      ...['DeleteSourceServer', 'DeleteSourceServer', 'DeleteSourceServer'].map((operation) => ({ operation, status: 204 })),
    ];
    const lines = callSummary(calls, 3);
    expect(lines[0]).toBe('DRS calls: 9 (DeleteSourceServer 6 (3 refused), DisconnectSourceServer 3)');
    expect(lines.join('\n')).toContain('DeleteSourceServer 6 for 3 servers: this local DRS follows the API reference');
    expect(callSummary([{ operation: 'DeleteSourceServer', status: 204 }], 1)).toEqual(['DRS calls: 1 (DeleteSourceServer 1)']);
  });
});
