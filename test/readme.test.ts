// The README's code is a test (issue 22): every ```ts block is type-checked with the project's
// strict settings and executed. A block that needs something defined before it says so in the
// comment above it, <!-- readme-test: <context> (...) -->, and the context below defines exactly
// that with small data; a block without one must run as written. The examples/ scripts run too.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRunConfig } from '../src/cli/config.js';

const root = path.resolve(import.meta.dirname, '..');
const dir = path.join(root, '.readme-blocks'); // gitignored; inside the repository so node_modules resolve
const SRC = path.join(root, 'src/index.js');

interface Context {
  /** Code run before the block (the names it defines are what the block may use). */
  prelude?: string;
  /** Code run after it: checks of what the block shows. */
  epilogue?: string;
  /** Files the block reads, in its working folder. */
  files?: Record<string, string>;
}

const mlp = `const model = __g.sequential([__g.layers.dense({ inputShape: [4], units: 8, activation: 'relu' }), __g.layers.dense({ units: 3 })], { seed: 1 });
const __r = new __Random(2);
const x = __g.tensor(Float32Array.from({ length: 96 * 4 }, () => __r.normal()), [96, 4]);
const y = __g.tensor(Int32Array.from({ length: 96 }, (_, i) => (x.data[i * 4] > 0.4 ? 2 : x.data[i * 4] > -0.4 ? 1 : 0)), [96], 'int32');`;

const CONTEXTS: Record<string, Context> = {
  'token-data': {
    prelude: `const __r = new __Random(1);
const xTokens = __g.tensor(Int32Array.from({ length: 64 * 32 }, () => __r.int(1000)), [64, 32], 'int32');
const xNumeric = __g.tensor(Float32Array.from({ length: 64 * 8 }, () => __r.normal()), [64, 8]);
const y = __g.tensor(Int32Array.from({ length: 64 }, (_, i) => i % 3), [64], 'int32');`,
  },
  'binary-data': {
    prelude: `const model = __g.sequential([__g.layers.dense({ inputShape: [4], units: 8, activation: 'relu' }), __g.layers.dense({ units: 1, activation: 'sigmoid' })], { seed: 1 });
const __r = new __Random(3);
const __rows = (n: number) => { const f = Float32Array.from({ length: n * 4 }, () => __r.normal()); return [__g.tensor(f, [n, 4]), __g.tensor(Float32Array.from({ length: n }, (_, i) => (f[i * 4] + 0.5 * __r.normal() > 1.2 ? 1 : 0)), [n, 1])] as const; };
const [x, y] = __rows(200), [xTest, yTest] = __rows(100);`,
  },
  'sigmoid-model': { prelude: `const model = __g.sequential([__g.layers.dense({ inputShape: [4], units: 1, activation: 'sigmoid' })]);` },
  'mlp-data': { prelude: `${mlp}\nconst optimizer = __g.optimizers.adam({ learningRate: 0.01 });\nconst loss = 'softmaxCrossEntropy' as const;` },
  'mlp-compiled': { prelude: `${mlp}\nmodel.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy' });` },
  iris: {
    prelude: `const model = __g.sequential([__g.layers.dense({ inputShape: [4], units: 3 })], { seed: 1 });\nmodel.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy' });`,
    files: {
      'iris.csv': 'sepal_length,sepal_width,petal_length,petal_width,species\n' +
        Array.from({ length: 30 }, (_, i) => {
          const s = ['setosa', 'versicolor', 'virginica'][i % 3];
          return `${(5 + (i % 3) * 0.8 + (i % 5) * 0.1).toFixed(1)},${(3 + (i % 4) * 0.1).toFixed(1)},${(1.4 + (i % 3) * 2).toFixed(1)},${(0.2 + (i % 3) * 0.8).toFixed(1)},${s}`;
        }).join('\n') + '\n',
    },
  },
  trained: {
    prelude: `${mlp}
model.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy', metrics: ['accuracy'] });
const history = await model.fit(x, y, { epochs: 3, verbose: 0 });
const report = await __g.verifyOnnx(model, await model.exportOnnx(), x);
const testAccuracy = (await model.evaluate(x, y)).accuracy!;`,
  },
  'checks-report': {
    epilogue: `const __shown = { passed: true, argmaxAgreement: 1, rows: 10, opset: 17, ops: ['Gemm', 'Relu'], inputName: 'input', outputName: 'logits' };
for (const [k, v] of Object.entries(__shown))
  if (JSON.stringify((report as unknown as Record<string, unknown>)[k]) !== JSON.stringify(v)) throw new Error(\`the README shows \${k}: \${JSON.stringify(v)}, the code gives \${JSON.stringify((report as unknown as Record<string, unknown>)[k])}\`);`,
  },
};

