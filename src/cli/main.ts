#!/usr/bin/env node
// The gradloop command: train from a config file, predict, export, info.
import { Command, InvalidArgumentError } from 'commander';
import { VERSION } from '../version.js';
import { exportModel, info, predict } from './commands.js';
import { train } from './train.js';

const log = (line: string) => console.log(line);
const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number >= 1`);
  return n;
};

const program = new Command('gradloop')
  .description('Train neural networks in Node.js, and ship them as ONNX.')
  .version(VERSION)
  .showHelpAfterError('(run with --help for usage)');

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
  .command('info')
  .description('version, devices and the BLAS library in use')
  .action(() => info(log));

program.parseAsync(process.argv).catch((e: Error) => {
  // Expected failures (bad config, bad file) are one clear message, not a stack trace.
  console.error(`gradloop: ${e.message}`);
  process.exitCode = 1;
});
