// The gradloop command end to end on a small CSV config: train (checkpoint, ONNX verified,
// curves, report), predict, export, info, --help, and config errors that name the key.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRunConfig } from '../src/cli/config.js';
import { buildLayers, buildModel } from '../src/cli/train.js';
import { regressionReport } from '../src/cli/commands.js';
import { input, layers, layerTypes, loadModel, model, regularizers, sequential } from '../src/index.js';

const root = process.cwd();
// tsx's loader by absolute URL: the commands run in a scratch folder without node_modules.
const tsx = pathToFileURL(path.join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const dir = mkdtempSync(path.join(os.tmpdir(), 'gradloop-cli-'));
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', tsx, path.join(root, 'src/cli/main.ts'), ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

// Three Gaussian blobs in 2-D with text labels; a quoted free-text column that is left out.
const CLASSES = ['north', 'south, far', 'east'];
function writeCsv(file: string, rows: number, seed: number): void {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const lines = ['id,x1,x2,"comment",kind'];
  for (let i = 0; i < rows; i++) {
    const c = i % 3;
    const cx = [0, 6, -6][c], cy = [6, -4, -4][c];
    lines.push(`${i},${(cx + (rand() - 0.5) * 4).toFixed(3)},${(cy + (rand() - 0.5) * 4).toFixed(3)},"row ""${i}"", fine",${c === 1 ? `"${CLASSES[c]}"` : CLASSES[c]}`);
  }
  writeFileSync(file, lines.join('\n') + '\n');
}

const config = {
  name: 'blobs',
  data: { source: 'csv', path: 'blobs.csv', label: 'kind', columns: ['x1', 'x2'], testSize: 0.25, stratify: true, seed: 3, preprocess: 'standardize' },
  model: { layers: [{ type: 'dense', units: 16, activation: 'relu' }, { type: 'dense', units: 3 }], seed: 1 },
  compile: { optimizer: { type: 'adam', learningRate: 0.02 }, loss: 'softmaxCrossEntropy', metrics: ['accuracy'] },
  fit: { epochs: 12, batchSize: 16, seed: 2 },
  output: 'out',
};

describe('gradloop train', () => {
  let train: ReturnType<typeof cli>;
  const run = path.join(dir, 'out', 'blobs');
  beforeAll(() => {
    writeCsv(path.join(dir, 'blobs.csv'), 300, 7);
    writeFileSync(path.join(dir, 'run.json'), JSON.stringify(config));
    train = cli('train', '--config', 'run.json');
  }, 120_000);

  it('trains, prints the epochs and where everything went', () => {
    expect(train.code, train.stderr).toBe(0);
    expect(train.stdout).toContain('data: 300 rows of blobs.csv (2 features); 202 for training, 23 for validation, 75 held out for the final test; standardized on the training rows');
    expect(train.stdout).toMatch(/^Epoch 12\/12 - 13\/13 - /m);
    expect(train.stdout).toMatch(/test \(75 rows never used in training or to choose the model\): loss [\d.]+, accuracy (9\d|100)\.\d\d%/);
    expect(train.stdout).toMatch(/ONNX check on 75 test samples in onnxruntime: PASSED/);
    expect(train.stdout).toContain('wrote out/blobs/');
    for (const f of ['checkpoint', 'model.onnx', 'curves.png', 'report.html', 'history.json']) expect(train.stdout).toContain(`out/blobs/${f}`);
  });

  it('validates on rows of its own and tests once on the held-out rows, labelled as such', () => {
    const history = JSON.parse(readFileSync(path.join(run, 'history.json'), 'utf8'));
    expect(history.history.valLoss).toHaveLength(12);
    expect(Object.keys(history.evaluation).sort()).toEqual(['testAccuracy', 'testLoss']);
    expect(history.evaluation.testLoss).not.toBe(history.history.valLoss.at(-1)); // other rows
    expect(readFileSync(path.join(run, 'report.html'), 'utf8')).toMatch(/testAccuracy/);
    const noValidation = { ...config, name: 'noval', data: { ...config.data, validationSize: 0 }, fit: { ...config.fit, earlyStopping: { patience: 2 } } };
    writeFileSync(path.join(dir, 'noval.json'), JSON.stringify(noValidation));
    const r = cli('train', '--config', 'noval.json');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/fit\.earlyStopping needs validation rows; set data\.validationSize above 0 \(the test rows are never used to choose when to stop\)/);
  }, 60_000);

  it('writes the checkpoint, ONNX model, curves, report, history and preprocessing', async () => {
    for (const f of ['checkpoint/model.json', 'model.onnx', 'curves.png', 'curves.svg', 'report.html', 'history.json', 'preprocessing.json', 'run.json'])
      expect(existsSync(path.join(run, f)), f).toBe(true);
    const history = JSON.parse(readFileSync(path.join(run, 'history.json'), 'utf8'));
    expect(history.epoch).toHaveLength(12);
    expect(history.history.valAccuracy).toHaveLength(12);
    expect(history.evaluation.testAccuracy).toBeGreaterThan(0.9);
    const prep = JSON.parse(readFileSync(path.join(run, 'preprocessing.json'), 'utf8'));
    expect(prep.featureNames).toEqual(['x1', 'x2']);
    expect(prep.classes).toEqual(['east', 'north', 'south, far']);
    expect(prep.scaler.kind).toBe('standardize');
    expect(readFileSync(path.join(run, 'report.html'), 'utf8')).toContain('PASSED');
    const png = PNG.sync.read(readFileSync(path.join(run, 'curves.png')));
    expect(png.width).toBeGreaterThan(1000);
    const model = await loadModel(path.join(run, 'checkpoint'));
    expect(model.name).toBe('blobs');
    expect(model.inputShape).toEqual([2]);
  });

  it('predict labels new rows with class names and probabilities, scaled as in training', () => {
    writeCsv(path.join(dir, 'new.csv'), 30, 99);
    const r = cli('predict', '--model', 'out/blobs', '--input', 'new.csv');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('prediction,p_east,p_north,"p_south, far"');
    expect(lines).toHaveLength(31);
    const predicted = lines.slice(1).map((l) => (l.startsWith('"') ? l.slice(1, l.indexOf('"', 1)) : l.split(',')[0]));
    const truth = Array.from({ length: 30 }, (_, i) => CLASSES[i % 3]);
    expect(predicted.filter((p, i) => p === truth[i]).length).toBeGreaterThanOrEqual(27);
    for (const l of lines.slice(1)) {
      const probs = l.split(',').slice(-3).map(Number);
      expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    }
    expect(r.stderr).toMatch(/accuracy against the file's 'kind' column: (9\d|100)\.\d\d% of 30 rows/);
    const toFile = cli('predict', '--model', 'out/blobs/checkpoint', '--input', 'new.csv', '--out', 'pred.csv');
    expect(toFile.code, toFile.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'pred.csv'), 'utf8')).toBe(r.stdout);
  });

  it("predict gives a softmax output's probabilities as they are (not a second softmax)", async () => {
    const soft = { ...config, name: 'soft', model: { ...config.model, layers: [config.model.layers[0], { type: 'dense', units: 3, activation: 'softmax' }] }, fit: { ...config.fit, epochs: 2 } };
    writeFileSync(path.join(dir, 'soft.json'), JSON.stringify(soft));
    expect(cli('train', '--config', 'soft.json').code).toBe(0);
    writeCsv(path.join(dir, 'new3.csv'), 6, 5);
    const lines = cli('predict', '--model', 'out/soft', '--input', 'new3.csv').stdout.trimEnd().split('\n').slice(1);
    const m = await loadModel(path.join(dir, 'out/soft/checkpoint'));
    const { data } = await import('../src/index.js');
    const csv = await data.fromCsv(path.join(dir, 'new3.csv'), { columns: ['x1', 'x2'], label: 'kind' });
    const { Scaler } = await import('../src/data/preprocess.js');
    const scaler = Scaler.fromJSON(JSON.parse(readFileSync(path.join(dir, 'out/soft/preprocessing.json'), 'utf8')).scaler);
    const p = m.predict(scaler.transform(csv.x)).data;
    lines.forEach((l, r) => l.split(',').slice(-3).map(Number).forEach((v, c) => expect(v).toBeCloseTo(p[r * 3 + c], 5)));
  }, 60_000);

  it('predict reports MAE, RMSE and R² when a regression file has its label column', () => {
    // scikit-learn's documented example: MAE 0.5, MSE 0.375, r2_score 0.9486081370449679.
    expect(regressionReport([2.5, 0.0, 2, 8], [3, -0.5, 2, 7], 1, 'y')).toBe("regression metrics against the file's 'y' column over 4 rows: MAE 0.5000, RMSE 0.6124, R² 0.9486");
    const lines = ['x1,x2,price'];
    for (let i = 0; i < 200; i++) {
      const a = Math.sin(i), b = Math.cos(i * 1.7);
      lines.push(`${a.toFixed(4)},${b.toFixed(4)},${(2 * a - b + 0.05 * Math.sin(i * 13)).toFixed(4)}`);
    }
    writeFileSync(path.join(dir, 'prices.csv'), lines.join('\n') + '\n');
    const regression = { ...config, name: 'prices', data: { source: 'csv', path: 'prices.csv', label: 'price', testSize: 0.2, seed: 1 }, model: { layers: [{ type: 'dense', units: 16, activation: 'tanh' }, { type: 'dense', units: 1 }], seed: 1 }, compile: { optimizer: { type: 'adam', learningRate: 0.02 }, loss: 'mse' }, fit: { epochs: 40, batchSize: 16, seed: 2 } };
    writeFileSync(path.join(dir, 'prices.json'), JSON.stringify(regression));
    expect(cli('train', '--config', 'prices.json').code).toBe(0);
    const r = cli('predict', '--model', 'out/prices', '--input', 'prices.csv');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/regression metrics against the file's 'price' column over 200 rows: MAE 0\.\d+, RMSE 0\.\d+, R² 0\.9\d\d\d/);
  }, 60_000);

  it('predict explains a file that lacks the training columns', () => {
    writeFileSync(path.join(dir, 'wrong.csv'), 'a,b\n1,2\n');
    const r = cli('predict', '--model', 'out/blobs', '--input', 'wrong.csv');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/columns\[\] 'x1' is not a column; the columns are 'a', 'b'\n\(the model was trained on the columns x1, x2\)/);
  });

  it('export writes an ONNX file onnxruntime loads', async () => {
    const r = cli('export', '--model', 'out/blobs', '--out', 'exported.onnx', '--opset', '13');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote exported\.onnx \(\d+ KiB, ONNX opset 13\)/);
    const session = await ort.InferenceSession.create(path.join(dir, 'exported.onnx'));
    expect(session.inputNames).toHaveLength(1);
  });
});

