#!/usr/bin/env bash
# prebuildify's --node-gyp: instead of node-gyp, builds the addon with the project's CMake build
# (GRADLOOP_PREBUILD=ON: static OpenBLAS, static libstdc++/libgcc, hidden symbols) inside the
# bullseye build root, and leaves it where prebuildify looks: ./build/Release/. prebuildify's
# arguments (rebuild, --target, --devdir, ...) do not apply: Node-API needs no Node headers
# beyond the four C headers copied in.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
root=${GRADLOOP_BUILD_ROOT:-/var/cache/gradloop/bullseye}
out="$PWD/build/Release"

bash "$here/make-root.sh" "$root"
stage="$root/gradloop-build"
rm -rf "$stage"
mkdir -p "$stage/include/node" "$stage/include/addon"
cp -r "$repo/native" "$repo/CMakeLists.txt" "$stage/"
cp "$(cd "$repo" && node -p "require('path').resolve(require('node-addon-api').include_dir)")"/*.h "$stage/include/addon/"
node_include="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")/include/node"
for h in node_api.h node_api_types.h js_native_api.h js_native_api_types.h; do cp "$node_include/$h" "$stage/include/node/"; done

# OpenBLAS: the static library of the machine building (Debian 12's libopenblas-dev, 0.3.21),
# when there is one, else the build root's own (0.3.13). 0.3.21's small-matrix kernels train
# W2 about 25% faster (bench/NOTES.md). A static archive binds its glibc symbols at this link,
# against bullseye's glibc, so the 2.28 floor still holds (run.sh checks it).
blas_args=""
host_blas=${GRADLOOP_OPENBLAS_STATIC:-/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.a}
host_include=${GRADLOOP_OPENBLAS_INCLUDE:-/usr/include/x86_64-linux-gnu/openblas-pthread}
if [ -f "$host_blas" ] && [ -f "$host_include/cblas.h" ]; then
  mkdir -p "$stage/openblas/lib" "$stage/openblas/include"
  cp "$host_blas" "$stage/openblas/lib/libopenblas.a"
  cp "$host_include"/*.h "$stage/openblas/include/"
  blas_args="-DBLAS_LIBRARIES=/gradloop-build/openblas/lib/libopenblas.a -DCBLAS_INCLUDE_DIR=/gradloop-build/openblas/include"
fi

# The CUDA addon too, when this machine has a CUDA toolkit: it is copied into the root once (315 MB
# for CUDA 13.0) and nvcc runs there with bullseye's gcc 10 and glibc, as the CPU addon's build does;
# the CUDA runtime is linked statically, so the addon needs glibc alone (run.sh checks).
cuda_args="-DGRADLOOP_CUDA=OFF"
# The toolkit: $GRADLOOP_CUDA_HOME, $CUDA_HOME, or what /usr/local/cuda points to (a `nvcc` on
# PATH may be a wrapper script elsewhere).
host_cuda=${GRADLOOP_CUDA_HOME:-${CUDA_HOME:-$(readlink -f /usr/local/cuda 2>/dev/null || true)}}
if [ -n "$host_cuda" ] && [ -x "$host_cuda/bin/nvcc" ] && [ -f "$host_cuda/include/cuda_runtime.h" ]; then
  toolkit=$(basename "$host_cuda")
  [ -x "$root/usr/local/$toolkit/bin/nvcc" ] || cp -a "$host_cuda" "$root/usr/local/"
  cuda_args="-DCMAKE_CUDA_COMPILER=/usr/local/$toolkit/bin/nvcc"
fi

chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root /bin/sh -c "
  cmake -S /gradloop-build -B /gradloop-build/out -DCMAKE_BUILD_TYPE=Release -DGRADLOOP_PREBUILD=ON $blas_args $cuda_args \
    -DCMAKE_JS_INC=/gradloop-build/include/node -DNODE_ADDON_API_DIR=/gradloop-build/include/addon >/dev/null &&
  cmake --build /gradloop-build/out -j $(nproc)"
mkdir -p "$out"
cp "$stage/out/gradloop.node" "$out/gradloop.node"
# Beside, not in build/Release: prebuildify packs that one; run.sh places this one itself.
if [ -f "$stage/out/cuda/gradloop_cuda.node" ]; then
  mkdir -p "$PWD/build/cuda"
  cp "$stage/out/cuda/gradloop_cuda.node" "$PWD/build/cuda/gradloop_cuda.node"
fi
