/**
 * The drill's safety rules over generated accounts (fast-check): whatever the servers do (launch,
 * fail, launch slowly), whatever else is in the account (instances launched by hand, a finished
 * recovery, another drill's job), and however the drill is configured (waves, timeout), the
 * synthesized state machine, run against the local DRS:
 * - starts only drills, of at most `serversPerJob` servers, never of a server that had an instance;
 * - terminates only drill instances its own jobs launched;
 * - leaves none of them behind once the terminations have run;
 * - leaves every other recovery instance exactly as it was.
 */
import { DescribeRecoveryInstancesCommand, RecoveryInstance, StartRecoveryCommand } from '@aws-sdk/client-drs';
import { Duration } from 'aws-cdk-lib';
import * as fc from 'fast-check';
import { drill, DrillWorld, REGION, startWorld, synthDrill, TARGET } from './world';
import { ExtendedSourceServer } from '../../src';
import { DrillTags } from '../../src/contract/drill';

jest.setTimeout(300_000);

type Fate = 'launches' | 'fails' | 'slow' | 'handInstance' | 'pastRecovery';

const scenario = fc.record({
  fates: fc.array(fc.constantFrom<Fate>('launches', 'launches', 'fails', 'slow', 'handInstance', 'pastRecovery'), { minLength: 1, maxLength: 7 }),
  slowSeconds: fc.integer({ min: 60, max: 600 }),
  serversPerJob: fc.integer({ min: 1, max: 4 }),
  timeoutMinutes: fc.integer({ min: 6, max: 30 }),
  otherDrill: fc.boolean(),
});

async function instances(w: DrillWorld): Promise<RecoveryInstance[]> {
  return (await w.target.send(new DescribeRecoveryInstancesCommand({ filters: {} }))).items ?? [];
}

test('over generated accounts, the drill touches only what it launched and leaves none of it behind', async () => {
  await fc.assert(fc.asyncProperty(scenario, async (s) => {
    const world = await startWorld({ servers: s.fates.length + 1 });
    try {
      const drilled = world.servers.slice(0, s.fates.length);
      const extra = world.servers[s.fates.length];
      for (const [n, fate] of s.fates.entries()) {
        const id = drilled[n];
        if (fate === 'fails') world.drs.faults.failLaunch(id);
        if (fate === 'slow') world.drs.faults.slowLaunch(id, s.slowSeconds);
        if (fate === 'handInstance') world.drs.addRecoveryInstance(TARGET, REGION, id);
        if (fate === 'pastRecovery') {
          await world.target.send(new StartRecoveryCommand({ sourceServers: [{ sourceServerID: id }], isDrill: false }));
        }
      }
      world.drs.advanceTime(400_000); // past recoveries end before the drill
      if (s.otherDrill) {
        await world.target.send(new StartRecoveryCommand({ sourceServers: [{ sourceServerID: extra }], isDrill: true, tags: { [DrillTags.DRILL]: 'other' } }));
      }
      const before = await instances(world);
      const { definition } = synthDrill((stack) => ({
        servers: drilled.map((id, i) => ExtendedSourceServer.fromSourceServerId(stack, `S${i}`, id)),
        serversPerJob: s.serversPerJob,
        timeout: Duration.minutes(s.timeoutMinutes),
      }));
      const run = await drill(world, definition, 'generated');

      const starts = run.sdkCalls.filter((c) => c.operation === 'StartRecovery' && !c.error);
      const hadInstance = new Set(before.map((i) => i.sourceServerID));
      for (const c of starts) {
        expect(c.input.isDrill).toBe(true);
        expect(c.input.sourceServers.length).toBeLessThanOrEqual(s.serversPerJob);
        for (const srv of c.input.sourceServers) expect(hadInstance.has(srv.sourceServerID)).toBe(false);
      }
      const ownJobs = new Set<string>(run.events[0]?.Detail.jobIds ?? []);
      const terminated = run.sdkCalls.filter((c) => c.operation === 'TerminateRecoveryInstances').flatMap((c) => c.input.recoveryInstanceIDs);
      const beforeIds = new Set(before.map((i) => i.recoveryInstanceID));
      for (const id of terminated) expect(beforeIds.has(id)).toBe(false);

      world.drs.advanceTime(3 * 3_600_000); // every job and termination has ended
      const after = await instances(world);
      // None of its instances is left, except those of a job the result reports as not ended
      // (DRS cannot cancel a job; the drill waits up to its timeout again, then reports it).
      const left = after.filter((i) => i.jobID !== undefined && ownJobs.has(i.jobID));
      const unfinished = new Set<string>((run.events[0]?.Detail.servers ?? [])
        .filter((srv: any) => String(srv.reason ?? '').includes('had not ended')).map((srv: any) => srv.jobId));
      for (const i of left) expect(unfinished.has(i.jobID!)).toBe(true);
      if (s.timeoutMinutes * 60 >= s.slowSeconds + 390) expect(left).toEqual([]);
      // Everything that was there before is still there, the same instance of the same kind.
      const afterById = new Map(after.map((i) => [i.recoveryInstanceID, i]));
      for (const i of before) {
        expect(afterById.get(i.recoveryInstanceID)).toMatchObject({ sourceServerID: i.sourceServerID, isDrill: i.isDrill });
      }
      // The other drill's instance (launched during this drill) is not this drill's to terminate.
      if (s.otherDrill) expect(after.some((i) => i.sourceServerID === extra && i.jobID !== undefined && !ownJobs.has(i.jobID))).toBe(true);
    } finally {
      await world.stop();
    }
  }), { numRuns: 10, seed: 20261201 });
});
