#pragma once
// cuBLAS opened with dlopen on first use instead of linked: loading libcublas maps and relocates about
// 220 MB (measured: a program linked to it peaks at 218 MB RSS before main), which every CPU-only run
// of rwkvs would pay. Only the entry points we call are resolved.
#include <cublas_v2.h>

namespace rwkvs::kernels::cuda {

struct CublasLibrary {
  decltype(&cublasCreate_v2) create = nullptr;
  decltype(&cublasDestroy_v2) destroy = nullptr;
  decltype(&cublasSetStream_v2) set_stream = nullptr;
  // The exported cublasGemmEx (C++ also sees an inline overload taking cudaDataType as compute type).
  cublasStatus_t (*gemm_ex)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const void*,
                            const void*, cudaDataType, int, const void*, cudaDataType, int, const void*, void*,
                            cudaDataType, int, cublasComputeType_t, cublasGemmAlgo_t) = nullptr;
  decltype(&cublasGetStatusName) status_name = nullptr;
  decltype(&cublasGetStatusString) status_string = nullptr;
};

// Loads libcublas.so.<major> once (thread-safe); an Error naming the library and dlerror() when it
// or one of the entry points is missing.
const CublasLibrary& cublas_library();

}  // namespace rwkvs::kernels::cuda
