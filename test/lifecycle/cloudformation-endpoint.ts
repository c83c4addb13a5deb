/**
 * A local CloudFormation query endpoint (the awsQuery protocol: a form-encoded POST, an XML
 * answer the AWS SDK parses) serving DescribeStackResource, ListStackResources and DescribeStacks
 * from the lifecycle driver's stack state. The handler reaches it through the SDK's standard
 * `AWS_ENDPOINT_URL_CLOUDFORMATION`. Test support only.
 *
 * As CloudFormation does: Metadata is returned resolved (intrinsic functions evaluated) as a JSON
 * string; a stack is found by name (live stacks only) or by stack id (deleted stacks too, whose
 * resources then show DELETE_COMPLETE); a missing stack or resource is a 400 `ValidationError`
 * "... does not exist"; ListStackResources pages with NextToken.
 */

/** One resource as the endpoint serves it. */
export interface CfnResourceView {
  readonly logicalId: string;
  readonly physicalId?: string;
  readonly type: string;
  readonly status: string;
  readonly statusReason?: string;
  /** Resolved Metadata, or undefined when the template declares none. */
  readonly metadata?: unknown;
  readonly lastUpdated: Date;
}

export interface CfnStackView {
  readonly stackId: string;
  readonly stackName: string;
  readonly status: string;
  /** True once the stack is deleted: found by stack id only. */
  readonly deleted: boolean;
  readonly resources: readonly CfnResourceView[];
}

export interface CloudFormationBackend {
  /** The stack with this id, or the live stack with this name. */
  findStack(nameOrId: string): CfnStackView | undefined;
  /** Authorizes the caller (the running handler) for `action` on the stack's ARN. */
  authorize(action: string, stackId: string): { readonly allowed: boolean; readonly reason?: string };
}

export interface CloudFormationEndpointOptions {
  /** Rows per ListStackResources page. @default 100 */
  readonly pageSize?: number;
}

export interface QueryAnswer {
  readonly status: number;
  readonly body: string;
}

const XMLNS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
let requestCounter = 0;

