#include "src/model/cuda_engine.h"

#include "base/error.h"

#ifdef RWKVS_HAVE_CUDA
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#endif

#ifdef RWKVS_HAVE_CUDA
#include "kernels/cuda_device.h"
#include "src/model/cuda_ops.h"
#include "src/model/model_engine.h"
#endif

namespace rwkvs {

#ifdef RWKVS_HAVE_CUDA
namespace cu = kernels::cuda;

std::string CudaOps::device_name() const { return kernels::cuda_device_info().name; }

void CudaOps::allreduce_sum(const RankGroup& ranks, float* data, int64_t n) const {
  if (!nccl && !nccl_missing) {
    // Every rank learns whether all can use NCCL (rank 0's answer decides), so none waits alone.
    std::string why;
    int64_t use[1] = {cu::nccl_available(&why) ? 1 : 0};
    ranks.broadcast_i64(use, 1);
    if (use[0] && !cu::nccl_available(&why)) fail("NCCL is available on rank 0 but not on rank ", ranks.rank, ": ", why);
    if (!use[0]) {
      nccl_missing = true;
      if (ranks.rank == 0)
        std::fprintf(stderr, "note: NCCL not found (%s); gradients are summed through host memory with MPI\n",
                     why.c_str());
    } else {
      std::vector<char> id = ranks.rank == 0 ? cu::nccl_unique_id() : std::vector<char>(cu::kNcclUniqueIdBytes);
      std::vector<int64_t> words(cu::kNcclUniqueIdBytes / sizeof(int64_t));
      std::memcpy(words.data(), id.data(), cu::kNcclUniqueIdBytes);
      ranks.broadcast_i64(words.data(), words.size());
      std::memcpy(id.data(), words.data(), cu::kNcclUniqueIdBytes);
      nccl = std::make_shared<cu::NcclCommunicator>(ctx, ranks.rank, ranks.size, id, ranks.timeout_s);
    }
  }
  if (nccl) {
    nccl->allreduce_sum(data, static_cast<size_t>(n));
    return;
  }
  host_staging.resize(static_cast<size_t>(n));  // kept: the same size every step
  download(host_staging.data(), data, n);
  ranks.host_sum(host_staging.data(), host_staging.size());
  upload(data, host_staging.data(), n);
}

namespace {

// Owns the stream and cuBLAS handle the engine's ops borrow; a base, so it is built first.
struct OwnedContextHolder {
  OwnedContextHolder(cu::MatmulPrecision p, int device) : owned(p, device) {}
  cu::OwnedCudaContext owned;
};

class CudaModelEngine : private OwnedContextHolder, public ModelEngine<CudaOps> {
 public:
  CudaModelEngine(const Model& model, cu::MatmulPrecision p, int device)
      : OwnedContextHolder(p, device), ModelEngine<CudaOps>(ops_on(owned.get()), model) {}

 private:
  static CudaOps ops_on(const cu::CudaContext& ctx) {
    CudaOps ops;
    ops.ctx = ctx;
    return ops;
  }
};

}  // namespace

namespace {
kernels::CudaDeviceInfo usable_device_info() {
  kernels::CudaDeviceInfo info = kernels::cuda_device_info();
  if (info.count == 0) fail("--device cuda: no usable GPU (", info.problem, ")");
  return info;
}
}  // namespace

void require_cuda_device() { usable_device_info(); }

std::unique_ptr<Engine> make_cuda_engine(const Model& model, const std::string& precision) {
  cu::MatmulPrecision p;
  try {
    p = cu::parse_matmul_precision(precision.c_str());
  } catch (const Error& e) {
    fail_usage("--precision: ", e.what());
  }
  const kernels::CudaDeviceInfo info = usable_device_info();
  // Under mpirun, ranks on one machine take its GPUs in turn (local rank modulo the GPUs it sees).
  int device = 0;
  for (const char* v : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"})
    if (const char* e = std::getenv(v)) {
      device = std::atoi(e) % info.count;
      break;
    }
  return std::make_unique<CudaModelEngine>(model, p, device);
}

#else

void require_cuda_device() {
  fail("--device cuda: this rwkvs was built without CUDA (configure with nvcc on the PATH and -DRWKVS_CUDA=ON)");
}

std::unique_ptr<Engine> make_cuda_engine(const Model&, const std::string&) {
  fail("--device cuda: this rwkvs was built without CUDA (configure with nvcc on the PATH and -DRWKVS_CUDA=ON)");
}

#endif

}  // namespace rwkvs
