// Before a program allocates (parameters, optimizer state, activations at a batch size), it
// compares the bytes it is about to ask for with the memory the backend can really give: on the
// CPU what the kernel calls available (MemAvailable, and the cgroup's limit where one is set), on
// a GPU the device's free memory. Asking for more would not fail cleanly: a CPU allocation of
// 24 GB succeeds on a 24 GB host and the zero-fill then gets the process OOM-killed.
// setMemoryCheck(false) turns the check off for people who know better (swap, overcommit).
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "backend.h"

namespace gradloop {

inline std::atomic<bool> memoryCheckSetting{true};
inline void setMemoryCheck(bool on) { memoryCheckSetting.store(on, std::memory_order_relaxed); }
inline bool memoryCheck() { return memoryCheckSetting.load(std::memory_order_relaxed); }

// What a program is made of, for the error message: names and bytes.
using MemoryBreakdown = std::vector<std::pair<std::string, int64_t>>;

// Throws a RangeError naming `bytes`, the memory available and the biggest items of `breakdown`
// (called only then) when `bytes` exceeds what `backend` has available (beyond `released`, the
// bytes this allocation replaces). Does nothing when the check is off or the backend cannot tell.
void checkMemory(Backend& backend, int64_t bytes, const std::function<MemoryBreakdown()>& breakdown,
                 int64_t released = 0);

// Host memory the process can still allocate (MemAvailable, lowered to the cgroup's room where a
// limit is set), or -1 where that cannot be read (not Linux); `source` receives where it came from.
int64_t hostAvailableMemory(std::string* source);

// For results handed to JavaScript (predictions, gradients): a RangeError naming `what` when
// `bytes` exceed the host memory available or what one typed array can hold (2^32 - 1 elements);
// V8 aborts the process on an allocation it cannot make, so this runs before it.
void checkHostResult(int64_t bytes, const std::string& what);

// "1.5 GiB", "12.0 MiB", "512 bytes".
std::string formatBytes(int64_t bytes);

}  // namespace gradloop
