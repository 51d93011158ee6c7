// The benchmark workloads (issue: core engine, part 12), shared by every bench script.
import { type DeviceRequest, input, layers, type Model, model as graphModel, optimizers, sequential, tensor, type Tensor } from '../src/index.js';
import { Random } from '../src/random.js';

export interface Workload {
  name: string;
  description: string;
  batchSize: number;
  /** Dense layers as [inputs, outputs]: training FLOPs per sample = 6 * sum(in * out). */
  dense: [number, number][];
  /**
   * A convolutional workload: its forward multiply-adds per sample (training FLOPs = 6x) and its
   * largest forward product as im2col makes it, [rows per sample, filters, window]. bench:compare
   * (whose ceiling models dense products) leaves it out; bench/run.ts and the GPU kit run it.
   */
  conv?: { macsPerSample: number; largest: [number, number, number] };
  /** Only in GPU runs by default (a step is seconds of work on a CPU). */
  gpuOnly?: boolean;
  /** Steps per timed epoch (default 64); fewer for workloads whose data set would be large. */
  stepsPerEpoch?: number;
  /** Tokens per sample, for a language model: its rate is also given in tokens/s. */
  tokensPerSample?: number;
  /** In bench:compare against PyTorch only (TF.js' script builds the dense workloads). */
  pytorchOnly?: true;
  /** The model, compiled for `device` ('cpu' when omitted). */
  build(device?: DeviceRequest): Model;
  data(rows: number): [Tensor, Tensor];
}

const mlp = (sizes: number[], optimizer: 'adam' | 'sgd') => (device: DeviceRequest = 'cpu') => {
  const model = sequential(
    sizes.slice(1).map((units, i) =>
      layers.dense({ ...(i === 0 ? { inputShape: [sizes[0]] } : {}), units, activation: i < sizes.length - 2 ? 'relu' : 'linear' }),
    ),
    { seed: 1 },
  );
  model.compile({
    optimizer: optimizer === 'adam' ? optimizers.adam({ learningRate: 1e-3 }) : optimizers.sgd({ learningRate: 0.01, momentum: 0.9 }),
    loss: 'softmaxCrossEntropy',
    device,
  });
  return model;
};

function floatData(rows: number, features: number, classes: number): [Tensor, Tensor] {
  const r = new Random(7);
  return [
    tensor(Float32Array.from({ length: rows * features }, () => r.uniform()), [rows, features]),
    tensor(Int32Array.from({ length: rows }, () => r.int(classes)), [rows], 'int32'),
  ];
}

const pairs = (sizes: number[]) => sizes.slice(1).map((o, i) => [sizes[i], o] as [number, number]);

