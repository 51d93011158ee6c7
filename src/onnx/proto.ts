// The ONNX protobuf classes (onnx-proto: protobufjs static code for onnx.proto).
// onnx-proto is CommonJS and sets its namespace on module.exports at run time,
// which Node's ESM loader cannot see as a named export: take it from the default.
import onnxProto from 'onnx-proto';

export import onnx = onnxProto.onnx;
