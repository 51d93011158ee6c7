// The safetensors format (huggingface/safetensors), float32 tensors only: an 8-byte little-endian
// header length, a JSON header { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__ },
// then the tensors' bytes back to back. Written here because the format is this small and the
// npm registry has no maintained implementation; the tests read our files with an independent
// reader (Python's json/struct/numpy, and the safetensors package where installed).

export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: NamedTensor[];
  metadata: Record<string, string>;
}

// The data section starts on an 8-byte boundary (the reference writer pads the header with spaces).
const ALIGN = 8;
// A header larger than this is not one we wrote (the reference implementation caps it at 100 MB).
const MAX_HEADER = 100_000_000;

export function encodeSafetensors(tensors: NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.data.length * 4;
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((ALIGN - ((8 + Buffer.byteLength(json)) % ALIGN)) % ALIGN);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

/** Parses and validates a whole file; `file` names it in every error. */
export function decodeSafetensors(bytes: Uint8Array, file: string): SafetensorsFile {
  const fail = (what: string): never => {
    throw new Error(`'${file}' is not a valid safetensors file: ${what}`);
  };
  if (bytes.length < 8) fail(`it has ${bytes.length} bytes, fewer than the 8-byte header length (truncated?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(Math.min(MAX_HEADER, bytes.length - 8)))
    fail(`its header claims ${headerLength} bytes but the file has ${bytes.length - 8} after the length (truncated?)`);
  const dataStart = 8 + Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, Number(headerLength)).toString('utf8'));
  } catch (err) {
    fail(`its header is not JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('its header is not a JSON object');
  const entries = Object.entries(header as Record<string, unknown>);
  const metadata: Record<string, string> = {};
  const tensors: (NamedTensor & { begin: number; end: number })[] = [];
  const dataSize = bytes.length - dataStart;
  for (const [name, value] of entries) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null) fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__.${k} is not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    const t = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof t !== 'object' || t === null) fail(`tensor '${name}' has no description`);
    if (t.dtype !== 'F32') fail(`tensor '${name}' has dtype ${JSON.stringify(t.dtype)}; gradloop stores F32 only`);
    const shape = t.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`tensor '${name}' has an invalid shape`);
    const offsets = t.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isInteger(d) && d >= 0) || offsets[0] > offsets[1])
      fail(`tensor '${name}' has invalid data_offsets`);
    const [begin, end] = offsets as number[];
    const elements = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== elements * 4) fail(`tensor '${name}' spans ${end - begin} bytes but shape [${shape}] needs ${elements * 4}`);
    if (end > dataSize) fail(`tensor '${name}' ends at byte ${end} of a data section of ${dataSize} bytes (truncated?)`);
    tensors.push({ name, shape: shape as number[], data: new Float32Array(0), begin, end });
  }
  // The format requires the tensors to tile the data section exactly: no gaps, no overlaps.
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin);
  let expected = 0;
  for (const t of sorted) {
    if (t.begin !== expected) fail(`tensor '${t.name}' starts at byte ${t.begin}, expected ${expected} (overlapping or missing data)`);
    expected = t.end;
  }
  if (expected !== dataSize) fail(`the tensors cover ${expected} bytes of a ${dataSize}-byte data section`);
  for (const t of tensors) {
    // Copy (Uint8Array's slice, not Buffer's view): the data section need not be 4-byte aligned.
    t.data = new Float32Array(Uint8Array.prototype.slice.call(bytes, dataStart + t.begin, dataStart + t.end).buffer);
  }
  return { tensors: tensors.map(({ name, shape, data }) => ({ name, shape, data })), metadata };
}
