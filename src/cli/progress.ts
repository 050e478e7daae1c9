// A progress bar on stderr (cli-progress), drawn only for a terminal so logs and
// pipes stay clean; stdout is left to results.
//
// The cursor. A hidden cursor must be shown again however the run ends: stop(),
// Ctrl-C (SIGINT), SIGTERM, or an error that exits the process. So the cursor is
// hidden only while SIGINT and SIGTERM handlers are installed that show it again
// and exit with 128 + the signal number (130, 143), and an 'exit' hook shows it on
// any other exit. A signal handler runs only when the event loop turns, though, and
// some callers report progress from a synchronous loop (`run` without `--record`):
// there a handler would hold Ctrl-C back until the run ends. So the bar hides the
// cursor and traps the signals only while a heartbeat timer sees the loop turning;
// while the loop is busy the cursor stays visible and Ctrl-C keeps its default
// (immediate) effect. stop() removes every hook.
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/** DECTCEM: show and hide the terminal cursor. */
export const SHOW_CURSOR = '\x1b[?25h';
export const HIDE_CURSOR = '\x1b[?25l';

const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
/** How often the heartbeat checks that the event loop turns (ms). */
const HEARTBEAT_MS = 50;
/** A heartbeat older than this at an update means the caller is blocking the loop. */
const BLOCKED_MS = 250;

export interface ProgressOptions {
  /** Where the bar is drawn (default: process.stderr). Drawn only when it is a TTY. */
  stream?: NodeJS.WriteStream;
  /** How a signal ends the process (default: process.exit); tests replace it. */
  exit?: (code: number) => void;
}

export function progressBar(label: string, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  if (!stream.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar({
    stream,
    format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}`,
    // The cursor is managed here (see above), not by cli-progress.
    hideCursor: false,
    clearOnComplete: true,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  let hidden = false;
  let lastBeat = 0;
  let heartbeat: NodeJS.Timeout | undefined;

  const write = (text: string) => {
    try {
      stream.write(text);
    } catch {
      // the terminal is gone: nothing left to restore
    }
  };
  const onSigint = () => onSignal('SIGINT');
  const onSigterm = () => onSignal('SIGTERM');
  const onExit = () => { if (hidden) write(SHOW_CURSOR); };

  const hide = () => {
    if (hidden) return;
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigterm);
    hidden = true;
    write(HIDE_CURSOR);
  };
  const show = () => {
    if (!hidden) return;
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    hidden = false;
    write(SHOW_CURSOR);
  };
  const end = () => {
    if (!started) return;
    started = false;
    clearInterval(heartbeat);
    heartbeat = undefined;
    bar.stop();
    show();
    process.off('exit', onExit);
  };
  function onSignal(signal: keyof typeof SIGNAL_EXIT_CODES) {
    end();
    exit(SIGNAL_EXIT_CODES[signal]);
  }

  return {
    update(done, total) {
      if (!started) {
        started = true;
        process.on('exit', onExit);
        lastBeat = performance.now();
        heartbeat = setInterval(() => { lastBeat = performance.now(); hide(); }, HEARTBEAT_MS);
        heartbeat.unref();
        bar.start(total, 0);
      } else if (performance.now() - lastBeat > BLOCKED_MS) {
        // Called from a loop that does not yield: a signal handler could not run.
        show();
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop: end,
  };
}
