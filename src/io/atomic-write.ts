// Writes a file so that readers see either the old contents or the new, never
// a torn mix: write a temporary file beside the target, fsync it, rename it over
// the target (atomic on POSIX), then fsync the folder so the rename survives a crash.
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

export async function writeFileAtomic(target: string, bytes: Uint8Array, what: string): Promise<void> {
  const dir = path.dirname(path.resolve(target));
  const temporary = path.join(dir, `.${path.basename(target)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  let handle;
  try {
    handle = await open(temporary, 'wx');
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temporary, target);
  } catch (err) {
    await handle?.close().catch(() => {});
    await unlink(temporary).catch(() => {});
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`${what}: cannot write '${target}': ${reason}`, { cause: err });
  }
  // Durability of the rename itself; not all file systems allow opening a folder.
  const folder = await open(dir, 'r').catch(() => undefined);
  await folder?.sync().catch(() => {});
  await folder?.close().catch(() => {});
}
