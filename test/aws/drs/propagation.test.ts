import { retryWhilePropagating, StillDeniedError } from '../../../src/aws/drs/propagation';
import { errors, FakeClock } from '../../support/handler-fixtures';

const denied = () => errors.named('AccessDeniedException');

test('retries AccessDenied with doubling delays until it passes', async () => {
  const clock = new FakeClock();
  let n = 0;
  const out = await retryWhilePropagating(async () => { if (++n <= 3) throw denied(); return 'ok'; },
    { windowMs: 60_000, baseDelayMs: 1000, now: clock.now, sleep: clock.sleep, operation: 'X' });
  expect(out).toBe('ok');
  expect(clock.sleeps).toEqual([1000, 2000, 4000]);
});

test('gives up at the end of the window, saying how long it retried', async () => {
  const clock = new FakeClock();
  const err = await retryWhilePropagating(async () => { throw denied(); },
    { windowMs: 10_000, baseDelayMs: 1000, now: clock.now, sleep: clock.sleep, operation: 'X' }).catch((e) => e);
  expect(err).toBeInstanceOf(StillDeniedError);
  expect(err.name).toBe('AccessDeniedException');
  expect(err.retriedMs).toBe(7000);
  expect(clock.sleeps).toEqual([1000, 2000, 4000]);
});

test('off (window 0, i.e. not a Create) or another error: thrown at once', async () => {
  const clock = new FakeClock();
  await expect(retryWhilePropagating(async () => { throw denied(); }, { windowMs: 0, baseDelayMs: 1000, now: clock.now, sleep: clock.sleep, operation: 'X' }))
    .rejects.toMatchObject({ name: 'AccessDeniedException' });
  await expect(retryWhilePropagating(async () => { throw errors.validation('x'); }, { windowMs: 60_000, baseDelayMs: 1000, now: clock.now, sleep: clock.sleep, operation: 'X' }))
    .rejects.toMatchObject({ name: 'ValidationException' });
  expect(clock.sleeps).toEqual([]);
});

test('never sleeps past the deadline', async () => {
  const clock = new FakeClock();
  await expect(retryWhilePropagating(async () => { throw denied(); },
    { windowMs: 60_000, baseDelayMs: 1000, now: clock.now, sleep: clock.sleep, deadline: clock.t + 2500, operation: 'X' })).rejects.toBeInstanceOf(StillDeniedError);
  expect(clock.sleeps).toEqual([1000]);
});

test('delays double up to 15 s, or up to maxDelayMs when given', async () => {
  const run = async (maxDelayMs?: number) => {
    const clock = new FakeClock();
    await retryWhilePropagating(async () => { throw denied(); },
      { windowMs: 60_000, baseDelayMs: 4000, maxDelayMs, now: clock.now, sleep: clock.sleep, operation: 'X' }).catch(() => undefined);
    return clock.sleeps;
  };
  // Within the 60 s window: 4 + 8 + 15 + 15 + 15 = 57 s; 4 + 11 × 5 = 59 s.
  expect(await run()).toEqual([4000, 8000, 15_000, 15_000, 15_000]);
  expect(await run(5000)).toEqual([4000, ...Array(11).fill(5000)]);
});
