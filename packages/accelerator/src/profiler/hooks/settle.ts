/**
 * Calls `done(error, failed, value)` once `run()`'s result settles (at once when it is not a promise), and
 * gives back what `run()` gave: the same value or the same thrown error; a promise result is followed
 * with one `then`, whose promise settles with the same value or reason.
 */
export function settle<T>(run: () => T, done: (error: unknown, failed: boolean, value?: unknown) => void): T {
  let out: T;
  try {
    out = run();
  } catch (err) {
    done(err, true);
    throw err;
  }
  if (!(out instanceof Promise)) {
    done(undefined, false, out);
    return out;
  }
  return out.then(
    (value) => {
      done(undefined, false, value);
      return value;
    },
    (err) => {
      done(err, true);
      throw err;
    },
  ) as T;
}
