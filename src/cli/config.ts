// run.json: everything `gradloop train` needs (data, model, compile, fit, output), checked
// with a zod schema so a mistake is reported as the key's path, what it expects and what it got.
import { z } from 'zod';
import { createLayer, layerTypes } from '../layers/index.js';
import { LOSSES } from '../model/losses.js';
import { getMetric } from '../metrics/metrics.js';

const positiveInt = z.number().int().positive();
const fraction = z.number().gt(0).lt(1);
// A layer: { type, ...the options of layers.<type>(options) }. The layer checks its own options,
// so a config takes exactly the API's option names and gets the API's messages; the types are the
// layer registry's, so a new layer is in the config the moment it exists.
// A graph (residual connections): `inputs` names the layers (or "input", the data) a layer reads;
// without it a layer reads the layer before it. Merge layers list theirs: { type: 'add', inputs: [...] }.
const layer = z.looseObject({ type: z.string(), inputs: z.array(z.string().min(1)).min(1).optional() }).superRefine((spec, ctx) => {
  const { type, inputs: _inputs, ...options } = spec;
  if (!layerTypes().includes(type)) {
    ctx.addIssue({ code: 'custom', path: ['type'], message: `expected ${layerTypes().map((t) => `'${t}'`).join(' | ')}`, input: type });
    return;
  }
  try {
    createLayer(type, options);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

const schedule = z.discriminatedUnion('name', [
  z.strictObject({ name: z.literal('cosineDecay'), initialLearningRate: z.number().nonnegative(), decaySteps: positiveInt, alpha: z.number().min(0).max(1).optional(), warmupSteps: z.number().int().nonnegative().optional(), warmupTarget: z.number().positive().optional(), per: z.enum(['step', 'epoch']).optional() }),
  z.strictObject({ name: z.literal('exponentialDecay'), initialLearningRate: z.number().positive(), decaySteps: positiveInt, decayRate: z.number().positive(), staircase: z.boolean().optional(), per: z.enum(['step', 'epoch']).optional() }),
  z.strictObject({ name: z.literal('stepDecay'), initialLearningRate: z.number().positive(), dropEvery: positiveInt, factor: z.number().min(0).max(1).optional(), per: z.enum(['step', 'epoch']).optional() }),
  z.strictObject({ name: z.literal('linearWarmup'), initialLearningRate: z.number().positive(), warmupSteps: positiveInt, startLearningRate: z.number().nonnegative().optional(), per: z.enum(['step', 'epoch']).optional() }),
]);

// Optimizer options (the factories check them again, with the API's messages).
// A metric as compile() takes it: a name, or { kind, ...options } as metrics.<name>() makes it.
const metricSchema = z.union([z.string(), z.looseObject({ kind: z.string() })]).superRefine((m, ctx) => {
  try {
    getMetric(m, 'metric');
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message.replace(/^metric: /, '') });
  }
});
const unit = z.number().min(0).lt(1).optional();
const nonNegative = z.number().nonnegative().optional();
const positiveNumber = z.number().positive().optional();
const learningRate = z.union([z.number().positive(), schedule], {
  error: "expected a positive number or a schedule { name: 'cosineDecay' | 'exponentialDecay' | 'stepDecay' | 'linearWarmup', initialLearningRate, ... }",
});

// How the rows are split and prepared, whatever the source.
const split = {
  /** Held out for the final test only: evaluated once, after training, never used to choose anything. */
  testSize: fraction.default(0.2),
  /** Of the training part, held out for validation after each epoch (early stopping, the best checkpoint); 0: none. */
  validationSize: z.number().min(0).lt(1).default(0.1),
  stratify: z.boolean().default(false),
  seed: z.number().int().nonnegative().default(0),
  preprocess: z.enum(['none', 'standardize', 'normalize']).default('none'),
};

const data = z.discriminatedUnion('source', [
  z.strictObject({ source: z.literal('mnist'), ...split }),
  z.strictObject({
    source: z.literal('csv'),
    /** Relative to the config file. */
    path: z.string().min(1),
    label: z.union([z.string(), z.number().int().nonnegative()], { error: 'expected the label column name (or its 0-based index)' }),
    columns: z.array(z.union([z.string(), z.number().int().nonnegative()])).optional(),
    header: z.boolean().optional(),
    delimiter: z.string().length(1).optional(),
    missing: z.union([z.enum(['error', 'skipRow', 'mean']), z.number()]).optional(),
    labelType: z.enum(['class', 'number']).optional(),
    ...split,
  }),
  z.strictObject({ source: z.literal('idx'), images: z.string().min(1), labels: z.string().min(1), scale: z.number().positive().optional(), ...split }),
  // A language model's data: a UTF-8 text file (gzip'd or not), tokenized, cut into windows. The
  // test and validation parts are the text's end (the last testSize of it, then the last
  // validationSize of the rest), so no window of them overlaps a training window.
  z.strictObject({
    source: z.literal('text'),
    /** Relative to the config file. */
    path: z.string().min(1),
    tokenizer: z.enum(['char', 'word']).default('char'),
    lowercase: z.boolean().optional(),
    maxVocabulary: z.number().int().min(2).optional(),
    contextLength: positiveInt,
    /** Ids between the starts of two windows (default contextLength: windows side by side). */
    stride: positiveInt.optional(),
    /** 'sequence': the next token at every position ([steps, vocabulary] models); 'next': after the window only. */
    targets: z.enum(['sequence', 'next']).default('sequence'),
    testSize: fraction.default(0.1),
    validationSize: z.number().min(0).lt(1).default(0),
    /** A sample printed after training (and kept in history.json): the prompt continued. */
    sample: z.strictObject({
      prompt: z.string().min(1),
      maxTokens: z.number().int().min(1).max(100000).default(200),
      temperature: z.number().min(0).default(0.8),
      topK: positiveInt.optional(),
      topP: z.number().gt(0).max(1).optional(),
      seed: z.number().int().nonnegative().default(0),
    }).optional(),
  }),
]);

export const runConfigSchema = z.strictObject({
  /** The run's folder under output: runs/<name>/. */
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash or underscore only'),
  data,
  model: z.strictObject({
    layers: z.array(layer).min(1),
    seed: z.number().int().nonnegative().optional(),
  }),
  compile: z.strictObject({
    // As compile() takes it: a name ('adam', with its defaults) or { type, ...options }.
    optimizer: z.union([z.enum(['sgd', 'adam', 'adamw', 'rmsprop', 'adagrad', 'adadelta', 'adamax', 'nadam', 'lion']).transform((type) => ({ type })), z.discriminatedUnion('type', [
      z.strictObject({ type: z.literal('sgd'), learningRate: learningRate.optional(), momentum: nonNegative, nesterov: z.boolean().optional(), weightDecay: nonNegative }),
      z.strictObject({ type: z.enum(['adam', 'adamw']), learningRate: learningRate.optional(), beta1: unit, beta2: unit, epsilon: positiveNumber, weightDecay: nonNegative, amsgrad: z.boolean().optional() }),
      z.strictObject({ type: z.enum(['adamax', 'nadam']), learningRate: learningRate.optional(), beta1: unit, beta2: unit, epsilon: positiveNumber, weightDecay: nonNegative, momentumDecay: nonNegative }),
      z.strictObject({ type: z.literal('rmsprop'), learningRate: learningRate.optional(), alpha: unit, epsilon: positiveNumber, weightDecay: nonNegative, momentum: nonNegative, centered: z.boolean().optional() }),
      z.strictObject({ type: z.literal('adagrad'), learningRate: learningRate.optional(), lrDecay: nonNegative, weightDecay: nonNegative, initialAccumulatorValue: nonNegative, epsilon: positiveNumber }),
      z.strictObject({ type: z.literal('adadelta'), learningRate: learningRate.optional(), rho: unit, epsilon: positiveNumber, weightDecay: nonNegative }),
      z.strictObject({ type: z.literal('lion'), learningRate: learningRate.optional(), beta1: unit, beta2: unit, weightDecay: nonNegative }),
    ])]),
    loss: z.enum(LOSSES),
    // As compile() takes them: names ('precision') or { kind, ...options } (checked by compile).
    metrics: z.array(metricSchema).default([]),
    weightedMetrics: z.array(metricSchema).optional(),
    clipNorm: z.number().positive().optional(),
    clipValue: z.number().positive().optional(),
  }),
  fit: z.strictObject({
    epochs: positiveInt,
    batchSize: positiveInt.default(32),
    seed: z.number().int().nonnegative().optional(),
    shuffle: z.boolean().optional(),
    accumulateSteps: positiveInt.optional(),
    earlyStopping: z.strictObject({ monitor: z.string().optional(), patience: z.number().int().nonnegative().optional(), minDelta: z.number().nonnegative().optional(), restoreBestWeights: z.boolean().optional() }).optional(),
  }),
  /** Folder the run folder goes in (default 'runs', relative to the working directory). */
  output: z.string().min(1).default('runs'),
});

export type RunConfig = z.infer<typeof runConfigSchema>;

type Issue = z.core.$ZodIssue & { input?: unknown };

/** One line per problem: `path.to.key: expected ..., got ...`. */
function describeIssues(issue: Issue): string[] {
  // A union none of whose branches fit: when only one branch took the value's type (an object
  // for a schedule, say), its own problems are the useful ones.
  if (issue.code === 'invalid_union') {
    const tried = (issue.errors as Issue[][]).filter((branch) => !(branch.length === 1 && branch[0].path.length === 0 && branch[0].code === 'invalid_type'));
    if (tried.length === 1 && issue.input !== undefined)
      return tried[0].flatMap((inner) => describeIssues({ ...inner, path: [...issue.path, ...inner.path] } as Issue));
  }
  return [describeIssue(issue)];
}

function describeIssue(issue: Issue): string {
  const where = issue.path.length
    ? issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('')
    : '(top level)';
  if (issue.code === 'unrecognized_keys') return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  const message = issue.message
    .replace(/^Invalid (input|option): /, '')
    .replace(/^Invalid discriminator value\. Expected /, 'expected ')
    .replace(/^Too (big|small): /, '')
    .replace(/, received \w+$/, '');
  // A bad discriminator ("type", "source", "name") reports the object holding it; show the value.
  const key = issue.path[issue.path.length - 1];
  let input = issue.input;
  if (input !== null && typeof input === 'object' && !Array.isArray(input) && typeof key === 'string' && key in input) input = (input as Record<string, unknown>)[key];
  // A layer's own message (custom issues) already says what it got.
  const said = issue.code === 'custom' && /, got /.test(message);
  const got = said ? undefined : input === undefined ? (issue.code === 'invalid_type' || issue.code === 'invalid_union' ? 'nothing (the key is missing)' : undefined) : JSON.stringify(input);
  return `${where}: ${message}${got ? `, got ${got}` : ''}`;
}

export class ConfigError extends Error {}

export function parseRunConfig(json: unknown, file: string): RunConfig {
  const result = runConfigSchema.safeParse(json, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigError(`${file} is not a valid run config:\n${result.error.issues.flatMap((i) => describeIssues(i as Issue)).map((line) => `  ${line}`).join('\n')}`);
}
