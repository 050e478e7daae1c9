// Issue 17, defect 11: Ctrl-C during a progress bar left the terminal cursor hidden.
// The bar hides the cursor only while SIGINT/SIGTERM handlers are installed that show
// it again and exit 130 / 143; an exit by any other path shows it too; stop() removes
// every hook. While the caller blocks the event loop (where no handler could run)
// the cursor stays visible and Ctrl-C keeps its default, immediate effect.
import { afterEach, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { HIDE_CURSOR, progressBar, SHOW_CURSOR } from '../../src/cli/progress.js';

/** A stream that says it is a terminal and keeps what is written to it. */
function fakeTerminal() {
  const out = { text: '' };
  const stream = new Writable({ write(chunk, _enc, done) { out.text += String(chunk); done(); } }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY: true, columns: 80, rows: 24 });
  return { stream, out };
}

const counts = () => ({ SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM'), exit: process.listenerCount('exit') });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cursorVisible = (text: string) => text.lastIndexOf(SHOW_CURSOR) >= text.lastIndexOf(HIDE_CURSOR);
const newest = (event: string) => process.listeners(event as 'SIGINT').at(-1) as (...args: unknown[]) => void;

describe('progress bar cleanup', () => {
  const before = counts();
  afterEach(() => expect(counts()).toEqual(before));

  it('while a bar runs and the loop turns: cursor hidden, SIGINT/SIGTERM/exit hooks installed; stop() shows it and removes them', async () => {
    const { stream, out } = fakeTerminal();
    const bar = progressBar('test', { stream, exit: () => { throw new Error('must not exit'); } });
    expect(counts()).toEqual(before);
    bar.update(1, 10);
    await sleep(120);
    expect(out.text).toContain(HIDE_CURSOR);
    expect(cursorVisible(out.text)).toBe(false);
    expect(counts()).toEqual({ SIGINT: before.SIGINT + 1, SIGTERM: before.SIGTERM + 1, exit: before.exit + 1 });
    bar.stop();
    expect(counts()).toEqual(before);
    expect(cursorVisible(out.text)).toBe(true);
  });

  it.each([['SIGINT', 130], ['SIGTERM', 143]] as const)('%s while the bar runs shows the cursor and exits %d', async (signal, code) => {
    const { stream, out } = fakeTerminal();
    const exits: number[] = [];
    const bar = progressBar('test', { stream, exit: (c) => exits.push(c) });
    bar.update(3, 10);
    await sleep(120);
    expect(cursorVisible(out.text)).toBe(false);
    // Call the handler the bar installed, as the signal would (a real signal would reach the test runner too).
    newest(signal)(signal);
    expect(exits).toEqual([code]);
    expect(cursorVisible(out.text)).toBe(true);
    expect(counts()).toEqual(before);
    bar.stop();
  });

  it('an exit by another path while the bar runs (an error, process.exit) shows the cursor', async () => {
    const { stream, out } = fakeTerminal();
    const bar = progressBar('test', { stream });
    bar.update(1, 10);
    await sleep(120);
    const text = out.text;
    newest('exit')(2);
    expect(out.text.slice(text.length)).toContain(SHOW_CURSOR);
    bar.stop();
  });

  it('a caller that blocks the event loop keeps a visible cursor and the default Ctrl-C', async () => {
    const { stream, out } = fakeTerminal();
    const bar = progressBar('test', { stream });
    bar.update(1, 10);
    await sleep(120);
    expect(cursorVisible(out.text)).toBe(false);
    const until = performance.now() + 400;
    while (performance.now() < until) { /* a synchronous workload */ }
    bar.update(5, 10);
    expect(cursorVisible(out.text)).toBe(true);
    expect(process.listenerCount('SIGINT')).toBe(before.SIGINT);
    expect(process.listenerCount('SIGTERM')).toBe(before.SIGTERM);
    bar.stop();
  });

  it('draws nothing and installs nothing when stderr is not a terminal', () => {
    const { stream, out } = fakeTerminal();
    Object.assign(stream, { isTTY: false });
    const bar = progressBar('test', { stream });
    bar.update(1, 10);
    expect(counts()).toEqual(before);
    bar.stop();
    expect(out.text).toBe('');
  });
});
