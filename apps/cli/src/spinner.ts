import type { CliOutput } from './io.js';

/** Frames drawn by the spinner, in order. */
export const SPINNER_FRAMES: readonly string[] = Object.freeze(['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']);

/** Options for {@link createSpinner}. */
export interface SpinnerOptions {
  /** Where to draw (stderr). Nothing is drawn unless `stream.isTTY` is true. */
  stream: CliOutput;
  /** Text after the frame, e.g. `waiting for agent:main:main`. */
  text: string;
  /** Frame interval in ms. Default 80. */
  intervalMs?: number;
  /** Force on/off regardless of `isTTY`. Default: on exactly when `stream.isTTY` is true. */
  enabled?: boolean;
}

/** A one-line progress indicator that erases itself when stopped. */
export interface Spinner {
  /** True when the spinner actually draws (a TTY and not disabled). */
  readonly isEnabled: boolean;
  /** Starts drawing; a no-op when disabled or already running. */
  start(): void;
  /** Stops and erases the line; safe to call more than once. */
  stop(): void;
}

/** Creates a spinner that draws on a TTY only and is silent otherwise. */
export function createSpinner(options: SpinnerOptions): Spinner {
  const isEnabled = options.enabled ?? options.stream.isTTY === true;
  const intervalMs = options.intervalMs ?? 80;
  let timer: ReturnType<typeof setInterval> | undefined;
  let frame = 0;

  function draw(): void {
    const glyph = SPINNER_FRAMES[frame % SPINNER_FRAMES.length] ?? '-';
    frame += 1;
    options.stream.write(`\r\x1b[2K${glyph} ${options.text}`);
  }

  return {
    isEnabled,
    start() {
      if (!isEnabled || timer !== undefined) return;
      draw();
      timer = setInterval(draw, intervalMs);
      timer.unref?.();
    },
    stop() {
      if (timer === undefined) return;
      clearInterval(timer);
      timer = undefined;
      options.stream.write('\r\x1b[2K');
    },
  };
}
