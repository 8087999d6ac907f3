/**
 * Checks of the resilience API's numeric options, made before anything crosses into Rust (which would read
 * NaN, Infinity or a negative number as "none" or "no limit"). An absent option passes; a value of another
 * type is a TypeError, a number out of range a RangeError, each naming the option and the value.
 */

/** The longest delay `setTimeout` honours (a longer one fires at once). */
export const MAX_TIMER_MS = 2_147_483_647;

function shown(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : typeof value === "bigint" ? `${value}n` : String(value);
}

function number(where: string, option: string, value: unknown): value is number {
  if (value === undefined) return false;
  if (typeof value !== "number") throw new TypeError(`${where}: ${option} must be a number, got ${shown(value)}`);
  return true;
}

/** A whole number in [min, max] (Infinity too when `infinite`). */
export function wholeNumber(where: string, option: string, value: unknown, min = 1, max = 1e9, infinite = false): void {
  if (!number(where, option, value)) return;
  if (infinite && value === Infinity) return;
  if (!(Number.isInteger(value) && value >= min && value <= max)) {
    const range = infinite ? `of at least ${min} (or Infinity)` : `from ${min} to ${max}`;
    throw new RangeError(`${where}: ${option} must be a whole number ${range}, got ${shown(value)}`);
  }
}

/** A finite duration in ms > 0 (at most `MAX_TIMER_MS` when a timer waits it). */
export function positiveMs(where: string, option: string, value: unknown, timer = false): void {
  if (!number(where, option, value)) return;
  if (!(value > 0 && value <= (timer ? MAX_TIMER_MS : Number.MAX_VALUE))) {
    const most = timer ? ` up to ${MAX_TIMER_MS}` : "";
    throw new RangeError(`${where}: ${option} must be a positive number of ms${most}, got ${shown(value)}`);
  }
}

/** A number >= 0: finite, or also Infinity ("no limit") when `infinite`. */
export function atLeastZero(where: string, option: string, value: unknown, infinite = false): void {
  if (!number(where, option, value)) return;
  if (!(value >= 0 && (infinite || value !== Infinity))) {
    throw new RangeError(
      `${where}: ${option} must be a ${infinite ? "" : "finite "}number >= 0${infinite ? " (or Infinity)" : ""}, got ${shown(value)}`,
    );
  }
}
