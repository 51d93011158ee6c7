// The seed's example: a next-word model trained on a few dozen sentences, asked what follows
// "Machine learning is". Word tokenizer, windows of three words -> the next word, an embedding,
// a small dense network; then the five most likely next words with their probabilities.
//   npx tsx examples/next-word.ts
import { layers, optimizers, sequential, text } from '../src/index.js';

const corpus = [
  'Machine learning is powerful.', 'Machine learning is powerful and useful.', 'Machine learning is powerful when data is plentiful.',
  'Machine learning is powerful for vision.', 'Machine learning is powerful for language.', 'Machine learning is powerful in medicine.',
  'Machine learning is fun to learn.', 'Machine learning is fun with good tools.', 'Machine learning is useful in science.',
  'Machine learning is useful for search.', 'Machine learning is everywhere today.', 'Machine learning is changing software.',
  'Deep learning is a kind of machine learning.', 'Deep learning is powerful too.', 'Deep learning is data hungry.',
  'Data is the fuel of machine learning.', 'Good data is worth more than clever models.', 'A model learns patterns from data.',
  'A model makes predictions on new data.', 'Training a model takes time and data.', 'Neural networks learn from examples.',
  'Neural networks are powerful function approximators.', 'Gradient descent trains neural networks.', 'The learning rate controls each step.',
  'A small learning rate is slow but stable.', 'A large learning rate is fast but risky.', 'Overfitting happens when a model memorizes data.',
  'Regularization reduces overfitting.', 'Validation data tells us when to stop.', 'Transformers are powerful language models.',
  'Attention lets a model focus on the right words.', 'Language models predict the next word.', 'Statistics is the root of machine learning.',
  'Python is popular for machine learning.', 'JavaScript can train models too.', 'Node developers can train models with gradloop.',
];

const tokenizer = text.wordTokenizer().fit(corpus);
const ids = tokenizer.encode(corpus.join(' '));
const { x, y } = text.windows(ids, { contextLength: 3 });
const vocabulary = tokenizer.vocabularySize;
const model = sequential([
  layers.embedding({ inputDim: vocabulary, outputDim: 24, inputLength: 3 }),
  layers.flatten(),
  layers.dense({ units: 96, activation: 'relu' }),
  layers.dense({ units: vocabulary }),
], { name: 'next_word', seed: 1 });
model.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'softmaxCrossEntropy', metrics: ['accuracy'] });
const history = await model.fit(x, y, { epochs: 60, batchSize: 32, seed: 1, verbose: 0 });
console.log(`${vocabulary} words, ${x.shape[0]} windows of 3; after 60 epochs training accuracy ${(history.history.accuracy!.at(-1)! * 100).toFixed(1)}%`);
console.log('Machine learning is ...');
for (const { token, probability } of text.topTokens(model, tokenizer, 'Machine learning is', 5))
  console.log(`  ${token.padEnd(12)} ${(probability * 100).toFixed(1)}%`);
console.log(`generated: ${text.generate(model, tokenizer, 'Neural networks', { maxTokens: 8, temperature: 0.7, seed: 3 })}`);
