// node-gyp-build ships no types: it returns the addon found for this platform under `dir`.
declare module 'node-gyp-build' {
  function nodeGypBuild(dir: string): unknown;
  export default nodeGypBuild;
}
