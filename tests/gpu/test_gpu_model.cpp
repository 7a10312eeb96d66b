// The RWKV-4 parallel forward on the GPU (src/model/rwkv4_forward_cuda.h) against the CPU forward,
// its reference, on random models: odd lengths, T = 1, several sequences, a chunk length that does
// not divide T. Exits 77 (Skipped) without a usable GPU (tests/gpu/gpu_main.cpp).
#include <doctest/doctest.h>

#include <vector>

#include "base/rng.h"
#include "src/model/model.h"
#include "src/model/rwkv4.h"
#include "src/model/rwkv4_forward_cuda.h"
#include "tests/support.h"

using namespace rwkvs;

namespace {

void check_against_cpu(int layers, int embd, int vocab, int64_t B, int64_t T, int chunk) {
  CAPTURE(layers);
  CAPTURE(embd);
  CAPTURE(B);
  CAPTURE(T);
  CAPTURE(chunk);
  Model m(ModelConfig::rwkv4(layers, embd, vocab));
  init_random(m, 7);
  std::vector<int32_t> tokens(static_cast<size_t>(B * T));
  Rng rng(3);
  for (int32_t& t : tokens) t = static_cast<int32_t>(rng.below(static_cast<uint64_t>(vocab)));
  Activations acts;
  ForwardOptions opt;
  opt.wkv.chunk_len = chunk;
  rwkv4_forward(m, acts, tokens.data(), B, T, nullptr, nullptr, opt);
  kernels::Wkv4Options wkv;
  wkv.chunk_len = chunk;
  const std::vector<float> got = CudaForward(m).logits(tokens.data(), B, T, wkv);
  REQUIRE(got.size() == static_cast<size_t>(B * T * vocab));
  CHECK_ARRAYS_CLOSE(got.data(), acts.logits.data(), got.size(), 1e-4, 1e-4);
}

}  // namespace

TEST_CASE("GPU forward logits equal the CPU forward within 1e-4") {
  check_against_cpu(2, 64, 97, 2, 37, 16);
  check_against_cpu(1, 32, 50, 1, 1, 64);
  check_against_cpu(3, 128, 256, 3, 300, 64);
}

TEST_CASE("models the GPU forward does not cover yet are refused by name") {
  ModelConfig c = ModelConfig::rwkv4(1, 16, 0);
  c.input_kind = "frames";
  c.input_dim = 8;
  c.head_kind = "classes";
  c.labels = {"_unknown_", "yes"};
  const Model m(c);
  CHECK_THROWS_WITH_AS(CudaForward{m}, doctest::Contains("frames input"), Error);
}
