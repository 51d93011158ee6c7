// Data-parallel training over MPI (issue 21), on this machine over loopback: jobs of 2 and 3 ranks
// (test/helpers/dist-train.ts, one BLAS thread each) started by `gradloop launch`, against the
// same training in one process. These tests need Open MPI's mpirun (scripts/setup.sh installs
// openmpi-bin; CI has it); without it they are skipped, saying so.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { launchArgs } from '../src/cli/launch.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const hasMpirun = !spawnSync('mpirun', ['--version']).error;
const tsx = ['--import', 'tsx'];
const cli = [...tsx, path.join(root, 'src/cli/main.ts')];
const script = path.join(root, 'test/helpers/dist-train.ts');
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'gradloop-dist-'));

type Result = { weights: number[][]; history: Record<string, number[]>; job: { rank: number; worldSize: number; engine: string } | null };

/** Runs dist-train.ts alone (ranks 0) or as a job of `ranks`; resolves with rank 0's result, or rejects with the job's output. */
async function train(ranks: number, env: Record<string, string> = {}): Promise<Result & { output: string; seconds: number }> {
  const out = path.join(tmp(), 'result.json');
  const started = performance.now();
  const args = ranks === 0 ? [...tsx, script, out] : [...cli, 'launch', '--nproc', String(ranks), '--threads', '1', script, out];
  const r = await run(process.execPath, args, { cwd: root, env: { ...process.env, ...(ranks === 0 ? { DIST_ALONE: '1', OPENBLAS_NUM_THREADS: '1' } : {}), ...env }, encoding: 'utf8', timeout: 120_000 });
  return { ...(JSON.parse(readFileSync(out, 'utf8')) as Result), output: r.stdout + r.stderr, seconds: (performance.now() - started) / 1000 };
}

const maxDifference = (a: number[][], b: number[][]) => Math.max(...a.flatMap((w, i) => w.map((v, j) => Math.abs(v - b[i][j]))));

describe('launch', () => {
  it('builds the mpirun command: the ranks, a script run with this Node and its loaders, a gradloop command with this CLI', () => {
    const self = { node: '/usr/bin/node', execArgv: ['--import', 'tsx'], cli: '/x/cli.js' };
    expect(launchArgs(['train.js', '--fast'], { nproc: 2 }, 'openmpi', self)).toEqual([
      '-np', '2', '--oversubscribe', '--bind-to', 'none', ...(process.getuid?.() === 0 ? ['--allow-run-as-root'] : []), '/usr/bin/node', '--import', 'tsx', path.resolve('train.js'), '--fast',
    ]);
    expect(launchArgs(['train', '--config', 'run.json'], { nproc: 3 }, 'mpich', self)).toEqual(['-n', '3', '/usr/bin/node', '--import', 'tsx', '/x/cli.js', 'train', '--config', 'run.json']);
    expect(() => launchArgs([], { nproc: 2 }, 'openmpi', self)).toThrow(/give the script to run/);
  });
});

