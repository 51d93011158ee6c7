// Every op case in this folder (test/cases/<op>.ts), found by name: adding an op's case edits no list.
/// <reference types="vite/client" />
import type { OpCase } from './case.js';

export type { OpCase } from './case.js';

const modules = import.meta.glob<{ cases: OpCase[] }>(['./*.ts', '!./index.ts', '!./case.ts'], { eager: true });

/** [op, case] for every case, the op being the file's name (its native folder). */
export const OP_CASES: [string, OpCase][] = Object.entries(modules)
  .sort(([a], [b]) => a.localeCompare(b))
  .flatMap(([file, module]) => module.cases.map((c): [string, OpCase] => [file.replace(/^\.\/|\.ts$/g, ''), c]));
