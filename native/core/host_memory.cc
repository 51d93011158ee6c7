// How much host memory the process can still allocate: the kernel's MemAvailable (free memory plus
// what it can reclaim from caches without swapping), lowered to the room left under this process's
// cgroup limit where one is set (containers: cgroup v2 memory.max, or v1 memory.limit_in_bytes).
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "memory_check.h"

namespace gradloop {
namespace {

// The first number in a file, or -1 ("max" and unreadable files alike).
int64_t readNumber(const std::string& path) {
  std::ifstream in(path);
  long long v = -1;
  if (!(in >> v)) return -1;
  return v;
}

int64_t memAvailable() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  long long kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit)
    if (key == "MemAvailable:") return static_cast<int64_t>(kib) * 1024;
  return -1;
}

// Room left under the cgroup's limit, or -1 without a limit.
int64_t cgroupRoom(std::string* where) {
  std::ifstream self("/proc/self/cgroup");
  std::string line;
  while (std::getline(self, line)) {
    // v2: "0::/path"; v1: "N:memory:/path" (or a list of controllers including memory).
    const size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    std::string limitFile, usageFile;
    if (controllers.empty()) {
      limitFile = "/sys/fs/cgroup" + path + "/memory.max";
      usageFile = "/sys/fs/cgroup" + path + "/memory.current";
    } else if (("," + controllers + ",").find(",memory,") != std::string::npos) {
      limitFile = "/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes";
      usageFile = "/sys/fs/cgroup/memory" + path + "/memory.usage_in_bytes";
    } else {
      continue;
    }
    const int64_t limit = readNumber(limitFile), usage = readNumber(usageFile);
    // cgroup v1 reports "no limit" as a huge number (PAGE_COUNTER_MAX pages).
    if (limit > 0 && limit < (int64_t{1} << 60) && usage >= 0) {
      *where = "the cgroup limit " + limitFile;
      return limit > usage ? limit - usage : 0;
    }
  }
  return -1;
}

}  // namespace

int64_t hostAvailableMemory(std::string* source) {
  int64_t available = memAvailable();
  std::string where = "MemAvailable in /proc/meminfo";
  std::string cgroup;
  const int64_t room = cgroupRoom(&cgroup);
  if (room >= 0 && (available < 0 || room < available)) {
    available = room;
    where = cgroup;
  }
  if (source) *source = where;
  return available;
}

}  // namespace gradloop
