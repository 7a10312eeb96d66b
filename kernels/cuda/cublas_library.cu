#include <dlfcn.h>

#include <string>

#include "base/error.h"
#include "kernels/cuda/cublas_library.cuh"

namespace rwkvs::kernels::cuda {
namespace {

// The soname first (the loader's paths and the executable's RUNPATH), then the toolkit's folder
// the build found, for a toolkit outside the loader's paths.
void* open_cublas(std::string* tried) {
  const std::string soname = "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR);
  std::string candidates[] = {soname,
#ifdef RWKVS_CUDA_LIBRARY_DIR
                              std::string(RWKVS_CUDA_LIBRARY_DIR) + "/" + soname
#endif
  };
  for (const std::string& name : candidates) {
    if (name.empty()) continue;
    if (void* handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL)) return handle;
    const char* why = dlerror();
    *tried += (tried->empty() ? "" : "; ") + std::string(why ? why : name.c_str());
  }
  return nullptr;
}

template <typename F>
void resolve(void* handle, const char* symbol, F* out) {
  *out = reinterpret_cast<F>(dlsym(handle, symbol));
  if (!*out) fail("cuBLAS: entry point ", symbol, " not found in the loaded libcublas");
}

CublasLibrary load() {
  std::string tried;
  void* handle = open_cublas(&tried);  // kept open for the life of the process
  if (!handle) fail("cuBLAS could not be loaded (", tried, "); install the CUDA toolkit's libcublas");
  CublasLibrary lib;
  resolve(handle, "cublasCreate_v2", &lib.create);
  resolve(handle, "cublasDestroy_v2", &lib.destroy);
  resolve(handle, "cublasSetStream_v2", &lib.set_stream);
  resolve(handle, "cublasGemmEx", &lib.gemm_ex);
  resolve(handle, "cublasGetStatusName", &lib.status_name);
  resolve(handle, "cublasGetStatusString", &lib.status_string);
  return lib;
}

}  // namespace

const CublasLibrary& cublas_library() {
  static const CublasLibrary lib = load();
  return lib;
}

}  // namespace rwkvs::kernels::cuda
