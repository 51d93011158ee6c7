// Issue 19's example: forecasting an hourly series (an electricity-load-like curve: a daily cycle
// that is weaker on weekends, a slow trend, weather-like noise that lingers for hours) 24 hours
// ahead from the last 72, with an LSTM. The series is generated here with a fixed seed, so the
// run is the same everywhere; the test period is the last tenth, after everything trained on.
// Compared with the forecasts people use when they have no model: tomorrow = today, and
// tomorrow = the same day last week (seasonal naive).
//   npx tsx examples/forecast.ts
import { callbacks, layers, optimizers, sequential, tensor, verifyOnnx } from '../src/index.js';
import { Random } from '../src/random.js';

const hours = 24 * 7 * 52, past = 72, ahead = 24;
const random = new Random(11);
const load = new Float32Array(hours);
let weather = 0;
for (let t = 0; t < hours; t++) {
  const hour = t % 24, day = Math.floor(t / 24) % 7, weekend = day >= 5;
  const daily = Math.sin((2 * Math.PI * (hour - 7)) / 24) + 0.5 * Math.sin((4 * Math.PI * (hour - 3)) / 24);
  weather = 0.9 * weather + 0.35 * random.normal(); // lingers: hours-long swings a model can follow
  load[t] = 20 + 0.00015 * t + (weekend ? 2 : 4) * daily + (weekend ? -1.5 : 0) + weather;
}

// Inputs per hour: the load (standardised with the training part's statistics) and the hour of
// day and day of week as points on circles, which the model cannot infer from 72 values alone.
const trainEnd = Math.floor(hours * 0.8), validationEnd = Math.floor(hours * 0.9);
const mean = load.slice(0, trainEnd).reduce((a, b) => a + b, 0) / trainEnd;
const std = Math.sqrt(load.slice(0, trainEnd).reduce((a, b) => a + (b - mean) ** 2, 0) / trainEnd);
const features = 5;
const row = (t: number) => {
  const h = (2 * Math.PI * (t % 24)) / 24, d = (2 * Math.PI * (Math.floor(t / 24) % 7)) / 7;
  return [(load[t] - mean) / std, Math.sin(h), Math.cos(h), Math.sin(d), Math.cos(d)];
};
/** Windows whose forecast starts in [from, to): 72 hours in, the next 24 standardised loads out. */
function windows(from: number, to: number) {
  const starts = [];
  for (let s = Math.max(from, past); s + ahead <= to; s++) starts.push(s);
  const x = new Float32Array(starts.length * past * features), y = new Float32Array(starts.length * ahead);
  starts.forEach((s, i) => {
    for (let k = 0; k < past; k++) x.set(row(s - past + k), (i * past + k) * features);
    for (let k = 0; k < ahead; k++) y[i * ahead + k] = (load[s + k] - mean) / std;
  });
  return { starts, x: tensor(x, [starts.length, past, features]), y: tensor(y, [starts.length, ahead]) };
}
const train = windows(0, trainEnd), validation = windows(trainEnd, validationEnd), test = windows(validationEnd, hours);

const model = sequential([
  layers.lstm({ inputShape: [past, features], units: 64 }),
  layers.dense({ units: ahead }),
], { name: 'load_forecast', seed: 5 });
model.compile({ optimizer: optimizers.adam({ learningRate: 3e-3 }), loss: 'mse' });
const epochs = Number(process.env.FORECAST_EPOCHS ?? 12);
const started = performance.now();
const history = await model.fit(train.x, train.y, {
  epochs, batchSize: 64, seed: 1, verbose: 0, validationData: [validation.x, validation.y],
  callbacks: [callbacks.earlyStopping({ monitor: 'valLoss', patience: 3, restoreBestWeights: true })],
});
const seconds = (performance.now() - started) / 1000;

// Mean absolute error over the test windows' 24 hours, in load units.
const predicted = model.predict(test.x).data;
let lstm = 0, today = 0, lastWeek = 0;
test.starts.forEach((s, i) => {
  for (let k = 0; k < ahead; k++) {
    const truth = load[s + k];
    lstm += Math.abs(predicted[i * ahead + k] * std + mean - truth);
    today += Math.abs(load[s + k - 24] - truth);
    lastWeek += Math.abs(load[s + k - 168] - truth);
  }
});
const n = test.starts.length * ahead;
console.log(`${train.starts.length} training windows of ${past} hours x ${features} features; ${history.epoch.length} epochs in ${seconds.toFixed(1)}s (${Math.round((train.starts.length * history.epoch.length) / seconds)} windows/s)`);
console.log(`test MAE over the next 24 hours (${test.starts.length} forecasts): LSTM ${(lstm / n).toFixed(3)}, tomorrow = today ${(today / n).toFixed(3)}, same day last week ${(lastWeek / n).toFixed(3)}`);
const file = 'load-forecast.onnx';
await model.exportOnnx(file);
const report = await verifyOnnx(model, file, tensor(test.x.data.slice(0, 64 * past * features), [64, past, features]));
console.log(`ONNX (${report.ops.filter((op) => op === 'LSTM').join(', ')}): ${report.passed ? 'PASSED' : 'FAILED'} on ${report.rows} windows`);
if (!report.passed) process.exitCode = 1;
