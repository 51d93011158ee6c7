// Gradient health over a fit: per-layer gradient and weight norms from the per-parameter sums
// of squares each native step returns, their epoch mean and max, and the two warnings Keras
// users otherwise find by hand: a layer whose gradient vanished for a whole epoch, and a
// global norm that jumped by two orders of magnitude above its recent level.

/** Per-layer norms, one value per epoch. */
export interface LayerNorms {
  /** Mean over the epoch's steps of the layer's gradient L2 norm (before clipping). */
  gradNorm: number[];
  gradNormMax: number[];
  /** Mean over the epoch's steps of the layer's weight L2 norm (after each step). */
  weightNorm: number[];
  weightNormMax: number[];
}

export interface TrainingWarning {
  kind: 'vanishing' | 'exploding';
  /** 0-based epoch (and step within it, for 'exploding'). */
  epoch: number;
  step?: number;
  layer?: string;
  /** The numbers behind it: the layer's largest gradient norm, or the norms before and after the jump. */
  values: Record<string, number>;
  message: string;
}

/** Below this for every step of an epoch, a layer's gradient has vanished. */
export const VANISHING_NORM = 1e-7;
/** A global norm this many times its recent level is an explosion. */
export const EXPLODING_RATIO = 100;
/**
 * The recent level: an exponential moving average of the steps' norms with this weight on the
 * past. Not the previous step alone: a nearly perfect batch late in training has a tiny gradient,
 * and the next ordinary step would read as a 100x jump (seen on the MNIST CNN: 0.005 then 1.2).
 */
const RECENT_WEIGHT = 0.9;

export class GradientHealth {
  readonly layers: string[];
  private readonly groups: number[][]; // parameter indices per layer
  private gradSum: Float64Array;
  private gradMax: Float64Array;
  private weightSum: Float64Array;
  private weightMax: Float64Array;
  private steps = 0;
  private recentNorm = NaN;
  private explodedThisEpoch = false;
  readonly pending: TrainingWarning[] = [];

  constructor(parameterNames: string[]) {
    const index = new Map<string, number[]>();
    parameterNames.forEach((name, i) => {
      const layer = name.split('/')[0];
      if (!index.has(layer)) index.set(layer, []);
      index.get(layer)!.push(i);
    });
    this.layers = [...index.keys()];
    this.groups = [...index.values()];
    const n = this.layers.length;
    this.gradSum = new Float64Array(n);
    this.gradMax = new Float64Array(n);
    this.weightSum = new Float64Array(n);
    this.weightMax = new Float64Array(n);
  }

  /** One step's norms: the global gradient norm and, per parameter, the sums of squares of its gradient and weights. */
  step(epoch: number, step: number, globalNorm: number, gradSquares: ArrayLike<number>, weightSquares: ArrayLike<number>): void {
    this.groups.forEach((group, l) => {
      let g = 0, w = 0;
      for (const k of group) {
        g += gradSquares[k];
        w += weightSquares[k];
      }
      g = Math.sqrt(g);
      w = Math.sqrt(w);
      this.gradSum[l] += g;
      this.gradMax[l] = Math.max(this.gradMax[l], g);
      this.weightSum[l] += w;
      this.weightMax[l] = Math.max(this.weightMax[l], w);
    });
    this.steps++;
    const before = this.recentNorm;
    if (!this.explodedThisEpoch && before > 0 && globalNorm >= EXPLODING_RATIO * before && Number.isFinite(globalNorm)) {
      this.explodedThisEpoch = true;
      this.pending.push({
        kind: 'exploding',
        epoch,
        step,
        values: { before, after: globalNorm, ratio: globalNorm / before },
        message:
          `exploding gradients: the global gradient norm jumped to ${globalNorm.toPrecision(3)}, ${(globalNorm / before).toFixed(0)}x its recent level ` +
          `(${before.toPrecision(3)}), at epoch ${epoch + 1}, step ${step + 1}. ` +
          'Lower the learning rate or clip with compile({ clipNorm: 1 }).',
      });
    }
    if (Number.isFinite(globalNorm)) this.recentNorm = Number.isNaN(before) ? globalNorm : RECENT_WEIGHT * before + (1 - RECENT_WEIGHT) * globalNorm;
  }

  /** Closes an epoch: its per-layer means and maxima, and a warning per layer whose gradient vanished. */
  endEpoch(epoch: number, into: Record<string, LayerNorms>): void {
    if (this.steps === 0) return;
    this.layers.forEach((layer, l) => {
      const record = (into[layer] ??= { gradNorm: [], gradNormMax: [], weightNorm: [], weightNormMax: [] });
      record.gradNorm.push(this.gradSum[l] / this.steps);
      record.gradNormMax.push(this.gradMax[l]);
      record.weightNorm.push(this.weightSum[l] / this.steps);
      record.weightNormMax.push(this.weightMax[l]);
      if (this.gradMax[l] < VANISHING_NORM)
        this.pending.push({
          kind: 'vanishing',
          epoch,
          layer,
          values: { gradNormMax: this.gradMax[l] },
          message:
            `vanishing gradients: layer '${layer}' had a gradient norm below ${VANISHING_NORM} for all of epoch ${epoch + 1} ` +
            `(largest ${this.gradMax[l].toExponential(2)}); it is not learning. Check for saturated sigmoid/tanh units, ` +
            "use 'relu' or 'gelu' with heNormal initialisation, or raise the learning rate.",
        });
    });
    this.gradSum.fill(0);
    this.gradMax.fill(0);
    this.weightSum.fill(0);
    this.weightMax.fill(0);
    this.steps = 0;
    this.explodedThisEpoch = false;
  }

  /** Hands over the warnings raised since the last call. */
  drain(): TrainingWarning[] {
    return this.pending.splice(0);
  }
}