function esc(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function el(name: string, value: string | undefined): string {
  return value === undefined ? '' : `<${name}>${esc(value)}</${name}>`;
}

function requestId(): string {
  requestCounter += 1;
  return `00000000-0000-4000-8000-${String(requestCounter).padStart(12, '0')}`;
}

function ok(action: string, result: string): QueryAnswer {
  return {
    status: 200,
    body: `<${action}Response xmlns="${XMLNS}"><${action}Result>${result}</${action}Result>` +
      `<ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></${action}Response>`,
  };
}

function error(status: number, code: string, message: string): QueryAnswer {
  return {
    status,
    body: `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${esc(code)}</Code>` +
      `<Message>${esc(message)}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`,
  };
}

function resourceXml(stack: CfnStackView, r: CfnResourceView, withMetadata: boolean, timestampName: string): string {
  return el('StackName', withMetadata ? stack.stackName : undefined) +
    el('StackId', withMetadata ? stack.stackId : undefined) +
    el('LogicalResourceId', r.logicalId) +
    el('PhysicalResourceId', r.physicalId) +
    el('ResourceType', r.type) +
    el(timestampName, r.lastUpdated.toISOString()) +
    el('ResourceStatus', r.status) +
    el('ResourceStatusReason', r.statusReason) +
    (withMetadata && r.metadata !== undefined ? el('Metadata', JSON.stringify(r.metadata)) : '');
}

/** Answers one awsQuery request body (`Action=...&Version=2010-05-15&...`). */
export function answerCloudFormationQuery(
  body: string, backend: CloudFormationBackend, options: CloudFormationEndpointOptions = {},
): QueryAnswer {
  const params = new URLSearchParams(body);
  const action = params.get('Action') ?? '';
  const stackName = params.get('StackName') ?? '';
  const known = ['DescribeStackResource', 'ListStackResources', 'DescribeStacks'];
  if (!known.includes(action)) return error(400, 'InvalidAction', `The action ${action || '(none)'} is not valid for this endpoint.`);
  if (!stackName && action !== 'DescribeStacks') return error(400, 'ValidationError', '1 validation error detected: Value null at \'stackName\' failed to satisfy constraint: Member must not be null');
  const stack = stackName ? backend.findStack(stackName) : undefined;
  const stackArn = stack?.stackId ?? stackName;
  const decision = backend.authorize(`cloudformation:${action}`, stackArn);
  if (!decision.allowed) {
    return error(403, 'AccessDenied', `User is not authorized to perform: cloudformation:${action} on resource: ${stackArn}` +
      (decision.reason ? ` (${decision.reason})` : ''));
  }
  if (!stack) return error(400, 'ValidationError', `Stack with id ${stackName} does not exist`);

  switch (action) {
    case 'DescribeStackResource': {
      const logicalId = params.get('LogicalResourceId') ?? '';
      const r = stack.resources.find((x) => x.logicalId === logicalId);
      if (!r) return error(400, 'ValidationError', `Resource ${logicalId} does not exist for stack ${stack.stackName}`);
      return ok(action, `<StackResourceDetail>${resourceXml(stack, r, true, 'LastUpdatedTimestamp')}</StackResourceDetail>`);
    }
    case 'ListStackResources': {
      const pageSize = Math.max(1, options.pageSize ?? 100);
      const start = Number(params.get('NextToken') ?? '0');
      if (!Number.isInteger(start) || start < 0 || start > stack.resources.length) return error(400, 'ValidationError', 'Invalid NextToken');
      const page = stack.resources.slice(start, start + pageSize);
      const next = start + pageSize < stack.resources.length ? String(start + pageSize) : undefined;
      const rows = page.map((r) => `<member>${resourceXml(stack, r, false, 'LastUpdatedTimestamp')}</member>`).join('');
      return ok(action, `<StackResourceSummaries>${rows}</StackResourceSummaries>${el('NextToken', next)}`);
    }
    default: {
      const created = stack.resources[0]?.lastUpdated ?? new Date(0);
      return ok(action, '<Stacks><member>' + el('StackId', stack.stackId) + el('StackName', stack.stackName) +
        el('CreationTime', created.toISOString()) + el('StackStatus', stack.status) + '</member></Stacks>');
    }
  }
}

/** A stack event as the driver emits it, with what the view needs to follow it. */
export interface RecordedEvent {
  readonly stackId: string;
  readonly stackName: string;
  /** The stack's name for stack-level events. */
  readonly logicalId: string;
  readonly resourceType: string;
  readonly status: string;
  readonly physicalId?: string;
  readonly reason?: string;
  /** The resource's Metadata from the template being deployed, resolved (resource events only). */
  readonly metadata?: () => unknown;
  /** The resources the stack holds now, by logical id (their physical ids): stack-level events resync to it. */
  readonly current: ReadonlyMap<string, { readonly physicalId: string; readonly type: string }>;
}

interface MutableResource {
  logicalId: string;
  physicalId?: string;
  type: string;
  status: string;
  statusReason?: string;
  metadata?: unknown;
  lastUpdated: Date;
}

interface MutableStack {
  readonly stackId: string;
  readonly stackName: string;
  status: string;
  deleted: boolean;
  readonly resources: Map<string, MutableResource>;
}

const STACK_TYPE = 'AWS::CloudFormation::Stack';
const SETTLED = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE']);
const GONE = new Set(['DELETE_COMPLETE', 'ROLLBACK_COMPLETE']);

/**
 * The stacks as CloudFormation's read APIs show them, kept from the driver's event stream.
 * Deleting an old physical resource after a replacement does not change the logical resource's
 * status (its recorded physical id is the new one); a settled stack resyncs to what it holds.
 */
export class StackViews implements Pick<CloudFormationBackend, 'findStack'> {
  private readonly stacks = new Map<string, MutableStack>();

  record(e: RecordedEvent): void {
    let stack = this.stacks.get(e.stackId);
    if (!stack) {
      stack = { stackId: e.stackId, stackName: e.stackName, status: 'CREATE_IN_PROGRESS', deleted: false, resources: new Map() };
      this.stacks.set(e.stackId, stack);
    }
    const now = new Date();
    if (e.resourceType === STACK_TYPE && e.logicalId === e.stackName) {
      stack.status = e.status;
      if (GONE.has(e.status)) {
        stack.deleted = true;
        for (const r of stack.resources.values()) {
          if (r.status !== 'DELETE_SKIPPED') r.status = 'DELETE_COMPLETE';
        }
      } else if (SETTLED.has(e.status)) {
        for (const [id, r] of stack.resources) {
          const held = e.current.get(id);
          if (!held) stack.resources.delete(id);
          else if (r.status.startsWith('DELETE_')) Object.assign(r, { physicalId: held.physicalId, status: 'UPDATE_COMPLETE', lastUpdated: now });
        }
      }
      return;
    }
    const existing = stack.resources.get(e.logicalId);
    if (e.status.startsWith('DELETE_') && existing?.physicalId !== undefined && e.physicalId !== undefined && existing.physicalId !== e.physicalId) {
      return; // cleanup of a replaced physical resource
    }
    const metadata = e.metadata?.();
    const next: MutableResource = existing ?? { logicalId: e.logicalId, type: e.resourceType, status: e.status, lastUpdated: now };
    next.status = e.status;
    next.statusReason = e.reason;
    next.lastUpdated = now;
    if (e.physicalId !== undefined) next.physicalId = e.physicalId;
    if (!e.status.startsWith('DELETE_')) next.metadata = metadata;
    stack.resources.set(e.logicalId, next);
  }

  findStack(nameOrId: string): CfnStackView | undefined {
    const byId = this.stacks.get(nameOrId);
    const stack = byId ?? [...this.stacks.values()].reverse().find((s) => s.stackName === nameOrId && !s.deleted);
    if (!stack) return undefined;
    return {
      stackId: stack.stackId,
      stackName: stack.stackName,
      status: stack.status,
      deleted: stack.deleted,
      resources: [...stack.resources.values()].map((r) => ({ ...r })),
    };
  }
}
