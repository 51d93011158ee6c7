// What fit() shows: one plain line per epoch in logs and pipes (verbose 1 and 2), nothing at
// verbose 0, and a live bar in a terminal (run under `script`, which gives the child a pty).
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { withoutBlasWarning } from './helpers/blas-warning.js';

const run = (verbose: number) =>
  execFileSync(process.execPath, ['--import', 'tsx', 'test/helpers/progress-run.ts', String(verbose)], { encoding: 'utf8' });

const EPOCH_LINE = (e: number) =>
  new RegExp(`^Epoch ${e}/3 - 9/9 - [\\d.]+s - \\d+ samples/s - loss: [\\d.]+ - accuracy: [\\d.]+ - valLoss: [\\d.]+ - valAccuracy: [\\d.]+ - learningRate: 0\\.1000 - gradNorm: [\\d.e-]+ - gradNormMax: [\\d.e-]+$`);

describe('progress output', () => {
  it('prints one plain line per epoch when stdout is not a terminal (verbose 1 and 2)', () => {
    for (const verbose of [1, 2]) {
      const out = run(verbose);
      expect(out).not.toMatch(/[\r\x1b]/); // no carriage returns or escape codes in logs
      const lines = withoutBlasWarning(out.trimEnd().split('\n'));
      expect(lines).toHaveLength(4);
      lines.slice(0, 3).forEach((line, i) => expect(line).toMatch(EPOCH_LINE(i + 1)));
      expect(lines[3]).toBe('DONE');
    }
  });

  it('prints nothing at verbose 0', () => {
    expect(run(0)).toBe('DONE\n');
  });

  const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
  // `script` (util-linux, in every Debian install) runs the child on a pseudo-terminal.
  it.skipIf(!hasScript)('draws a live bar with step/total, ETA, loss, accuracy and samples/s in a terminal', () => {
    const command = `stty cols 160; ${process.execPath} --import tsx test/helpers/progress-run.ts 1 slow`;
    const out = execFileSync('script', ['-qfec', command, '/dev/null'], { encoding: 'utf8' });
    // Redraws: the bar's text after cursor moves, mid-epoch (some step of 9 other than 0).
    const frames = out.split(/\x1b\[1G|\r/).map((f) => f.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, ''));
    const bars = frames.filter((f) => /^Epoch \d\/3 [█░]+ \d\/9 \| ETA/.test(f));
    expect(bars.length).toBeGreaterThan(3);
    expect(bars.some((f) => /^Epoch 2\/3 [█░]+ [1-8]\/9 \| ETA \d+s \| loss [\d.]+ \| acc [\d.]+ \| \d+ samples\/s/.test(f))).toBe(true);
    // Each epoch ends with its summary line (validation metrics included) replacing the bar.
    for (const e of [1, 2, 3]) expect(frames.some((f) => EPOCH_LINE(e).test(f.trim()))).toBe(true);
    expect(out).toContain('DONE');
  });
});
