// Installs gradloop the way a user does: builds the release prebuild (scripts/prebuild/, in a
// Debian 11 root), packs the package, installs the tarball into a fresh project with
// --ignore-scripts, --offline and no compiler or cmake on PATH, and runs a program through both
// `import` and `require` that trains XOR, exports ONNX and verifies it in onnxruntime-node; then
// runs the installed `gradloop` command (info, and a short training run on the bundled digits).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bestBlasCore, cpuFeatures } from '../src/backend/blas-kernels.js';
import { writeScratchProject } from './helpers/scratch-project.js';

const repo = path.resolve(import.meta.dirname, '..');
const buildRoot = process.env.GRADLOOP_BUILD_ROOT ?? '/var/cache/gradloop/bullseye';
const isRoot = process.getuid?.() === 0;
// The prebuild is linux-x64 glibc only, and building it needs root (debootstrap, chroot) unless
// the build root already exists.
const canBuild = process.platform === 'linux' && process.arch === 'x64' && (isRoot || existsSync(path.join(buildRoot, 'usr/bin/g++')));
// Where this machine has a CUDA toolkit, the prebuild also makes the CUDA addon (scripts/prebuild/).
const cudaHome = process.env.GRADLOOP_CUDA_HOME ?? process.env.CUDA_HOME ?? '/usr/local/cuda';
const hasCudaToolkit = existsSync(path.join(cudaHome, 'bin/nvcc')) && existsSync(path.join(cudaHome, 'include/cuda_runtime.h'));
const run = (cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  execFileSync(cmd, args, { cwd: options.cwd ?? repo, env: options.env ?? process.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 });

describe('installing the packed package as a user would', () => {
  it.skipIf(!canBuild)('prebuild + npm pack + offline install without scripts or compilers: import and require both train, export and verify', () => {
    // 1. The release binary, with its own checks (glibc <= 2.28, no libraries beyond glibc).
    const built = run('bash', ['scripts/prebuild/run.sh']);
    expect(built).toMatch(/node\.napi\.glibc\.node: \d+ bytes, newest glibc symbol GLIBC_2\.(1\d|2[0-8])\b/);
    if (hasCudaToolkit) expect(built).toMatch(/cuda\/linux-x64\/gradloop_cuda\.node: \d+ bytes, newest glibc symbol GLIBC_2\.(1\d|2[0-8])\b/);
    const binary = path.join(repo, 'prebuilds/linux-x64/node.napi.glibc.node');
    const newest = run('objdump', ['-T', binary]).match(/GLIBC_[\d.]+/g)!.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).pop()!;
    expect(newest.localeCompare('GLIBC_2.28', 'en', { numeric: true })).toBeLessThanOrEqual(0);

    // 2. The tarball: dist (ESM, CJS, types), prebuilds, native sources and build files; no tests, benchmarks or build trees.
    const work = mkdtempSync(path.join(tmpdir(), 'gradloop-install-'));
    run('npm', ['run', 'build:ts']);
    const packed = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work]))[0];
    const files: string[] = packed.files.map((f: { path: string }) => f.path);
    for (const f of ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'prebuilds/linux-x64/node.napi.glibc.node', 'native/core/program.cc', 'native/cpu/parallel.cc', 'dist/cli.js', 'data/mnist/images-idx3-ubyte.gz', 'data/mnist/labels-idx1-ubyte.gz', 'CMakeLists.txt', 'binding.gyp', 'README.md', 'LICENSE', 'package.json'])
      expect(files).toContain(f);
    if (hasCudaToolkit) expect(files).toContain('prebuilds/cuda/linux-x64/gradloop_cuda.node');
    expect(files.filter((f) => /^(test|bench|build|src|examples|scripts)\//.test(f))).toEqual([]);
    const tarball = path.join(work, packed.filename);

    // 3. A fresh project; PATH holds node alone: no cc, c++, g++, make or cmake.
    const bin = path.join(work, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, path.join(bin, 'node'));
    // An empty npm cache of its own: the install may not use anything an earlier install left.
    const env = { HOME: process.env.HOME, PATH: bin, npm_config_update_notifier: 'false', npm_config_cache: path.join(work, 'npm-cache') };
    for (const tool of ['cc', 'c++', 'g++', 'gcc', 'make', 'cmake'])
      expect(spawnSync('/bin/sh', ['-c', `command -v ${tool}`], { env }).status).not.toBe(0);
    const project = path.join(work, 'app');
    mkdirSync(project);
    // Offline, from a lockfile whose every dependency (gradloop's and onnxruntime-node's) is a
    // tarball packed from the repository's node_modules: no registry, no npm cache involved.
    writeScratchProject(repo, project, { tarball, integrity: packed.integrity }, ['onnxruntime-node']);
    const npmCli = path.join(path.dirname(path.dirname(process.execPath)), 'lib/node_modules/npm/bin/npm-cli.js');
    run(process.execPath, [npmCli, 'ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: project, env });
    expect(existsSync(path.join(project, 'node_modules/gradloop/build'))).toBe(false); // nothing was compiled

    // 4. The program, as ESM and as CommonJS.
    const body = (load: string) => `${load}
const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
const y = tensor(Int32Array.from([0, 1, 1, 0]), [4], 'int32');
const model = sequential([layers.dense({ inputShape: [2], units: 8, activation: 'tanh' }), layers.dense({ units: 2 })], { seed: 1 });
model.compile({ optimizer: optimizers.adam({ learningRate: 0.05 }), loss: 'softmaxCrossEntropy', metrics: ['accuracy'] });
(async () => {
  const history = await model.fit(x, y, { epochs: 300, batchSize: 4, seed: 1, verbose: 0 });
  const onnx = await model.exportOnnx('xor.onnx');
  const report = await verifyOnnx(model, onnx, x);
  const maps = require('node:fs').readFileSync('/proc/self/maps', 'utf8').split('\\n');
  const binaries = [...new Set(maps.map((l) => l.trim().split(/\\s+/)[5]).filter((p) => p && p.includes('/gradloop/') && p.endsWith('.node')))];
  console.log(JSON.stringify({ accuracy: history.history.accuracy.at(-1), passed: report.passed, maxAbsDiff: report.maxAbsDiff, binaries }));
})();`;
    writeFileSync(path.join(project, 'esm.mjs'), body(`import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\nimport { layers, optimizers, sequential, tensor, verifyOnnx } from 'gradloop';`));
    writeFileSync(path.join(project, 'cjs.cjs'), body(`const { layers, optimizers, sequential, tensor, verifyOnnx } = require('gradloop');`));
    for (const script of ['esm.mjs', 'cjs.cjs']) {
      const result = JSON.parse(run(process.execPath, [script], { cwd: project, env }).trim().split('\n').pop()!);
      expect(result, script).toMatchObject({ accuracy: 1, passed: true });
      expect(result.maxAbsDiff).toBeLessThan(1e-4);
      // The prebuild was loaded, and it carries OpenBLAS inside it; compile's device 'auto' also
      // loaded the prebuilt CUDA addon to look for a GPU (where the prebuild made one).
      const cpuPrebuild = path.join(project, 'node_modules/gradloop/prebuilds/linux-x64/node.napi.glibc.node');
      const cudaPrebuild = path.join(project, 'node_modules/gradloop/prebuilds/cuda/linux-x64/gradloop_cuda.node');
      expect(result.binaries.sort()).toEqual(hasCudaToolkit ? [cudaPrebuild, cpuPrebuild].sort() : [cpuPrebuild]);
      const ldd = run('ldd', [cpuPrebuild]);
      expect(ldd).not.toMatch(/openblas|libgomp|libstdc\+\+|libgcc_s/);
    }

    // 5. The `gradloop` command from node_modules/.bin: info, and a short run on the bundled digits
    // (data/ shipped, resvg's prebuilt renderer installed, onnxruntime verifying the export).
    const gradloop = path.join(project, 'node_modules/.bin/gradloop');
    const info = run(gradloop, ['info'], { cwd: project, env });
    expect(info).toMatch(/^gradloop \d+\.\d+\.\d+\n[\s\S]*BLAS: OpenBLAS/);
    // The prebuild's static OpenBLAS runs the kernel set chosen by this CPU's features.
    const cpu = cpuFeatures();
    const best = cpu && bestBlasCore(cpu);
    if (best) expect(info).toContain(`BLAS kernels: ${best} (chosen by gradloop from the CPU's features)`);
    // The prebuilt CUDA addon loads without a driver, toolkit or compiler and says why no GPU is usable.
    if (hasCudaToolkit) {
      expect(info).toMatch(/\(no usable GPU: (no NVIDIA driver is installed|no NVIDIA GPU was found|the NVIDIA driver supports)|\(device 'auto' trains on cuda:0\)/);
      const ldd = run('ldd', [path.join(project, 'node_modules/gradloop/prebuilds/cuda/linux-x64/gradloop_cuda.node')]);
      expect(ldd).not.toMatch(/libcudart|libcublas|libstdc\+\+|libgcc_s/);
    }
    const config = { name: 'tiny', data: { source: 'mnist', testSize: 0.2, seed: 1 }, model: { layers: [{ type: 'dense', units: 32, activation: 'relu' }, { type: 'dense', units: 10 }] }, compile: { optimizer: { type: 'adam', learningRate: 0.003 }, loss: 'softmaxCrossEntropy', metrics: ['accuracy'] }, fit: { epochs: 2, batchSize: 64, seed: 1 } };
    writeFileSync(path.join(project, 'run.json'), JSON.stringify(config));
    const trained = run(gradloop, ['train', '--config', 'run.json'], { cwd: project, env });
    expect(trained).toMatch(/test \(2000 rows never used in training or to choose the model\): loss [\d.]+, accuracy (8|9)\d\.\d\d%/);
    expect(trained).toMatch(/ONNX check on 1000 test samples in onnxruntime: PASSED/);
    for (const f of ['checkpoint/model.json', 'model.onnx', 'curves.png', 'report.html']) expect(existsSync(path.join(project, 'runs/tiny', f)), f).toBe(true);
  }, 600_000);

  it('a missing binary explains itself: platform, libc, Node-API version and how to build from source', () => {
    run('npm', ['run', 'build:ts']);
    // A copy of the package with its JavaScript but no prebuilds/ and no build/.
    const pkg = mkdtempSync(path.join(tmpdir(), 'gradloop-nobinary-'));
    run('cp', ['-r', path.join(repo, 'dist'), path.join(repo, 'package.json'), pkg]);
    symlinkSync(path.join(repo, 'node_modules'), path.join(pkg, 'node_modules'));
    const result = spawnSync(process.execPath, ['-e', "require('./dist/index.cjs')"], { cwd: pkg, encoding: 'utf8' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`gradloop: no usable native binary for ${process.platform}-${process.arch}`);
    expect(result.stderr).toContain(`Node-API ${process.versions.napi}`);
    expect(result.stderr).toMatch(/Prebuilt binaries in this package: none/);
    expect(result.stderr).toMatch(/npm rebuild gradloop --build-from-source/);
  });
});