describe('gradloop train on a text source, and gradloop generate', () => {
  // A small causal transformer on a gzip'd text: windows of 16 characters, a loss at every position.
  const sentence = 'the whale swam under the ship and the sea was calm. ';
  const vocabulary = new Set(sentence).size + 1; // the characters and the unknown token
  const block = (p: string, from: string) => [
    { type: 'layerNormalization', name: `${p}_norm`, inputs: [from] },
    { type: 'multiHeadAttention', name: `${p}_attention`, numHeads: 2, keyDim: 8, useCausalMask: true },
    { type: 'add', name: `${p}_residual`, inputs: [from, `${p}_attention`] },
  ];
  const textConfig = (units: number) => ({
    name: 'tiny-gpt',
    data: { source: 'text', path: 'story.txt.gz', contextLength: 16, testSize: 0.2, validationSize: 0.1, sample: { prompt: 'the wh', maxTokens: 20, temperature: 0 } },
    model: { layers: [{ type: 'tokenAndPositionEmbedding', name: 'embedding', vocabularySize: vocabulary, sequenceLength: 16, embeddingDim: 16 }, ...block('b0', 'embedding'), { type: 'dense', name: 'logits', units }], seed: 1 },
    compile: { optimizer: { type: 'adamw', learningRate: 0.01 }, loss: 'softmaxCrossEntropy', metrics: ['accuracy'] },
    fit: { epochs: 8, batchSize: 8, seed: 1 },
    output: 'out',
  });
  let train: ReturnType<typeof cli>;
  const run = path.join(dir, 'out', 'tiny-gpt');
  beforeAll(() => {
    writeFileSync(path.join(dir, 'story.txt.gz'), gzipSync(sentence.repeat(60)));
    writeFileSync(path.join(dir, 'text.json'), JSON.stringify(textConfig(vocabulary)));
    train = cli('train', '--config', 'text.json');
  }, 120_000);

  it('splits the text by position, trains, tests in nats per token, prints a sample and keeps the tokenizer in the checkpoint', () => {
    expect(train.code, train.stderr).toBe(0);
    // 3,120 characters: the last 20% for the test, the last 10% of the rest for validation.
    expect(train.stdout).toContain(`data: 3,120 characters of story.txt.gz, ${vocabulary} characters as tokens, windows of 16; 140 for training, 15 for validation, 38 held out for the final test`);
    expect(train.stdout).toMatch(/test \(38 rows never used in training or to choose the model\): loss [\d.]+ nats per token, accuracy/);
    const loss = Number(/loss ([\d.]+) nats per token/.exec(train.stdout)![1]);
    expect(loss).toBeLessThan(Math.log(vocabulary) / 2); // a repeated sentence is easy to learn
    expect(train.stdout).toMatch(/^sample: "the wh/m);
    expect(train.stdout).toMatch(/ONNX check on 38 test samples in onnxruntime: PASSED/);
    expect(readdirSync(path.join(run, 'checkpoint')).sort()).toEqual(['model.json', 'optimizer.safetensors', 'tokenizer.json', 'weights.safetensors']);
    expect(JSON.parse(readFileSync(path.join(run, 'history.json'), 'utf8')).sample).toMatch(/^the wh/);
  });

  it('generate continues a prompt with the saved tokenizer, the same for the same seed', () => {
    const a = cli('generate', '--model', run, '--prompt', 'the sea', '--max-tokens', '30', '--seed', '4');
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/^the sea.{30,}\n$/s); // 30 tokens (the unknown token prints as <unk>)
    expect(cli('generate', '-m', run, '-p', 'the sea', '-n', '30', '--seed', '4').stdout).toBe(a.stdout);
    expect(cli('generate', '-m', run, '-p', 'x', '--temperature', '-1').stderr).toMatch(/--temperature must be a number in \[0, Infinity\]/);
  });

  it('a text model whose output does not match the tokenizer, and generate on a model without a tokenizer, are clear errors', () => {
    writeFileSync(path.join(dir, 'mismatch.json'), JSON.stringify({ ...textConfig(vocabulary + 3), name: 'mismatch' }));
    expect(cli('train', '--config', 'mismatch.json').stderr).toContain(`the model's last layer gives ${vocabulary + 3} scores but the tokenizer has ${vocabulary} tokens; set its units (and the embedding's vocabularySize or inputDim) to ${vocabulary}`);
    writeFileSync(path.join(dir, 'short.json'), JSON.stringify({ ...textConfig(vocabulary), name: 'short', data: { ...textConfig(vocabulary).data, contextLength: 700, validationSize: 0 } }));
    expect(cli('train', '--config', 'short.json').stderr).toContain("data: the test part of 'story.txt.gz' (624 characters): 624 ids make no window of 700 with a token after it");
    const plain = path.join(dir, 'plain');
    spawnSync(process.execPath, ['--import', tsx, '-e', `import('${pathToFileURL(path.join(root, 'src/index.ts')).href}').then(async ({ sequential, layers }) => sequential([layers.dense({ inputShape: [2], units: 1 })]).save(${JSON.stringify(plain)}))`], { encoding: 'utf8' });
    expect(cli('generate', '-m', plain, '-p', 'hi').stderr).toMatch(/has no tokenizer: generate needs a text model/);
  });

  it("the example GPT config builds examples/char-gpt.ts' network", () => {
    const file = path.join(root, 'examples/char-gpt.json');
    const gpt = buildModel(parseRunConfig(JSON.parse(readFileSync(file, 'utf8')), file), 64);
    expect(gpt.inputShape).toEqual([64]);
    expect(gpt.outputShape).toEqual([64, 90]);
    expect(gpt.countParams()).toBe(824_666);
  });
});

