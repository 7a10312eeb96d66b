// cuBLAS is opened with dlopen on first use, not linked (kernels/cuda/cublas_library.cu): check,
// without needing a GPU, that the library is found the way rwkvs finds it and every entry point we
// call resolves, and that rwkvs itself does not load it at start.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/support.h"

#ifdef RWKVS_HAVE_CUDA
#include "kernels/cuda/cublas_library.cuh"

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
}
#else
TEST_CASE("skipped: built without CUDA") {
  std::puts("SKIPPED: built without CUDA");
  std::exit(77);
}
#endif
