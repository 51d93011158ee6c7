// What the 2-D image layers share (convolutions, poolings, padding, upsampling): Keras'
// dataFormat. The native ops work on channels-last samples [height, width, channels]; a
// channels-first layer ([channels, height, width], PyTorch's layout) runs the same op between two
// native permutes. ONNX is channels-first: there a channels-first layer needs no transposes, and
// a channels-last one gets a Transpose on each side of its ONNX form.
import type { NodeSpec } from '../backend/native.js';
import type { DType } from '../tensor.js';
import { checkOneOf, shapeString } from '../validate.js';
import { type BaseLayerOptions, Layer } from './layer.js';
import type { GraphBuilder, LayerWeights } from '../onnx/graph.js';

export type DataFormat = 'channelsLast' | 'channelsFirst';
const DATA_FORMATS = ['channelsLast', 'channelsFirst'] as const;

export interface ImageLayerOptions extends BaseLayerOptions {
  /** 'channelsLast' (default, Keras' and tfjs'): samples [height, width, channels]; 'channelsFirst': [channels, height, width]. */
  dataFormat?: DataFormat;
}

export abstract class ImageLayer extends Layer {
  readonly dataFormat: DataFormat;
  /** Whether the output is an image (false: a global pooling's [channels]); set by computeOutputShape. */
  private imageOut = true;

  constructor(options: ImageLayerOptions, ownKeys: readonly string[], label: string) {
    super(options, [...ownKeys, 'dataFormat'], label);
    this.dataFormat = checkOneOf(options.dataFormat ?? 'channelsLast', `${label}: dataFormat`, DATA_FORMATS);
  }

  /** The output shape for a channels-last input [height, width, channels]: an image (channels last) or, for a global pooling, [channels]. */
  protected abstract imageOutputShape(input: [number, number, number]): number[];
  /** The native nodes over channels-last tensors (node k writes tensor firstOutput + k). */
  protected abstract imageNodes(input: number, firstOutput: number, options: { separateActivation?: boolean }): NodeSpec[];
  /** The ONNX form over ONNX's layout, [batch, channels, height, width]; returns its output (NCHW, or [batch, channels]). */
  protected abstract onnxNchw(g: GraphBuilder, x: string, weights: LayerWeights): string;

  /** The input as channels last, [height, width, channels]. */
  protected channelsLast(input: number[]): [number, number, number] {
    return this.dataFormat === 'channelsFirst' ? [input[1], input[2], input[0]] : [input[0], input[1], input[2]];
  }

  computeOutputShape(input: number[], dtype: DType): number[] {
    if (dtype !== 'float32' || input.length !== 3) {
      const layout = this.dataFormat === 'channelsFirst' ? '[channels, height, width]' : '[height, width, channels]';
      throw new TypeError(`${this.label}: expects float32 samples ${layout}, got ${shapeString(input)}${input.length === 2 ? '; add a channel axis with layers.reshape()' : ''}`);
    }
    const out = this.imageOutputShape(this.channelsLast(input));
    this.imageOut = out.length === 3;
    return out.length === 3 && this.dataFormat === 'channelsFirst' ? [out[2], out[0], out[1]] : out;
  }

  toNodes([input]: number[], firstOutput: number, options: { separateActivation?: boolean } = {}): NodeSpec[] {
    if (this.dataFormat === 'channelsLast') return this.imageNodes(input, firstOutput, options);
    const name = this.name!;
    const inner = this.imageNodes(firstOutput, firstOutput + 1, options);
    // An output's activation of its own (for a loss over logits) stays the last node.
    const last = inner[inner.length - 1];
    const activation = options.separateActivation && inner.length > 1 && last.op === 'activation' ? inner.pop()! : undefined;
    const nodes: NodeSpec[] = [{ op: 'permute', name: `${name}/channels_last`, inputs: [input], strings: { dims: '1,2,0' } }, ...inner];
    if (this.imageOut) nodes.push({ op: 'permute', name: `${name}/channels_first`, inputs: [firstOutput + nodes.length - 1], strings: { dims: '2,0,1' } });
    if (activation) nodes.push({ ...activation, inputs: [firstOutput + nodes.length - 1] });
    return nodes;
  }

  toOnnx(g: GraphBuilder, x: string, _inputRank: number, weights: LayerWeights): string {
    if (this.dataFormat === 'channelsFirst') return this.onnxNchw(g, x, weights);
    const scope = this.name!;
    const y = this.onnxNchw(g, g.node('Transpose', [x], scope, [{ name: 'perm', ints: [0, 3, 1, 2] }]), weights);
    return this.imageOut ? g.node('Transpose', [y], scope, [{ name: 'perm', ints: [0, 2, 3, 1] }]) : y;
  }

  getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), ...(this.dataFormat === 'channelsFirst' ? { dataFormat: this.dataFormat } : {}) };
  }
}