interface Block {
  line: number;
  context: string | undefined;
  code: string;
  file: string;
}

function readmeBlocks(): Block[] {
  const text = readFileSync(path.join(root, 'README.md'), 'utf8');
  const blocks: Block[] = [];
  for (const m of text.matchAll(/(?:<!-- readme-test: ([\w-]+)[^>]*-->\n)?```ts\n([\s\S]*?)```/g)) {
    const line = text.slice(0, m.index! + (m[1] ? m[0].indexOf('```') : 0)).split('\n').length;
    blocks.push({ line, context: m[1], code: m[2], file: path.join(dir, `readme-line-${line}.ts`) });
  }
  return blocks;
}

// One module per block: its imports (from the source instead of the package), the context, the code.
function moduleOf(block: Block): string {
  const lines = block.code.split('\n');
  const imports = lines.filter((l) => l.startsWith('import ')).map((l) => l.replace(/from 'gradloop'/, `from '${SRC}'`));
  const body = lines.filter((l) => !l.startsWith('import '));
  const context = block.context ? CONTEXTS[block.context] : {};
  return [
    `import * as __g from '${SRC}';`,
    `import { Random as __Random } from '${path.join(root, 'src/random.js')}';`,
    ...imports,
    'void __g; void __Random;',
    context?.prelude ?? '',
    ...body,
    context?.epilogue ?? '',
    'export {};',
  ].join('\n');
}

const blocks = readmeBlocks();

