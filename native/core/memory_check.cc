#include "memory_check.h"

#include <algorithm>
#include <cstdio>

#include "tensor.h"

namespace gradloop {

std::string formatBytes(int64_t bytes) {
  char text[64];
  if (bytes >= (int64_t{1} << 30)) std::snprintf(text, sizeof text, "%.1f GiB", static_cast<double>(bytes) / (1 << 30));
  else if (bytes >= (1 << 20)) std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  else std::snprintf(text, sizeof text, "%lld bytes", static_cast<long long>(bytes));
  return text;
}

void checkMemory(Backend& backend, int64_t bytes, const std::function<MemoryBreakdown()>& breakdown, int64_t released) {
  if (!memoryCheck()) return;
  std::string source;
  const int64_t available = backend.availableMemory(&source);
  if (available < 0 || bytes <= available + released) return;
  MemoryBreakdown items = breakdown();
  std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string biggest;
  for (size_t i = 0; i < items.size() && i < 3; ++i)
    biggest += (i ? ", " : "") + items[i].first + " " + formatBytes(items[i].second);
  throw RangeError("the model needs " + formatBytes(bytes) + " of " + backend.name() + " memory but only " +
                   formatBytes(available + released) + " is available (" + source + "); the biggest: " + biggest +
                   ". Use a smaller model or batchSize, or setMemoryCheck(false) to allocate anyway.");
}

void checkHostResult(int64_t bytes, const std::string& what) {
  if (bytes / 4 > 4294967295LL)
    throw RangeError(what + ": the result would have " + std::to_string(bytes / 4) +
                     " values, more than one Float32Array holds (2^32 - 1); ask for fewer rows at a time");
  if (!memoryCheck()) return;
  std::string source;
  const int64_t available = hostAvailableMemory(&source);
  if (available >= 0 && bytes > available)
    throw RangeError(what + ": the result needs " + formatBytes(bytes) + " but only " + formatBytes(available) +
                     " of memory is available (" + source + "); ask for fewer rows at a time, or setMemoryCheck(false)");
}

}  // namespace gradloop