describe('gradloop info, --help and config errors', () => {
  it('info names the version, devices and BLAS', () => {
    const r = cli('info');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^gradloop \d+\.\d+\.\d+\n/);
    expect(r.stdout).toMatch(/BLAS: OpenBLAS/);
    expect(r.stdout).toMatch(/devices:\n {2}cpu: .*\d+ cores/);
  });

  it('every command has --help', () => {
    for (const command of [[], ['train'], ['predict'], ['export'], ['info']]) {
      const r = cli(...command, '--help');
      expect(r.code, command.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^Usage: gradloop/);
    }
    expect(cli('train', '--help').stdout).toContain('--config <file>');
    expect(cli('predict', '--help').stdout).toContain('--input <file.csv>');
  });

  it('a bad config is one message per problem, naming the key, the expectation and the value', () => {
    const bad = { ...config, name: 'has space', data: { ...config.data, testSize: 1.5 }, model: { layers: [{ type: 'dense', units: 0 }, { type: 'conv3d' }] }, fit: { epochs: 2, batchsize: 8 } };
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify(bad));
    const r = cli('train', '--config', 'bad.json');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('gradloop: bad.json is not a valid run config:');
    expect(r.stderr).toContain('name: letters, digits, dot, dash or underscore only, got "has space"');
    expect(r.stderr).toContain('data.testSize: expected number to be <1, got 1.5');
    // A layer's options are checked by the layer itself: the API's message, under the config's key.
    expect(r.stderr).toContain('model.layers[0]: dense: units must be an integer >= 1, got 0\n');
    expect(r.stderr).toMatch(/model\.layers\[1\]\.type: expected 'activation' \| 'relu' \| .*'dense' \| 'dropout' \| 'embedding' \| 'flatten'.*, got "conv3d"/);
    expect(r.stderr).toContain("fit: unknown key 'batchsize'");
    writeFileSync(path.join(dir, 'broken.json'), '{ "name": ');
    expect(cli('train', '--config', 'broken.json').stderr).toMatch(/broken\.json is not valid JSON/);
    expect(cli('train').stderr).toMatch(/required option '-c, --config <file>' not specified/);
  });

  it('the example configs are valid, and the CNN config builds the network of examples/mnist-cnn.ts', () => {
    for (const name of ['mnist.json', 'mnist-cnn.json', 'char-gpt.json']) {
      const file = path.join(root, 'examples', name);
      expect(() => parseRunConfig(JSON.parse(readFileSync(file, 'utf8')), file)).not.toThrow();
    }
    const file = path.join(root, 'examples/mnist-cnn.json');
    const run = parseRunConfig(JSON.parse(readFileSync(file, 'utf8')), file);
    const m = sequential(buildLayers(run, 784), { seed: 3 });
    expect(m.layers.map((l) => l.className)).toEqual(['Reshape', 'Conv2D', 'BatchNormalization', 'ReLU', 'MaxPooling2D', 'Conv2D', 'BatchNormalization', 'ReLU', 'MaxPooling2D', 'Flatten', 'Dropout', 'Dense']);
    expect(m.countParams()).toBe(35_114);
  });
});

