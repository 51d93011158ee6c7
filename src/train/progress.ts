// What fit() shows while it runs (Keras' verbose): 0 nothing; 1 a live bar per epoch when
// stdout is a terminal (step/total, ETA, running loss and accuracy, samples/s), else one line
// per epoch; 2 one line per epoch always. Lines keep CI logs readable; the bar is cleared at
// the end of each epoch and replaced by that epoch's line with the validation metrics.
import cliProgress from 'cli-progress';

export interface StepStats {
  loss: number;
  accuracy?: number;
  samplesPerSecond: number;
}

export interface Progress {
  /** An epoch starts; steps is undefined when a streamed source has not said how many. */
  epochBegin(epoch: number, epochs: number, steps: number | undefined): void;
  /** `done` steps of the epoch have run. */
  update(done: number, stats: StepStats): void;
  /** The epoch ended: its summary line. */
  epochEnd(line: string): void;
  /** A message (a warning) during training. */
  log(line: string): void;
  /** Training ended or failed: leave the terminal clean. */
  stop(): void;
}

const SILENT: Progress = { epochBegin() {}, update() {}, epochEnd() {}, log() {}, stop() {} };

class LineProgress implements Progress {
  constructor(private readonly print: (line: string) => void) {}
  epochBegin(): void {}
  update(): void {}
  epochEnd(line: string): void {
    this.print(line);
  }
  log(line: string): void {
    this.print(line);
  }
  stop(): void {}
}

const fixed = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '-' : v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toFixed(4));

class BarProgress implements Progress {
  private bar?: cliProgress.SingleBar;
  constructor(private readonly stream: NodeJS.WriteStream) {}

  epochBegin(epoch: number, epochs: number, steps: number | undefined): void {
    const counter = steps === undefined ? '{value} steps' : '{bar} {value}/{total} | ETA {eta_formatted}';
    this.bar = new cliProgress.SingleBar(
      {
        stream: this.stream,
        format: `Epoch ${epoch + 1}/${epochs} ${counter} | loss {loss} | acc {accuracy} | {speed} samples/s`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        stopOnComplete: false,
        etaBuffer: 20,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(steps ?? 0, 0, { loss: '-', accuracy: '-', speed: '-' });
  }

  update(done: number, stats: StepStats): void {
    this.bar?.update(done, { loss: fixed(stats.loss), accuracy: fixed(stats.accuracy), speed: Math.round(stats.samplesPerSecond) });
  }

  epochEnd(line: string): void {
    this.clear();
    this.stream.write(line + '\n');
  }

  log(line: string): void {
    // Above the bar: clear its line, write the message, and let the next update redraw it.
    this.stream.write('\r\x1b[2K' + line + '\n');
  }

  stop(): void {
    this.clear();
  }

  private clear(): void {
    if (!this.bar) return;
    this.bar.stop(); // clearOnComplete: erases the bar's line
    this.bar = undefined;
  }
}

/** Picks the display for a fit: `printFn` or a non-terminal stdout means lines, never a bar. */
export function createProgress(verbose: 0 | 1 | 2, printFn: ((line: string) => void) | undefined, stream: NodeJS.WriteStream = process.stdout): Progress {
  if (verbose === 0) return SILENT;
  if (verbose === 1 && !printFn && stream.isTTY) return new BarProgress(stream);
  return new LineProgress(printFn ?? console.log);
}
