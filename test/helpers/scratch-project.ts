// A scratch project that installs the packed gradloop tarball (and onnxruntime-node) offline
// with `npm ci`, and nothing from the npm cache or the registry: every dependency is packed from
// the repository's own node_modules (npm pack of an installed folder) at the version its lockfile
// holds, and the scratch project's lockfile points at those tarballs. So the install test passes
// with an empty cache on a fresh machine, and --offline still proves that installing gradloop
// downloads nothing.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  optional?: boolean;
  dev?: boolean;
  devOptional?: boolean;
  [key: string]: unknown;
}

/** Where Node would find `name` when required from the package at `from` (a lockfile key). */
function locate(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let at = from; ; ) {
    const key = at ? `${at}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[key]) return key;
    if (!at) return undefined;
    const cut = at.lastIndexOf('/node_modules/');
    at = cut < 0 ? '' : at.slice(0, cut);
  }
}

/**
 * Writes `project`/package.json and package-lock.json (v3) for a project that depends on gradloop
 * (the tarball at `gradloop.tarball`, with its npm-pack integrity) and on `extra` packages, each
 * with everything it needs, transitively, as the repository's package-lock.json resolves it.
 * The dependencies are packed into `project`/../deps; optional packages for other platforms,
 * which npm did not install here, are listed in the lockfile only.
 */
export function writeScratchProject(repo: string, project: string, gradloop: { tarball: string; integrity: string }, extra: string[]): void {
  const repoLock = JSON.parse(readFileSync(path.join(repo, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8'));
  const dependencies: Record<string, string> = { gradloop: `file:${path.relative(project, gradloop.tarball)}` };
  for (const name of extra) dependencies[name] = repoLock.packages[`node_modules/${name}`].version!;
  const packages: Record<string, LockEntry> = {
    '': { name: 'app', version: '1.0.0', dependencies },
    'node_modules/gradloop': {
      version: pkg.version, resolved: dependencies.gradloop, integrity: gradloop.integrity, license: pkg.license,
      dependencies: pkg.dependencies, peerDependencies: pkg.peerDependencies, peerDependenciesMeta: pkg.peerDependenciesMeta,
      bin: pkg.bin, engines: pkg.engines, hasInstallScript: true,
    },
  };
  // Breadth-first over dependency edges, from gradloop (whose dependencies resolve as in the
  // repository's top-level node_modules) and the extra packages.
  const queue: [string, string, boolean][] = [...Object.keys(pkg.dependencies), ...extra].map((d) => ['', d, false]);
  while (queue.length) {
    const [from, name, optional] = queue.shift()!;
    const key = locate(repoLock.packages, from, name);
    if (!key) throw new Error(`writeScratchProject: ${name} (needed by ${from || 'the project'}) is not in package-lock.json`);
    if (packages[key]) continue;
    const { dev: _dev, devOptional, resolved: _resolved, ...entry } = repoLock.packages[key];
    packages[key] = devOptional || optional ? { ...entry, optional: true } : entry;
    if (!existsSync(path.join(repo, key))) {
      // An optional package for another platform (npm ci checks that the lockfile lists it, and
      // skips it on this one): listed, never fetched.
      if (!packages[key].optional) throw new Error(`writeScratchProject: ${name} (needed by ${from || 'the project'}) is not installed in node_modules`);
      continue;
    }
    for (const d of Object.keys(entry.dependencies ?? {})) queue.push([key, d, optional]);
    for (const d of Object.keys(entry.optionalDependencies ?? {})) queue.push([key, d, true]);
  }

  // Pack them all in one npm call (offline, no scripts), then point the lockfile at the tarballs.
  const deps = path.join(path.dirname(project), 'deps');
  mkdirSync(deps, { recursive: true });
  const keys = Object.keys(packages).filter((k) => k !== '' && k !== 'node_modules/gradloop' && existsSync(path.join(repo, k)));
  const packed = JSON.parse(execFileSync('npm', ['pack', '--offline', '--ignore-scripts', '--json', '--pack-destination', deps, ...keys.map((k) => `./${k}`)],
    { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 })) as { filename: string; integrity: string }[];
  keys.forEach((k, i) => {
    packages[k].resolved = `file:${path.relative(project, path.join(deps, packed[i].filename))}`;
    packages[k].integrity = packed[i].integrity;
  });
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies }));
  writeFileSync(path.join(project, 'package-lock.json'), JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages }));
}
