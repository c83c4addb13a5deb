/**
 * A small worker pool: at most `concurrency` tasks in flight, so hundreds of DRS calls do not
 * all start at once (and throttle each other). `shouldStop` is checked before each task starts;
 * a task that returns 'again' is put back at the end of the queue (while not stopping). The
 * first error thrown by a task stops the pool; it is rethrown once the tasks in flight settle.
 */
export interface PoolResult<T> {
  /** Tasks never started, or put back and not run again, because the pool stopped. */
  readonly notDone: T[];
}

export async function runPool<T>(
  tasks: readonly T[],
  concurrency: number,
  run: (task: T) => Promise<'done' | 'again'>,
  shouldStop: () => boolean,
): Promise<PoolResult<T>> {
  const queue = [...tasks];
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    for (;;) {
      if (failure || queue.length === 0 || shouldStop()) return;
      const task = queue.shift()!;
      try {
        if ((await run(task)) === 'again') queue.push(task);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, tasks.length)) }, worker));
  if (failure) throw failure.error;
  return { notDone: queue };
}
