#include "cublas_loader.h"

#include <dlfcn.h>
#include <glob.h>

#include <cstdlib>
#include <mutex>
#include <vector>

#include "../core/tensor.h"

namespace gradloop::cuda {
namespace {

const char* kSonames[] = {"libcublas.so.13", "libcublas.so.12"};

std::vector<std::string> globAll(const std::string& pattern) {
  std::vector<std::string> found;
  glob_t g{};
  if (glob(pattern.c_str(), 0, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) found.emplace_back(g.gl_pathv[i]);
  globfree(&g);
  return found;
}

std::vector<std::string> candidates() {
  std::vector<std::string> list;
  if (const char* override = std::getenv("GRADLOOP_CUBLAS_PATH"); override && *override) {
    std::string p = override;
    if (p.find(".so") != std::string::npos) list.push_back(p);
    else for (const char* so : kSonames) list.push_back(p + "/" + so);
  }
  for (const char* so : kSonames) list.emplace_back(so);  // LD_LIBRARY_PATH, ldconfig cache
  const char* home = std::getenv("HOME");
  std::vector<std::string> dirs = {"/usr/local/cuda/lib64", "/usr/local/cuda-*/lib64", "/usr/lib/x86_64-linux-gnu",
                                   "/opt/conda/lib/python3*/site-packages/nvidia/cu*/lib",
                                   "/opt/conda/lib/python3*/site-packages/nvidia/cublas/lib",
                                   "/usr/local/lib/python3*/dist-packages/nvidia/cu*/lib",
                                   "/usr/local/lib/python3*/dist-packages/nvidia/cublas/lib",
                                   "/usr/local/lib/python3*/site-packages/nvidia/cublas/lib",
                                   "/usr/lib/python3*/site-packages/nvidia/cublas/lib"};
  if (home) {
    dirs.push_back(std::string(home) + "/.local/lib/python3*/site-packages/nvidia/cublas/lib");
    dirs.push_back(std::string(home) + "/.local/lib/python3*/site-packages/nvidia/cu*/lib");
  }
  // Python environments in /opt (conda, or a venv such as /opt/torch/.venv) and the active one.
  for (const char* env : {"/opt/*", "/opt/*/.venv", "/opt/*/venv"}) {
    dirs.push_back(std::string(env) + "/lib/python3*/site-packages/nvidia/cublas/lib");
    dirs.push_back(std::string(env) + "/lib/python3*/site-packages/nvidia/cu*/lib");
  }
  if (const char* venv = std::getenv("VIRTUAL_ENV"); venv) {
    dirs.push_back(std::string(venv) + "/lib/python3*/site-packages/nvidia/cublas/lib");
    dirs.push_back(std::string(venv) + "/lib/python3*/site-packages/nvidia/cu*/lib");
  }
  for (const std::string& d : dirs)
    for (const char* so : kSonames)
      for (const std::string& f : globAll(d + "/" + so)) list.push_back(f);
  return list;
}

template <typename F>
void bind(void* lib, F& fn, const char* symbol, const std::string& path) {
  fn = reinterpret_cast<F>(dlsym(lib, symbol));
  if (!fn) throw std::runtime_error("cuBLAS at '" + path + "' lacks " + symbol + "; it is not a usable cuBLAS 12/13");
}

}  // namespace

const CublasApi& cublas() {
  static std::once_flag once;
  static CublasApi api;
  static std::string failure;
  std::call_once(once, [] {
    std::string tried;
    for (const std::string& path : candidates()) {
      void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!lib) {
        tried += "\n  " + path + ": " + dlerror();
        continue;
      }
      try {
        bind(lib, api.create, "cublasCreate_v2", path);
        bind(lib, api.destroy, "cublasDestroy_v2", path);
        bind(lib, api.setStream, "cublasSetStream_v2", path);
        bind(lib, api.setMathMode, "cublasSetMathMode", path);
        bind(lib, api.getVersion, "cublasGetVersion_v2", path);
        bind(lib, api.sgemm, "cublasSgemm_v2", path);
        api.path = path;
        return;
      } catch (const std::runtime_error& e) {
        tried += "\n  " + path + ": " + e.what();
        dlclose(lib);
      }
    }
    failure =
        "gradloop's CUDA backend needs cuBLAS (libcublas.so.13 or .12) and none could be loaded. Install the CUDA "
        "toolkit's cuBLAS (apt-get install libcublas-13-0, or the CUDA toolkit), or `pip install nvidia-cublas` "
        "(PyTorch installs it), or point GRADLOOP_CUBLAS_PATH at the file or its folder. Tried:" + tried;
  });
  if (!api.sgemm) throw std::runtime_error(failure);
  return api;
}

const char* cublasStatusName(cublasStatus_t status) {
  switch (status) {
    case 0: return "CUBLAS_STATUS_SUCCESS";
    case 1: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case 3: return "CUBLAS_STATUS_ALLOC_FAILED";
    case 7: return "CUBLAS_STATUS_INVALID_VALUE";
    case 8: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case 11: return "CUBLAS_STATUS_MAPPING_ERROR";
    case 13: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case 14: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case 15: return "CUBLAS_STATUS_NOT_SUPPORTED";
    case 16: return "CUBLAS_STATUS_LICENSE_ERROR";
    default: return "CUBLAS_STATUS_UNKNOWN";
  }
}

}  // namespace gradloop::cuda
