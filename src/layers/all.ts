// Every layer file, one line each: the list a new layer adds itself to. Importing a file registers
// its layer types (registry.ts); index.ts builds layers.* from their factories.
export * as activations from './activations.js';
export * as batchNormalization from './batch-normalization.js';
export * as bidirectional from './bidirectional.js';
export * as conv1d from './conv1d.js';
export * as conv2d from './conv2d.js';
export * as conv2dTranspose from './conv2d-transpose.js';
export * as dense from './dense.js';
export * as dropout from './dropout.js';
export * as embedding from './embedding.js';
export * as flatten from './flatten.js';
export * as layerNormalization from './layer-normalization.js';
export * as masking from './masking.js';
export * as merge from './merge.js';
export * as multiHeadAttention from './multi-head-attention.js';
export * as paddingAndUpsampling from './padding-and-upsampling.js';
export * as permute from './permute.js';
export * as pooling2d from './pooling2d.js';
export * as positionEmbedding from './position-embedding.js';
export * as randomTranslation from './random-translation.js';
export * as recurrent from './recurrent.js';
export * as repeatVector from './repeat-vector.js';
export * as reshape from './reshape.js';
export * as softplus from './softplus.js';
