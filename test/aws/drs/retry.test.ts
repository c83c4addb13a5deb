import { isRetryable, RetriesExhaustedError, retryAfterMs, withRetry } from '../../../src/aws/drs/retry';
import { errors, FakeClock } from '../../support/handler-fixtures';

function failing(...failures: unknown[]): { fn: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    fn: async () => {
      const failure = failures[calls++];
      if (failure !== undefined) throw failure;
      return 'ok';
    },
    calls: () => calls,
  };
}

describe('isRetryable', () => {
  test.each([
    ['ThrottlingException', errors.throttling()],
    ['InternalServerException', errors.internal()],
    ['socket reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['SDK timeout', Object.assign(new Error('Connection timed out'), { name: 'TimeoutError' })],
    ['SDK-wrapped timeout', new Error('AWS SDK error wrapper for TimeoutError: socket hang up')],
    ['unmodelled 503', Object.assign(new Error('Service Unavailable'), { name: 'Unknown', $metadata: { httpStatusCode: 503 } })],
  ])('%s is retried', (_, err) => {
    expect(isRetryable(err)).toBe(true);
  });

  test.each([
    ['ValidationException', errors.validation()],
    ['ConflictException', errors.conflict()],
    ['ResourceNotFoundException', errors.notFound()],
    ['AccessDeniedException', errors.named('AccessDeniedException', { $metadata: { httpStatusCode: 403 } })],
    ['a plain bug', new TypeError('x is undefined')],
    ['SDK-wrapped validation', new Error('AWS SDK error wrapper for ValidationException: bad')],
  ])('%s is not retried', (_, err) => {
    expect(isRetryable(err)).toBe(false);
  });
});

describe('retryAfterMs', () => {
  test('reads Retry-After seconds from the modelled field (string or number)', () => {
    expect(retryAfterMs(errors.throttling('3'))).toBe(3000);
    expect(retryAfterMs({ retryAfterSeconds: 2 })).toBe(2000);
    expect(retryAfterMs(errors.throttling())).toBeUndefined();
    expect(retryAfterMs({ retryAfterSeconds: 'soon' })).toBeUndefined();
  });
});

describe('withRetry', () => {
  test('honours Retry-After on throttling, exactly', async () => {
    const clock = new FakeClock();
    const op = failing(errors.throttling('2'), errors.throttling('5'));
    await expect(withRetry(op.fn, { sleep: clock.sleep, now: clock.now, baseDelayMs: 100 })).resolves.toBe('ok');
    expect(op.calls()).toBe(3);
    expect(clock.sleeps).toEqual([2000, 5000]);
  });

  test('backs off exponentially with full jitter below a cap when there is no Retry-After', async () => {
    const clock = new FakeClock();
    const op = failing(errors.internal(), errors.internal(), errors.internal(), errors.internal());
    const result = await withRetry(op.fn, { sleep: clock.sleep, now: clock.now, baseDelayMs: 100, maxDelayMs: 500, random: () => 0.5 });
    expect(result).toBe('ok');
    // caps 100, 200, 400, 500 (capped); half of each with random() = 0.5
    expect(clock.sleeps).toEqual([50, 100, 200, 250]);
  });

  test('jitter spans the whole window: random() near 1 waits almost the cap, 0 waits nothing', async () => {
    const clock = new FakeClock();
    const values = [0, 0.999];
    await withRetry(failing(errors.internal(), errors.internal()).fn, {
      sleep: clock.sleep, now: clock.now, baseDelayMs: 1000, random: () => values.shift()!,
    });
    expect(clock.sleeps).toEqual([0, 1998]);
  });

  test('gives up after maxAttempts with the last error as cause', async () => {
    const clock = new FakeClock();
    const op = failing(errors.throttling('1'), errors.throttling('1'), errors.throttling('1'), errors.throttling('1'));
    const err = await withRetry(op.fn, { sleep: clock.sleep, now: clock.now, maxAttempts: 3 }).catch((e) => e);
    expect(err).toBeInstanceOf(RetriesExhaustedError);
    expect(err.attempts).toBe(3);
    expect(err.cause.name).toBe('ThrottlingException');
    expect(err.message).toContain('attempt limit reached');
    expect(op.calls()).toBe(3);
    expect(clock.sleeps).toEqual([1000, 1000]);
  });

  test('gives up instead of sleeping past the deadline', async () => {
    const clock = new FakeClock();
    const op = failing(errors.throttling('1'), errors.throttling('30'));
    const err = await withRetry(op.fn, { sleep: clock.sleep, now: clock.now, deadline: clock.t + 10_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(RetriesExhaustedError);
    expect(err.attempts).toBe(2);
    expect(err.message).toContain('no time left before the deadline');
    expect(clock.sleeps).toEqual([1000]);
  });

  test('passes non-retryable errors through unchanged, after one call', async () => {
    const clock = new FakeClock();
    const conflict = errors.conflict();
    const op = failing(conflict);
    await expect(withRetry(op.fn, { sleep: clock.sleep, now: clock.now })).rejects.toBe(conflict);
    expect(op.calls()).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  test('reports each retry', async () => {
    const clock = new FakeClock();
    const seen: Array<[number, number, string]> = [];
    await withRetry(failing(errors.throttling('1')).fn, {
      sleep: clock.sleep, now: clock.now, onRetry: ({ attempt, delayMs, error }) => seen.push([attempt, delayMs, (error as Error).name]),
    });
    expect(seen).toEqual([[1, 1000, 'ThrottlingException']]);
  });
});
