#!/usr/bin/env node
// The gradloop command: train from a config file, predict, generate, export, info.
import { Command, InvalidArgumentError } from 'commander';
import { VERSION } from '../version.js';
import { exportModel, generate, info, predict } from './commands.js';
import { train } from './train.js';
import { launch } from './launch.js';

const log = (line: string) => console.log(line);
const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number >= 1`);
  return n;
};

const program = new Command('gradloop')
  .description('Train neural networks in Node.js, and ship them as ONNX.')
  .version(VERSION)
  .showHelpAfterError('(run with --help for usage)')
  .enablePositionalOptions(); // launch passes the options after its command to that command

program
  .command('train')
  .description('train the model a run config describes; writes <output>/<name>/ with the checkpoint, model.onnx, curves and report')
  .requiredOption('-c, --config <file>', 'run config (JSON): data, model, compile, fit, output')
  .addHelpText('after', '\nExample: gradloop train --config examples/mnist.json\nThe config keys are documented in the README ("Command line").')
  .action(async (o: { config: string }) => {
    await train(o.config, log);
  });

program
  .command('predict')
  .description('predict with a trained model on the rows of a CSV file (prepared as the training data was)')
  .requiredOption('-m, --model <dir>', 'run folder (runs/<name>) or checkpoint folder')
  .requiredOption('-i, --input <file.csv>', 'rows to predict: the training feature columns (a label column is used to report accuracy)')
  .option('-o, --out <file.csv>', 'write the predictions here instead of stdout')
  .option('--no-header', 'the CSV has no header row (columns in training order)')
  .option('--batch-size <n>', 'rows per forward pass', positive('--batch-size'), 256)
  .action(async (o: { model: string; input: string; out?: string; header: boolean; batchSize: number }) => {
    await predict(o, o.out ? log : (line) => console.error(line));
  });

const number = (name: string, min: number, max = Infinity) => (v: string) => {
  const n = Number(v);
  if (!(n >= min && n <= max)) throw new InvalidArgumentError(`${name} must be a number in [${min}, ${max}]`);
  return n;
};

program
  .command('generate')
  .description("continue a prompt with a trained text model (the tokenizer saved in its checkpoint)")
  .requiredOption('-m, --model <dir>', 'run folder (runs/<name>) or checkpoint folder of a text model')
  .requiredOption('-p, --prompt <text>', 'the text to continue')
  .option('-n, --max-tokens <n>', 'tokens to add', positive('--max-tokens'), 200)
  .option('-t, --temperature <t>', 'below 1 sharper, above 1 flatter; 0 always takes the most likely token', number('--temperature', 0), 0.8)
  .option('--top-k <k>', 'draw among the k most likely tokens only', positive('--top-k'))
  .option('--top-p <p>', 'draw among the most likely tokens whose probabilities add up to p', number('--top-p', Number.MIN_VALUE, 1))
  .option('--seed <n>', 'seed of the draws: the same seed gives the same text', number('--seed', 0), 0)
  .action(async (o: { model: string; prompt: string; maxTokens: number; temperature: number; topK?: number; topP?: number; seed: number }) => {
    console.log(await generate(o));
  });

program
  .command('export')
  .description('export a trained model to ONNX')
  .requiredOption('-m, --model <dir>', 'run folder (runs/<name>) or checkpoint folder')
  .requiredOption('-o, --out <file.onnx>', 'where to write the ONNX file')
  .option('--opset <n>', 'ONNX opset version', positive('--opset'), 17)
  .action(async (o: { model: string; out: string; opset: number }) => {
    await exportModel(o, log);
  });

program
  .command('launch')
  .description('run N ranks of a data-parallel job on this machine through MPI (mpirun): a script, or a gradloop command such as train')
  .requiredOption('-n, --nproc <n>', 'ranks to start', positive('--nproc'))
  .option('--timeout <seconds>', 'how long a rank waits for the others before failing (default 300)', number('--timeout', 1))
  .option('--threads <n>', 'BLAS threads per rank (default: cores / nproc)', positive('--threads'))
  .argument('<command...>', 'script.js [args], or a gradloop command (train --config run.json)')
  .passThroughOptions()
  .addHelpText('after', '\nExamples:\n  gradloop launch --nproc 2 train.js\n  gradloop launch --nproc 2 train --config examples/mnist.json\nThe script calls fit({ distributed: true }) (or \'auto\'); see the README ("Training on several machines").')
  .action(async (command: string[], o: { nproc: number; timeout?: number; threads?: number }) => {
    process.exitCode = await launch(command, o, log);
  });

program
  .command('info')
  .description('version, devices and the BLAS library in use')
  .action(() => info(log));

program.parseAsync(process.argv).catch((e: Error) => {
  // Expected failures (bad config, bad file) are one clear message, not a stack trace.
  console.error(`gradloop: ${e.message}`);
  process.exitCode = 1;
});
