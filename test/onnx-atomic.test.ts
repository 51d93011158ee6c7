// An export that fails while writing leaves the earlier file intact and no temporary file behind.
// node:fs/promises is wrapped for this file only, so one open() can be made to fail mid-write.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { layers, sequential } from '../src/index.js';

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, open: vi.fn(actual.open) };
});

describe('atomic export', () => {
  it('a write failure half-way keeps the previous good file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gradloop-atomic-'));
    const target = path.join(dir, 'model.onnx');
    const model = sequential([layers.dense({ inputShape: [8], units: 4 })], { seed: 1 });
    const good = await model.exportOnnx(target);
    expect(readFileSync(target).equals(Buffer.from(good))).toBe(true);

    // The next file handle writes 16 bytes, then fails as a full disk would.
    const actualOpen = (await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises')).open;
    vi.mocked(fsp.open).mockImplementationOnce(async (...args: Parameters<typeof actualOpen>) => {
      const handle = await actualOpen(...args);
      return new Proxy(handle, {
        get(target, key) {
          if (key === 'writeFile')
            return async (data: Uint8Array) => {
              await target.write(data.subarray(0, 16));
              throw Object.assign(new Error('ENOSPC: no space left on device (simulated)'), { code: 'ENOSPC' });
            };
          const value = Reflect.get(target, key);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    });
    const other = sequential([layers.dense({ inputShape: [8], units: 4 })], { seed: 2 });
    await expect(other.exportOnnx(target)).rejects.toThrow(/exportOnnx: cannot write '.*model\.onnx': ENOSPC/);
    expect(readFileSync(target).equals(Buffer.from(good))).toBe(true);
    expect(readdirSync(dir)).toEqual(['model.onnx']);
  });
});
