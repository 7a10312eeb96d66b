#pragma once
// The GPU Engine: ModelEngine<CudaOps> on device 0 with its own stream and cuBLAS handle. Defined
// in CUDA builds; elsewhere it throws the "built without CUDA" error. Use make_engine("cuda", ...).
#include <memory>
#include <string>

#include "src/model/engine.h"

namespace rwkvs {

// precision: fp32 | tf32 | bf16 (matmul inputs; storage, accumulation and WKV state stay fp32).
std::unique_ptr<Engine> make_cuda_engine(const Model& model, const std::string& precision);

// Throws the same one-line Error as make_cuda_engine when no GPU can be used (checked before
// long work starts, so nothing is written for a run that cannot happen).
void require_cuda_device();

}  // namespace rwkvs
