// Standalone activation layers: y = act(x), elementwise.
import { layers } from '../../src/index.js';
import * as ref from '../helpers/reference.js';
import type { OpCase } from './case.js';

const ONNX: Record<string, string> = { relu: 'Relu', leakyRelu: 'LeakyRelu', sigmoid: 'Sigmoid', tanh: 'Tanh', gelu: 'Erf' };

export const cases: OpCase[] = (['relu', 'leakyRelu', 'sigmoid', 'tanh', 'gelu'] as const).map((activation) => ({
  name: `layers.${activation}`,
  layers: () => [activation === 'leakyRelu' ? layers.leakyRelu({ inputShape: [7], alpha: 0.1 }) : layers[activation]({ inputShape: [7] })],
  reference: (_p, { x }) => ref.activation(activation, x, 0.1),
  onnx: { ops: [ONNX[activation]], reduction: 1, depth: 1 },
}));
