import { MAX_TIMER_MS } from "./options";
import { abortReason, onAbort } from "./sleep";

interface Waiter {
  deadline: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
  unwatch?: () => void;
}

/**
 * Callers waiting for their start times, woken in the order they joined by one timer for the head. The
 * rate limiter hands out non-decreasing start times, so this order is theirs; separate timers would let
 * a timer that fired early and re-armed fall behind a later caller with the same start.
 */
export class WaitQueue {
  private readonly queue: Waiter[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  /** Resolves once `ms` have really passed and every earlier caller was woken. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { deadline: performance.now() + ms, resolve, reject };
      if (signal) {
        waiter.unwatch = onAbort(signal, () => {
          const i = this.queue.indexOf(waiter, this.head);
          if (i >= 0) this.queue.splice(i, 1);
          reject(abortReason(signal));
          this.arm();
        });
      }
      this.queue.push(waiter);
      if (this.queue.length - this.head === 1) this.arm();
    });
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.head >= this.queue.length) return;
    const left = this.queue[this.head].deadline - performance.now();
    this.timer = setTimeout(() => this.wake(), Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(left))));
  }

  private wake(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.head < this.queue.length && this.queue[this.head].deadline <= now) {
      const w = this.queue[this.head++];
      w.unwatch?.();
      w.resolve();
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.arm();
  }
}
