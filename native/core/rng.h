// Counter-based random numbers: a value depends only on (seed, stream, index),
// never on the order in which threads or GPU blocks ask for it. That keeps
// dropout masks identical across thread counts and backends, and lets a
// resumed run reproduce a mask from the step counter alone.
#pragma once
#include <cstdint>

#include "host_device.h"  // the CUDA backend draws the same masks

namespace gradloop {

// splitmix64's finalizer: a bijective mix with good avalanche behaviour.
GRADLOOP_HOST_DEVICE inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Uniform float in [0, 1) from 24 random bits.
GRADLOOP_HOST_DEVICE inline float uniformAt(uint64_t seed, uint64_t stream, uint64_t index) {
  uint64_t h = mix64(seed ^ mix64(stream + 0x9e3779b97f4a7c15ULL) ^ mix64(index * 0xd1b54a32d192ed03ULL));
  return static_cast<float>(h >> 40) * (1.0f / 16777216.0f);
}

}  // namespace gradloop
