// gradloop's public face: re-exports only.
export { tensor, Tensor, type DType } from './tensor.js';
export { sequential, Sequential, type CompileOptions, type SequentialOptions, type Weight } from './model.js';
export type { FitOptions } from './loop.js';
export { layers, Layer, Dense, Dropout, Embedding, Flatten, Activation } from './layers/index.js';
export type { ActivationName, DenseOptions, DropoutOptions, EmbeddingOptions, BaseLayerOptions } from './layers/index.js';
export { optimizers, Optimizer, type SgdOptions, type AdamOptions } from './optimizers.js';
export { initializers, type Initializer, type InitializerName } from './initializers.js';
export { History, type Callback, type Logs } from './callbacks.js';
export type { LossName } from './losses.js';
export { backendInfo, setNumThreads, getNumThreads } from './runtime.js';
export { verifyOnnx, type OnnxReport, type VerifyOnnxOptions } from './onnx/verify.js';
export type { ExportOnnxOptions } from './onnx/export.js';
export type { TrainingSummary } from './model.js';
export { schedules, type LearningRateSchedule } from './schedules.js';
export { callbacks, EarlyStopping, ReduceLROnPlateau, type EarlyStoppingOptions, type ReduceLROnPlateauOptions } from './monitors.js';
