// MNIST's IDX format: 2 zero bytes, a type byte, a rank byte, one big-endian uint32 per
// dimension, then the values big-endian and row-major. gzip'd files (.gz, as MNIST is
// distributed) are recognised by their own magic bytes, whatever the file is called.
import { readFile } from 'node:fs/promises';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { Tensor, type DType } from '../tensor.js';
import { checkInteger, checkKeys, checkNumber, describe } from '../validate.js';

const gunzipAsync = promisify(gunzip);

/** The IDX type byte -> bytes per value and a big-endian reader. */
const TYPES: Record<number, { name: string; bytes: number; integer: boolean; read: (v: DataView, at: number) => number }> = {
  0x08: { name: 'unsigned byte', bytes: 1, integer: true, read: (v, at) => v.getUint8(at) },
  0x09: { name: 'signed byte', bytes: 1, integer: true, read: (v, at) => v.getInt8(at) },
  0x0b: { name: 'short', bytes: 2, integer: true, read: (v, at) => v.getInt16(at) },
  0x0c: { name: 'int', bytes: 4, integer: true, read: (v, at) => v.getInt32(at) },
  0x0d: { name: 'float', bytes: 4, integer: false, read: (v, at) => v.getFloat32(at) },
  0x0e: { name: 'double', bytes: 8, integer: false, read: (v, at) => v.getFloat64(at) },
};

export interface IdxOptions {
  /**
   * The tensor's dtype. Default: 'int32' for a 1-D file of integers (labels), 'float32'
   * otherwise (images keep their raw values, 0-255 for MNIST, unless scaled).
   */
  dtype?: DType;
  /** Multiplies every value (float32 only): 1 / 255 maps MNIST pixels to [0, 1]. */
  scale?: number;
  /**
   * The most bytes the file may hold, after decompression (default 1 GiB). A few kilobytes of
   * gzip can expand to gigabytes, and the header's shape could ask for more than memory holds.
   */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 2 ** 30;

/** Reads an IDX file (MNIST's format), gzip'd or not, into a tensor of its shape. */
export async function fromIdx(path: string, options: IdxOptions = {}): Promise<Tensor> {
  if (typeof path !== 'string') throw new TypeError(`fromIdx: path must be a string, got ${describe(path)}`);
  checkKeys(options, 'fromIdx', ['dtype', 'scale', 'maxBytes']);
  const maxBytes = options.maxBytes === undefined ? DEFAULT_MAX_BYTES : checkInteger(options.maxBytes, 'fromIdx: maxBytes', 1);
  let bytes: Buffer = await readFile(path);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      // zlib stops at maxOutputLength instead of expanding a gzip bomb into memory.
      bytes = await gunzipAsync(bytes, { maxOutputLength: maxBytes + 1 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
        throw new RangeError(`fromIdx: '${path}' decompresses to more than maxBytes (${maxBytes} bytes); pass a larger maxBytes if the file is meant to be that big`);
      throw new Error(`fromIdx: '${path}' starts like a gzip file but does not decompress (${(e as Error).message}); the download is probably truncated`);
    }
  }
  if (bytes.length > maxBytes)
    throw new RangeError(`fromIdx: '${path}' holds ${bytes.length} bytes, more than maxBytes (${maxBytes}); pass a larger maxBytes if the file is meant to be that big`);
  return parseIdx(bytes, path, options);
}

export function parseIdx(bytes: Uint8Array, path: string, options: IdxOptions = {}): Tensor {
  const where = `fromIdx: '${path}'`;
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0)
    throw new Error(
      `${where} is not an IDX file: it must start with two zero bytes, a type byte and a rank byte (the magic number), ` +
        `found ${Array.from(bytes.subarray(0, 4), (b) => '0x' + b.toString(16).padStart(2, '0')).join(' ') || 'an empty file'}`,
    );
  const type = TYPES[bytes[2]];
  if (!type) throw new Error(`${where}: unknown IDX data type 0x${bytes[2].toString(16)}; IDX knows 0x08 (ubyte), 0x09, 0x0B, 0x0C, 0x0D and 0x0E`);
  const rank = bytes[3];
  if (rank === 0) throw new Error(`${where}: the header declares 0 dimensions`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) throw new Error(`${where}: the header declares ${rank} dimensions but the file ends after ${bytes.length} bytes`);
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = headerBytes + count * type.bytes;
  if (bytes.length !== expected)
    throw new Error(
      `${where}: shape [${shape.join(', ')}] of ${type.name}s needs ${expected} bytes but the file has ${bytes.length}` +
        (bytes.length < expected ? ' (truncated)' : ' (trailing data)'),
    );

  const dtype = options.dtype ?? (type.integer && rank === 1 ? 'int32' : 'float32');
  if (dtype !== 'float32' && dtype !== 'int32') throw new TypeError(`fromIdx: dtype must be 'float32' or 'int32', got ${describe(dtype)}`);
  if (dtype === 'int32' && !type.integer) throw new TypeError(`${where} holds ${type.name}s; read it as float32, not int32`);
  const scale = options.scale === undefined ? 1 : checkNumber(options.scale, 'fromIdx: scale', { min: 0, minExclusive: true });
  if (dtype === 'int32' && scale !== 1) throw new TypeError('fromIdx: scale applies to float32 tensors; drop scale or use dtype float32');

  const data = dtype === 'int32' ? new Int32Array(count) : new Float32Array(count);
  if (type.bytes === 1 && type.integer && bytes[2] === 0x08) {
    // The common case (MNIST): unsigned bytes, no DataView per value.
    const body = bytes.subarray(headerBytes);
    if (scale === 1) data.set(body);
    else for (let i = 0; i < count; i++) data[i] = body[i] * scale;
  } else {
    for (let i = 0; i < count; i++) data[i] = type.read(view, headerBytes + i * type.bytes) * scale;
  }
  return new Tensor(data, shape, dtype);
}
