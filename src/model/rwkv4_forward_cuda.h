#pragma once
// The RWKV-4 parallel forward on an NVIDIA GPU (spec §3), for models with token input and an lm
// head: weights uploaded once, activations on the device, logits copied back. It issues the same
// kernel sequence as the CPU rwkv4_forward (src/model/rwkv4_forward.cpp), its reference: the GPU
// tests compare the two. Built only with CUDA (RWKVS_HAVE_CUDA).
#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/wkv4.h"
#include "src/model/model.h"

namespace rwkvs {

class CudaForward {
 public:
  // Uploads the model to device 0. Errors: no usable GPU, or a model this path does not cover yet
  // (frame input or a classes head), naming the model's kind.
  explicit CudaForward(const Model& model);
  ~CudaForward();
  CudaForward(const CudaForward&) = delete;
  CudaForward& operator=(const CudaForward&) = delete;

  // logits [B*T, vocab] of tokens [B*T] (each sequence from a zero state).
  std::vector<float> logits(const int32_t* tokens, int64_t B, int64_t T, const kernels::Wkv4Options& wkv = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rwkvs