describe('README code blocks', () => {
  beforeAll(() => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const b of blocks) writeFileSync(b.file, moduleOf(b));
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../tsconfig.json', compilerOptions: { noEmit: true }, include: ['./*.ts', '../src/types', '../examples'] }));
  });

  it('the README has its code blocks, each with a known context', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(9);
    for (const b of blocks) if (b.context) expect(Object.keys(CONTEXTS), `README line ${b.line}`).toContain(b.context);
  });

  it('the run config it shows is a valid run config', () => {
    const text = readFileSync(path.join(root, 'README.md'), 'utf8');
    const configs = [...text.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(configs.length).toBeGreaterThanOrEqual(1);
    for (const c of configs) expect(() => parseRunConfig(JSON.parse(c), 'README.md')).not.toThrow();
  });

  it('every block (and examples/) type-checks under the strict settings', () => {
    let output = '';
    try {
      execFileSync(path.join(root, 'node_modules/.bin/tsc'), ['-p', path.join(dir, 'tsconfig.json')], { encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      output = (err as { stdout?: string }).stdout ?? String(err);
    }
    expect(output, 'tsc errors, by README line (.readme-blocks/readme-line-<line>.ts)').toBe('');
  }, 120_000);

  it.each(blocks.map((b) => [b.line, b] as const))('the block at README line %i runs', async (_line, block) => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'gradloop-readme-'));
    for (const [name, text] of Object.entries((block.context && CONTEXTS[block.context]?.files) ?? {})) writeFileSync(path.join(work, name), text);
    const cwd = process.cwd();
    process.chdir(work); // the blocks write checkpoints, plots and ONNX files where they run
    const log = console.log;
    console.log = () => {};
    try {
      await import(pathToFileURL(block.file).href);
    } finally {
      console.log = log;
      process.chdir(cwd);
    }
  }, 120_000);
});

describe('examples/', () => {
  const run = (file: string) => execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'examples', file)], { encoding: 'utf8', cwd: root });
  it('mnist.ts trains above 95% and its ONNX file checks out', () => {
    const out = run('mnist.ts');
    expect(Number(/test accuracy ([\d.]+)%/.exec(out)?.[1])).toBeGreaterThan(95);
    expect(out).toMatch(/onnxruntime check on 256 digits: PASSED/);
  }, 120_000);
  it("mnist-cnn.ts trains issue 17's convolutional network to at least 98.5% in 15 epochs; its ONNX file checks out", () => {
    const out = run('mnist-cnn.ts');
    expect(Number(/test accuracy ([\d.]+)%/.exec(out)?.[1])).toBeGreaterThanOrEqual(98.5);
    expect(out).toMatch(/ONNX \(Conv, BatchNormalization, MaxPool\): PASSED on 256 digits/);
  }, 300_000);
  it('next-word.ts ranks "powerful" first after "Machine learning is"', () => {
    const out = run('next-word.ts');
    const ranked = [...out.matchAll(/^ {2}(\S+) +([\d.]+)%$/gm)].map((m) => [m[1], Number(m[2])] as const);
    expect(ranked.length).toBe(5);
    expect(ranked[0][0]).toBe('powerful');
    expect(ranked[0][1]).toBeGreaterThan(ranked[1][1]);
  }, 120_000);
  it('char-gpt.ts runs end to end (30 steps here; the README gives the full run): a loss below uniform guessing, a sample, ONNX checked', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'examples', 'char-gpt.ts')], { encoding: 'utf8', cwd: root, env: { ...process.env, CHAR_GPT_STEPS: '30' } });
    const loss = Number(/validation loss ([\d.]+) nats\/character/.exec(out)?.[1]);
    expect(loss).toBeLessThan(Math.log(90)); // 90 characters: 4.50 nats for a uniform guess
    expect(out).toMatch(/^sample: "The whale/m);
    expect(out).toMatch(/ONNX \(LayerNormalization, Softmax, MatMul\): PASSED on 8 windows/);
  }, 180_000);
  it('forecast.ts: the LSTM forecasts the next 24 hours better than tomorrow = today and the same day last week; its ONNX file checks out', () => {
    const out = run('forecast.ts');
    const [, lstm, today, lastWeek] = /LSTM ([\d.]+), tomorrow = today ([\d.]+), same day last week ([\d.]+)/.exec(out)!.map(Number);
    expect(lstm).toBeLessThan(0.9 * Math.min(today, lastWeek));
    expect(out).toMatch(/ONNX \(LSTM\): PASSED on 64 windows/);
  }, 180_000);
  it('imbalanced.ts: classWeight raises recall on the rare class well above the unweighted model, AUC stays high', () => {
    const out = run('imbalanced.ts');
    const scores = (name: string) => {
      const m = new RegExp(`${name} +precision ([\\d.]+) +recall ([\\d.]+) +AUC ([\\d.]+)`).exec(out)!;
      return { precision: Number(m[1]), recall: Number(m[2]), auc: Number(m[3]) };
    };
    const plain = scores('without classWeight'), weighted = scores('classWeight balanced');
    expect(weighted.recall).toBeGreaterThan(plain.recall + 0.2);
    expect(weighted.precision).toBeLessThan(plain.precision);
    expect(Math.min(plain.auc, weighted.auc)).toBeGreaterThan(0.9);
    expect(out).toMatch(/with classWeight: \d+ positives found, \d+ missed/);
  }, 120_000);
  it('residual-mnist.ts trains, resumes, and its ONNX file checks out', () => {
    const out = run('residual-mnist.ts');
    expect(Number(/test accuracy ([\d.]+)%/.exec(out)?.[1])).toBeGreaterThan(93);
    expect(out).toMatch(/ONNX \(Gemm, Relu, Add\): PASSED on 256 digits/);
  }, 120_000);
});