describe("the model config takes every layer with the API's own option names", () => {
  it('builds the same layers as layers.*(options), for every registered layer type', () => {
    const specs = [
      { type: 'dense', units: 6, activation: 'leakyRelu', alpha: 0.1, useBias: false, kernelInitializer: 'heNormal', kernelRegularizer: { l2: 0.001 } },
      { type: 'dropout', rate: 0.25, seed: 3 },
      { type: 'activation', activation: 'gelu' },
      { type: 'relu' }, { type: 'leakyRelu', alpha: 0.2 }, { type: 'sigmoid' }, { type: 'tanh' }, { type: 'gelu' },
      { type: 'dense', units: 4, biasRegularizer: 'l2', name: 'head' },
      { type: 'flatten' },
      { type: 'softmax' },
    ];
    const run = parseRunConfig({ ...config, model: { layers: specs } }, 'all.json');
    const fromConfig = sequential(buildLayers(run, 5), { seed: 1 });
    const fromApi = sequential([
      layers.dense({ inputShape: [5], units: 6, activation: 'leakyRelu', alpha: 0.1, useBias: false, kernelInitializer: 'heNormal', kernelRegularizer: regularizers.l2(0.001) }),
      layers.dropout({ rate: 0.25, seed: 3 }),
      layers.activation({ activation: 'gelu' }),
      layers.relu(), layers.leakyRelu({ alpha: 0.2 }), layers.sigmoid(), layers.tanh(), layers.gelu(),
      layers.dense({ units: 4, biasRegularizer: 'l2', name: 'head' }),
      layers.flatten(),
      layers.softmax(),
    ], { seed: 1 });
    expect(fromConfig.getConfig().layers).toEqual(fromApi.getConfig().layers);
    expect(fromConfig.getWeights()).toEqual(fromApi.getWeights());
    // Every other type the registry knows is accepted by name: with its options, or refused with
    // its own message about them, never as an unknown type.
    const types = new Set(specs.map((l) => l.type));
    expect(() => parseRunConfig({ ...config, model: { layers: [{ type: 'embedding', inputDim: 10, outputDim: 4 }, { type: 'flatten' }] } }, 'e.json')).not.toThrow();
    for (const type of layerTypes().filter((t) => !types.has(t))) {
      try {
        parseRunConfig({ ...config, model: { layers: [{ type }] } }, 'one.json');
      } catch (err) {
        expect((err as Error).message).toMatch(new RegExp(`model\\.layers\\[0\\]: ${type}: `));
      }
    }
  });

  it("a layer that names its inputs makes a graph: a residual block from a config is the API's graph", () => {
    const specs = [
      { type: 'dense', name: 'stem', units: 6, activation: 'relu' },
      { type: 'dense', name: 'branch', units: 6, activation: 'tanh' },
      { type: 'add', name: 'skip', inputs: ['stem', 'branch'] },
      { type: 'concatenate', name: 'joined', inputs: ['skip', 'input'] },
      { type: 'dense', name: 'head', units: 3 },
    ];
    const fromConfig = buildModel(parseRunConfig({ ...config, model: { layers: specs, seed: 1 } }, 'graph.json'), 5);
    const x = input({ shape: [5], name: 'input' });
    const stem = layers.dense({ name: 'stem', units: 6, activation: 'relu' }).apply(x);
    const skip = layers.add({ name: 'skip' }).apply([stem, layers.dense({ name: 'branch', units: 6, activation: 'tanh' }).apply(stem)]);
    const fromApi = model({ inputs: x, outputs: layers.dense({ name: 'head', units: 3 }).apply(layers.concatenate({ name: 'joined' }).apply([skip, x])), seed: 1, name: 'graph' });
    expect(fromConfig.getConfig().graph).toEqual(fromApi.getConfig().graph);
    expect(fromConfig.getWeights()).toEqual(fromApi.getWeights());
    expect(() => buildModel(parseRunConfig({ ...config, model: { layers: [{ type: 'dense', units: 2 }, { type: 'add', inputs: ['input', 'nope'] }] } }, 'bad.json'), 5))
      .toThrow(/model\.layers\[1\] \('add'\): inputs names 'nope', which is neither "input" nor an earlier layer's name/);
  });

  it('takes the optimizer by name, as compile() does', () => {
    const run = parseRunConfig({ ...config, compile: { ...config.compile, optimizer: 'adam' } }, 'named.json');
    expect(run.compile.optimizer).toEqual({ type: 'adam' });
    expect(parseRunConfig({ ...config, compile: { ...config.compile, optimizer: { type: 'rmsprop', centered: true } } }, 'rms.json').compile.optimizer).toEqual({ type: 'rmsprop', centered: true });
    expect(() => parseRunConfig({ ...config, compile: { ...config.compile, optimizer: 'rmsprops' } }, 'bad.json')).toThrow(/compile\.optimizer/);
    expect(() => parseRunConfig({ ...config, compile: { ...config.compile, optimizer: { type: 'lion', momentum: 0.9 } } }, 'bad.json')).toThrow(/compile\.optimizer/);
  });

  it("the CLI's old l2 key is refused with the API's message", () => {
    expect(() => parseRunConfig({ ...config, model: { layers: [{ type: 'dense', units: 3, l2: 0.01 }] } }, 'old.json')).toThrow(/model\.layers\[0\]: dense: unknown option 'l2'; known options are .*kernelRegularizer/);
  });
});
