/**
 * Errors the local DRS answers with. Modelled errors take their HTTP status and body members from
 * the model's error shapes; the few front-end errors that are not in the model (authentication,
 * unknown paths) carry their own status.
 */
import { model } from './model';
import { FieldProblem } from './validate';

export type ValidationReason = 'unknownOperation' | 'cannotParse' | 'fieldValidationFailed' | 'other';

export class DrsError extends Error {
  /**
   * @param type the error shape name, sent in `X-Amzn-Errortype`
   * @param fields body members (filtered through the error shape when it is modelled) and
   *   header members such as `retryAfterSeconds`
   * @param status only for errors the model does not define
   */
  constructor(
    readonly type: string,
    message: string,
    readonly fields: Record<string, unknown> = {},
    private readonly unmodelledStatus?: number,
  ) {
    super(message);
  }

  get status(): number {
    const s = model.shapes[this.type];
    return s?.error?.httpStatusCode ?? this.unmodelledStatus ?? 500;
  }
}

export function validationError(message: string, reason: ValidationReason, fieldList?: FieldProblem[]): DrsError {
  return new DrsError('ValidationException', message, { reason, ...(fieldList ? { fieldList } : {}) });
}

export function fieldValidationError(fieldList: FieldProblem[]): DrsError {
  const summary = fieldList.map((f) => `${f.name}: ${f.message}`).join('; ');
  return validationError(`Invalid request: ${summary}`, 'fieldValidationFailed', fieldList);
}

export const RESOURCE_TYPE_SOURCE_SERVER = 'SOURCE_SERVER';

export function notFound(resourceId: string, what = 'Source server'): DrsError {
  return new DrsError('ResourceNotFoundException', `${what} ${resourceId} not found`, {
    resourceId, resourceType: RESOURCE_TYPE_SOURCE_SERVER,
  });
}

export function conflict(resourceId: string, message: string): DrsError {
  return new DrsError('ConflictException', message, { resourceId, resourceType: RESOURCE_TYPE_SOURCE_SERVER });
}

export function accessDenied(account: string, action: string, resource: string, reason?: string): DrsError {
  return new DrsError('AccessDeniedException',
    `The caller in account ${account} is not authorized to perform: ${action} on resource: ${resource}${reason ? ` because ${reason}` : ''}`);
}

export function uninitialized(account: string, region: string): DrsError {
  return new DrsError('UninitializedAccountException',
    `Elastic Disaster Recovery is not initialized in account ${account} and Region ${region}. Call InitializeService first.`);
}
