// Log lines that someone outside can cause at will (forged webhooks, bad upgrades, abandoned requests, key presses)
// are budgeted: a flood of requests must not become a flood of log lines that buries the real ones or fills a disk.

export interface LogBudgetOptions {
  /** Lines of one kind written per window; further ones are counted and summed up in one line. */
  perWindow?: number;
  windowMs?: number;
  now?: () => number;
}

interface Window {
  startedAt: number;
  written: number;
  suppressed: number;
}

export class LogBudget {
  private readonly windows = new Map<string, Window>();
  private readonly perWindow: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(options: LogBudgetOptions = {}) {
    this.perWindow = options.perWindow ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Writes the line through `write` while this kind has budget left in its window. The first line of a new window
   * says how many of the kind the window before it left out, so nothing is lost from the count.
   */
  write(kind: string, line: string, write: (line: string) => void): void {
    const now = this.now();
    let window = this.windows.get(kind);
    let leftOut = 0;
    if (!window || now - window.startedAt >= this.windowMs) {
      leftOut = window?.suppressed ?? 0;
      window = { startedAt: now, written: 0, suppressed: 0 };
      this.windows.set(kind, window);
    }
    if (window.written >= this.perWindow) {
      window.suppressed += 1;
      return;
    }
    window.written += 1;
    const seconds = Math.round(this.windowMs / 1000);
    const before = leftOut > 0 ? ` (${leftOut} more like it in the ${seconds} s before were not logged)` : '';
    const after = window.written === this.perWindow ? ` (further ones in the next ${seconds} s are counted, not logged)` : '';
    write(`${line}${before}${after}`);
  }
}
