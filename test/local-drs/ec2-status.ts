/**
 * EC2 `DescribeInstanceStatus` over the local DRS's recovery instances (whose ids are their EC2
 * instance ids), as the Step Functions AWS SDK integration answers it (PascalCase members):
 * a running instance's InstanceStatus and SystemStatus are `initializing` for `okAfterSeconds`
 * after its launch, then `ok`; `impair(sourceServerID)` makes the instance status of that
 * server's instances `impaired`. Test support only; every guess is in README.md ("EC2 status").
 */
import type { LocalDrs } from './index';

export interface Ec2StatusOptions {
  /** Seconds from a recovery instance's launch until its status checks are `ok`. @default 180 */
  readonly okAfterSeconds?: number;
}

/** An EC2 error as the SDK integration names it (`Ec2.<code>`). */
export class Ec2Error extends Error {
  constructor(code: string, message: string) {
    super(message);
    this.name = `Ec2.${code}`;
  }
}

export class Ec2InstanceStatus {
  /** Calls answered, for the tests' figures. */
  calls = 0;
  private readonly impaired = new Set<string>();
  private readonly okAfterSeconds: number;

  constructor(private readonly drs: LocalDrs, readonly account: string, readonly region: string, options: Ec2StatusOptions = {}) {
    this.okAfterSeconds = options.okAfterSeconds ?? 180;
  }

  /** The instance status checks of `sourceServerID`'s recovery instances fail (`impaired`). */
  impair(sourceServerID: string): this {
    this.impaired.add(sourceServerID);
    return this;
  }

  /** `ec2:DescribeInstanceStatus` with Step Functions' parameter names (InstanceIds, IncludeAllInstances). */
  describeInstanceStatus(input: { InstanceIds?: string[]; IncludeAllInstances?: boolean }): { InstanceStatuses: unknown[] } {
    this.calls += 1;
    for (const key of Object.keys(input ?? {})) {
      if (!['InstanceIds', 'IncludeAllInstances', 'Filters', 'MaxResults', 'NextToken', 'DryRun'].includes(key)) {
        throw new Ec2Error('InvalidParameterValue', `'${key}' is not a parameter of DescribeInstanceStatus`);
      }
    }
    const instances = this.drs.recovery.instances(this.account, this.region);
    const wanted = input.InstanceIds ?? instances.map((i) => i.id);
    const now = this.drs.now().getTime();
    const statuses: unknown[] = [];
    for (const id of wanted) {
      const instance = instances.find((i) => i.id === id);
      // EC2 answers an unknown id with InvalidInstanceID.NotFound (also some time after termination).
      if (!instance) throw new Ec2Error('InvalidInstanceIDNotFound', `The instance ID '${id}' does not exist`);
      const running = instance.ec2InstanceState === 'RUNNING';
      if (!running && !input.IncludeAllInstances) continue;
      const launched = Date.parse(instance.pointInTimeSnapshotDateTime);
      const ready = now >= launched + this.okAfterSeconds * 1000;
      const system = !running ? 'not-applicable' : ready ? 'ok' : 'initializing';
      const own = !running ? 'not-applicable' : this.impaired.has(instance.sourceServerID) && ready ? 'impaired' : system;
      const details = (s: string) => [{ Name: 'reachability', Status: s === 'ok' ? 'passed' : s === 'impaired' ? 'failed' : s }];
      statuses.push({
        InstanceId: id,
        AvailabilityZone: `${this.region}a`,
        InstanceState: running ? { Code: 16, Name: 'running' } : { Code: 32, Name: 'shutting-down' },
        InstanceStatus: { Status: own, Details: details(own) },
        SystemStatus: { Status: system, Details: details(system) },
      });
    }
    return { InstanceStatuses: statuses };
  }
}
