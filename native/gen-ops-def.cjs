// Writes <out>/ops.def, the list of native ops, from the folders under native/ops/: an op is a
// folder with op.cc, and its kernels (cpu.cc, cuda.cu) when it has any. node-gyp's build
// (binding.gyp) runs this; the CMake build does the same in CMakeLists.txt. Prints <out>.
// Usage: node native/gen-ops-def.cjs <out dir>  (shipped in native/, as source builds need it)
const fs = require('node:fs');
const path = require('node:path');
const root = path.resolve(__dirname, '..');  // the package root
const out = path.resolve(process.argv[2] ?? path.join(root, 'build', 'generated'));
const ops = fs.readdirSync(path.join(root, 'native/ops'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && fs.existsSync(path.join(root, 'native/ops', d.name, 'op.cc')))
  .map((d) => d.name).sort();
const lines = ops.map((op) => (fs.existsSync(path.join(root, 'native/ops', op, 'cpu.cc')) ? `GRADLOOP_OP(${op})` : `GRADLOOP_OP_WITHOUT_KERNELS(${op})`));
const text = `// Generated from the folders under native/ops/ (native/gen-ops-def.cjs, CMakeLists.txt): do not edit.\n${lines.join('\n')}\n`;
fs.mkdirSync(out, { recursive: true });
const file = path.join(out, 'ops.def');
if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) fs.writeFileSync(file, text);
process.stdout.write(out);