export const WORKLOADS: Workload[] = [
  {
    name: 'W1', description: 'MLP 784-512-512-10 relu, adam, batch 128', batchSize: 128,
    dense: pairs([784, 512, 512, 10]), build: mlp([784, 512, 512, 10], 'adam'), data: (n) => floatData(n, 784, 10),
  },
  {
    name: 'W2', description: 'MLP 784-128-10 relu, sgd momentum 0.9, batch 32', batchSize: 32,
    dense: pairs([784, 128, 10]), build: mlp([784, 128, 10], 'sgd'), data: (n) => floatData(n, 784, 10),
  },
  {
    name: 'W3', description: 'MLP 784-1024-1024-1024-10 relu, adam, batch 256', batchSize: 256,
    dense: pairs([784, 1024, 1024, 1024, 10]), build: mlp([784, 1024, 1024, 1024, 10], 'adam'), data: (n) => floatData(n, 784, 10),
  },
  {
    name: 'W4', description: 'embedding(65, 32) x 8 tokens, flatten, dense 256 tanh, dense 65, adam, batch 256', batchSize: 256,
    dense: [[256, 256], [256, 65]],
    build: (device: DeviceRequest = 'cpu') => {
      const model = sequential([
        layers.embedding({ inputDim: 65, outputDim: 32, inputLength: 8 }),
        layers.flatten(),
        layers.dense({ units: 256, activation: 'tanh' }),
        layers.dense({ units: 65 }),
      ], { seed: 1 });
      model.compile({ optimizer: optimizers.adam({ learningRate: 1e-3 }), loss: 'softmaxCrossEntropy', device });
      return model;
    },
    data: (n) => {
      const r = new Random(7);
      return [
        tensor(Int32Array.from({ length: n * 8 }, () => r.int(65)), [n, 8], 'int32'),
        tensor(Int32Array.from({ length: n }, () => r.int(65)), [n], 'int32'),
      ];
    },
  },
  {
    name: 'W5', description: 'MLP 4096-4096-4096-4096-10 relu, adam, batch 1024 (GPU)', batchSize: 1024, gpuOnly: true, stepsPerEpoch: 8,
    dense: pairs([4096, 4096, 4096, 4096, 10]), build: mlp([4096, 4096, 4096, 4096, 10], 'adam'), data: (n) => floatData(n, 4096, 10),
  },
  {
    // examples/mnist-cnn.ts's network and batch: conv 3x3 32 (no bias), batch norm, relu, max pool,
    // conv 3x3 64, batch norm, relu, max pool, dropout, dense 10. Forward multiply-adds per sample:
    // 26*26*32*9 + 11*11*64*288 + 1600*10.
    name: 'W8', description: 'MNIST CNN: conv 32-bn-relu-pool, conv 64-bn-relu-pool, dropout, dense 10; adam, batch 32', batchSize: 32,
    dense: [], conv: { macsPerSample: 26 * 26 * 32 * 9 + 11 * 11 * 64 * 288 + 1600 * 10, largest: [121, 64, 288] },
    build: (device: DeviceRequest = 'cpu') => {
      const block = (filters: number) => [layers.conv2d({ filters, kernelSize: 3, useBias: false }), layers.batchNormalization(), layers.relu(), layers.maxPooling2d({ poolSize: 2 })];
      const model = sequential([
        layers.reshape({ inputShape: [784], targetShape: [28, 28, 1] }), ...block(32), ...block(64),
        layers.flatten(), layers.dropout({ rate: 0.5 }), layers.dense({ units: 10 }),
      ], { seed: 1 });
      model.compile({ optimizer: optimizers.adam({ learningRate: 1e-3 }), loss: 'softmaxCrossEntropy', device });
      return model;
    },
    data: (n) => floatData(n, 784, 10),
  },
  {
    // Issue 18's small GPT: vocabulary 65, context 64, d 128, 4 heads, 4 pre-LN blocks (causal
    // attention, a 4x gelu MLP, residuals), a per-position softmax cross-entropy; AdamW, batch 32.
    // Multiply-adds per sample: per block 4 d^2 T (projections) + 2 T^2 d (scores and values) +
    // 8 d^2 T (MLP); the head d * 65 * T.
    name: 'W6', description: 'GPT: vocab 65, context 64, d 128, 4 heads, 4 pre-LN blocks, adamw, batch 32', batchSize: 32, tokensPerSample: 64, pytorchOnly: true,
    dense: [], conv: { macsPerSample: 4 * (12 * 128 * 128 * 64 + 2 * 64 * 64 * 128) + 128 * 65 * 64, largest: [64, 512, 128] },
    build: (device: DeviceRequest = 'cpu') => {
      const d = 128, T = 64;
      const ids = input({ shape: [T], dtype: 'int32' });
      let x = layers.tokenAndPositionEmbedding({ vocabularySize: 65, sequenceLength: T, embeddingDim: d }).apply(ids);
      for (let b = 0; b < 4; b++) {
        const a = layers.multiHeadAttention({ numHeads: 4, keyDim: d / 4, useCausalMask: true }).apply(layers.layerNormalization({ epsilon: 1e-5 }).apply(x));
        x = layers.add().apply([x, a]);
        const f = layers.dense({ units: d }).apply(layers.dense({ units: 4 * d, activation: 'gelu' }).apply(layers.layerNormalization({ epsilon: 1e-5 }).apply(x)));
        x = layers.add().apply([x, f]);
      }
      const logits = layers.dense({ units: 65 }).apply(layers.layerNormalization({ epsilon: 1e-5 }).apply(x));
      const model = graphModel({ inputs: ids, outputs: logits, seed: 1 });
      model.compile({ optimizer: optimizers.adamw({ learningRate: 3e-4, weightDecay: 0.1 }), loss: 'softmaxCrossEntropy', device });
      return model;
    },
    data: (n) => {
      const r = new Random(7);
      return [
        tensor(Int32Array.from({ length: n * 64 }, () => r.int(65)), [n, 64], 'int32'),
        tensor(Int32Array.from({ length: n * 64 }, () => r.int(65)), [n, 64], 'int32'),
      ];
    },
  },
  {
    // Issue 19's recurrent workload: a 2-layer LSTM of 256 units over 64 steps of 32 features,
    // classified from the last state; Adam, batch 32. Multiply-adds per sample: per layer and
    // step 4 units (inputs + units) (the gates' two products), then the head.
    name: 'W7', description: 'LSTM 2 layers x 256 units, 64 steps of 32 features, dense 10, adam, batch 32', batchSize: 32, pytorchOnly: true,
    dense: [], conv: { macsPerSample: 64 * 4 * 256 * (32 + 256) + 64 * 4 * 256 * (256 + 256) + 256 * 10, largest: [1, 1024, 256] },
    build: (device: DeviceRequest = 'cpu') => {
      const model = sequential([
        layers.lstm({ inputShape: [64, 32], units: 256, returnSequences: true }),
        layers.lstm({ units: 256 }),
        layers.dense({ units: 10 }),
      ], { seed: 1 });
      model.compile({ optimizer: optimizers.adam({ learningRate: 1e-3 }), loss: 'softmaxCrossEntropy', device });
      return model;
    },
    data: (n) => floatData(n, 64 * 32, 10).map((t, i) => (i === 0 ? tensor(t.data as Float32Array, [n, 64, 32]) : t)) as [Tensor, Tensor],
  },
];

export const flopsPerSample = (w: Workload): number => 6 * (w.conv?.macsPerSample ?? w.dense.reduce((s, [i, o]) => s + i * o, 0));