describe.skipIf(!hasMpirun)('data parallel over MPI (skipped: no mpirun here; apt-get install openmpi-bin)', () => {
  it('2 and 3 ranks end with the weights of one process trained on the same global batches; the same job twice is bit-identical', async () => {
    const [alone, two, twoAgain, three] = [await train(0), await train(2), await train(2), await train(3)];
    expect(two.job).toMatchObject({ rank: 0, worldSize: 2 });
    expect(two.job!.engine).toMatch(/Open MPI|MPICH/);
    // 24 Adam steps (3 epochs of 8 batches of 48 rows, 16 or 24 rows per rank). One process sums a
    // batch's 48 row gradients in one product; a job sums each rank's rows and then the ranks'
    // sums, so float32 rounding differs (measured 9e-8 on weights up to 0.6): 1e-6 bounds it.
    expect(maxDifference(two.weights, alone.weights)).toBeLessThan(1e-6);
    expect(maxDifference(three.weights, alone.weights)).toBeLessThan(1e-6);
    expect(two.weights).toEqual(twoAgain.weights);
    for (const r of [two, three]) {
      expect(Math.max(...r.history.loss.map((v, i) => Math.abs(v - alone.history.loss[i])))).toBeLessThan(1e-6);
      expect(r.history.valAccuracy).toEqual(alone.history.valAccuracy); // each rank validates a share of the rows
      expect(Math.max(...r.history.valLoss.map((v, i) => Math.abs(v - alone.history.valLoss[i])))).toBeLessThan(1e-6);
    }
  }, 120_000);

  it('with gradient accumulation (the all-reduce after backward, not overlapped) 2 ranks end where one process does', async () => {
    const [alone, two] = [await train(0, { DIST_ACCUMULATE: '2', DIST_BATCH: '24' }), await train(2, { DIST_ACCUMULATE: '2', DIST_BATCH: '24' })];
    expect(maxDifference(two.weights, alone.weights)).toBeLessThan(1e-6);
  }, 120_000);

  it('metrics are global: precision and AUC over every rank\'s predictions, as one process computes them', async () => {
    const [alone, two] = [await train(0, { DIST_METRICS: '1' }), await train(2, { DIST_METRICS: '1' })];
    for (const key of ['accuracy', 'precision', 'auc', 'valPrecision', 'valAuc']) expect(two.history[key], key).toEqual(alone.history[key]);
    expect(Math.max(...two.history.r2.map((v, i) => Math.abs(v - alone.history.r2[i])))).toBeLessThan(1e-6);
  }, 120_000);

  it('checkpoint and resume under 2 ranks continue exactly; a different number of ranks is refused', async () => {
    const dir = path.join(tmp(), 'ckpt');
    const straight = await train(2, { DIST_EPOCHS: '4' });
    await train(2, { DIST_EPOCHS: '2', DIST_SAVE: dir });
    expect(existsSync(path.join(dir, 'model.json'))).toBe(true);
    const resumed = await train(2, { DIST_EPOCHS: '4', DIST_RESUME: dir });
    expect(resumed.weights).toEqual(straight.weights);
    await expect(train(3, { DIST_EPOCHS: '4', DIST_RESUME: dir })).rejects.toThrow(/saved by a fit on 2 ranks and this job has 3; resume with the same number of ranks/);
  }, 120_000);

  it('streamed batches: each rank streams its shard (the source gets rank and worldSize); a rank with one batch more is an Error naming it', async () => {
    const [alone, two] = [await train(0, { DIST_STREAM: '1' }), await train(2, { DIST_STREAM: '1' })];
    expect(maxDifference(two.weights, alone.weights)).toBeLessThan(1e-6);
    await expect(train(2, { DIST_STREAM: '1', DIST_STREAM_EXTRA: '0' })).rejects.toThrow(/epoch 1: rank 1 ran out of streamed batches after 8 while the others have more/);
  }, 120_000);

  it('a loss that overflows on one rank stops every rank at the step one process stops at', async () => {
    const failed = await train(2, { DIST_HUGE_TARGET: '5' }).catch((e: Error) => e);
    expect(failed).toBeInstanceOf(Error);
    const alone = await train(0, { DIST_HUGE_TARGET: '5' }).catch((e: Error) => e);
    const step = /became NaN or Infinity at epoch (\d+), step (\d+)/;
    expect((alone as Error).message).toMatch(step);
    // Rank 0 stops at the step one process stops at, whichever rank trained the row.
    expect((failed as Error).message.match(step)?.slice(1)).toEqual((alone as Error).message.match(step)?.slice(1));
  }, 120_000);

  it('a rank that hangs makes the others fail within the timeout, with an Error saying what waited', async () => {
    const started = performance.now();
    const failed = await train(2, { DIST_HANG_RANK: '1', DIST_TIMEOUT: '8' }).catch((e: Error & { stdout?: string; stderr?: string }) => e);
    expect(failed).toBeInstanceOf(Error);
    const output = `${(failed as { stdout?: string }).stdout}${(failed as { stderr?: string }).stderr}`;
    expect(output).toMatch(/gradloop rank 0 of 2 failed: Error: fit: [\w ,']+: rank 0 waited 8 s for the other ranks \(timeout 8 s\): a rank died, hangs or failed/);
    expect((performance.now() - started) / 1000).toBeLessThan(40);
  }, 120_000);

  it('a rank killed mid-epoch ends the job at once; the launcher names the rank', async () => {
    const started = performance.now();
    const failed = await train(2, { DIST_KILL_RANK: '1' }).catch((e: Error & { stdout?: string; stderr?: string }) => e);
    expect(failed).toBeInstanceOf(Error);
    const output = `${(failed as { stdout?: string }).stdout}${(failed as { stderr?: string }).stderr}`;
    expect(output).toMatch(/rank 1 .*exited on signal 9|process rank 1/);
    expect((performance.now() - started) / 1000).toBeLessThan(40);
  }, 120_000);

  it('fit refuses what a job cannot do: a global batch the ranks cannot split evenly, torchrun variables without MPI', async () => {
    await expect(train(2, { DIST_BATCH: '49' })).rejects.toThrow(/batchSize 49 is the global batch, split evenly over the 2 ranks; make it a multiple of 2/);
    await expect(run(process.execPath, [...tsx, script, path.join(tmp(), 'r.json')], { cwd: root, env: { ...process.env, RANK: '0', WORLD_SIZE: '2' } }))
      .rejects.toThrow(/torchrun's RANK=0 and WORLD_SIZE=2 but was not started by an MPI launcher/);
  }, 120_000);

  it('the README\'s command trains the CLI run config on 2 ranks; rank 0 alone prints and writes the run folder', async () => {
    const dir = tmp();
    const config = JSON.parse(readFileSync(path.join(root, 'examples/mnist.json'), 'utf8'));
    Object.assign(config, { output: path.join(dir, 'runs') });
    Object.assign(config.fit, { epochs: 1 });
    const file = path.join(dir, 'run.json');
    (await import('node:fs')).writeFileSync(file, JSON.stringify(config));
    const r = await run(process.execPath, [...cli, 'launch', '--nproc', '2', 'train', '--config', file], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    expect(r.stdout).toMatch(/launch: 2 ranks with mpirun/);
    expect(r.stdout.match(/Epoch 1\/1 - \d+\/\d+ - .* - loss: /g)).toHaveLength(1); // one rank prints
    expect(r.stdout).toMatch(/ONNX check on 1000 test samples in onnxruntime: PASSED/);
    expect(existsSync(path.join(dir, 'runs', config.name, 'report.html'))).toBe(true);
  }, 120_000);
});
