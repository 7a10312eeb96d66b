// cuBLAS and NCCL are opened with dlopen on first use, not linked (kernels/cuda/cublas_library.cu,
// nccl.cu): check, without needing a GPU, that the libraries are found the way rwkvs finds them and
// every entry point we call resolves, and that rwkvs itself does not load them at start.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/support.h"

#ifdef RWKVS_HAVE_CUDA
#include "kernels/cuda/cublas_library.cuh"
#include "kernels/cuda/nccl.h"

TEST_CASE("libcublas loads on demand and every entry point resolves") {
  const auto& lib = rwkvs::kernels::cuda::cublas_library();
  CHECK(static_cast<bool>(lib.create));
  CHECK(static_cast<bool>(lib.destroy));
  CHECK(static_cast<bool>(lib.set_stream));
  CHECK(static_cast<bool>(lib.gemm_ex));
  CHECK(static_cast<bool>(lib.status_name));
  CHECK(std::string(lib.status_name(CUBLAS_STATUS_SUCCESS)) == "CUBLAS_STATUS_SUCCESS");
  CHECK(&rwkvs::kernels::cuda::cublas_library() == &lib);  // loaded once
}

TEST_CASE("rwkvs does not map libcublas unless a GPU matmul asks for it") {
  std::string out;
  // ldd lists what the loader maps at start; the CUDA runtime may be there, cuBLAS must not.
  REQUIRE(rwkvs::test::run("ldd " + rwkvs::test::cli(), &out) == 0);
  INFO(out);
  CHECK(out.find("libcublas") == std::string::npos);
  CHECK(out.find("libnccl") == std::string::npos);
}

TEST_CASE("libnccl (multi-GPU jobs) loads on demand where installed: every entry point resolves, ids are 128 bytes") {
  std::string why;
  if (!rwkvs::kernels::cuda::nccl_available(&why)) {
    MESSAGE("NCCL not installed here: " << why);
    CHECK(!why.empty());  // the reason reaches the user's error message
    CHECK_THROWS_WITH_AS(rwkvs::kernels::cuda::nccl_unique_id(), doctest::Contains("NCCL could not be loaded"),
                         rwkvs::Error);
    return;
  }
  CHECK(why.empty());
  const std::vector<char> a = rwkvs::kernels::cuda::nccl_unique_id(), b = rwkvs::kernels::cuda::nccl_unique_id();
  CHECK(a.size() == 128);
  CHECK(a != b);  // each job gets its own
}
#else
TEST_CASE("skipped: built without CUDA") {
  std::puts("SKIPPED: built without CUDA");
  std::exit(77);
}
#endif
