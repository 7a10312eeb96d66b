// NCCL through dlopen (kernels/cuda/nccl.h). The few types and entry points used are declared here
// as NCCL's ABI defines them (nccl.h: ncclUniqueId is 128 bytes, ncclFloat32 = 7, ncclSum = 0,
// ncclSuccess = 0, ncclInProgress = 7), so the build needs no NCCL header.
#include <dlfcn.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <type_traits>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/nccl.h"

namespace rwkvs::kernels::cuda {
namespace {

struct UniqueId {
  char internal[kNcclUniqueIdBytes];
};
using Result = int;  // ncclResult_t
constexpr Result kSuccess = 0, kInProgress = 7;
constexpr int kFloat32 = 7, kSum = 0;

struct NcclLibrary {
  Result (*get_unique_id)(UniqueId*) = nullptr;
  Result (*comm_init_rank)(void** comm, int nranks, UniqueId id, int rank) = nullptr;
  Result (*all_reduce)(const void*, void*, size_t, int, int, void*, cudaStream_t) = nullptr;
  Result (*comm_destroy)(void*) = nullptr;
  Result (*comm_abort)(void*) = nullptr;
  Result (*comm_get_async_error)(void*, Result*) = nullptr;
  const char* (*error_string)(Result) = nullptr;
  std::string problem;  // why it could not be loaded (empty: loaded)
};

NcclLibrary load() {
  NcclLibrary lib;
  std::string candidates[] = {"libnccl.so.2",
#ifdef RWKVS_CUDA_LIBRARY_DIR
                              std::string(RWKVS_CUDA_LIBRARY_DIR) + "/libnccl.so.2"
#endif
  };
  void* handle = nullptr;
  for (const std::string& name : candidates) {
    if (name.empty()) continue;
    if ((handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL))) break;
    const char* why = dlerror();
    lib.problem += (lib.problem.empty() ? "" : "; ") + std::string(why ? why : name.c_str());
  }
  if (!handle) return lib;
  auto resolve = [&](const char* symbol, auto* out) {
    *out = reinterpret_cast<std::remove_pointer_t<decltype(out)>>(dlsym(handle, symbol));
    if (!*out && lib.problem.empty()) lib.problem = std::string("entry point ") + symbol + " not found in libnccl";
  };
  lib.problem.clear();
  resolve("ncclGetUniqueId", &lib.get_unique_id);
  resolve("ncclCommInitRank", &lib.comm_init_rank);
  resolve("ncclAllReduce", &lib.all_reduce);
  resolve("ncclCommDestroy", &lib.comm_destroy);
  resolve("ncclCommAbort", &lib.comm_abort);
  resolve("ncclCommGetAsyncError", &lib.comm_get_async_error);
  resolve("ncclGetErrorString", &lib.error_string);
  return lib;
}

const NcclLibrary& library() {
  static const NcclLibrary lib = load();
  return lib;
}

const NcclLibrary& require_library() {
  const NcclLibrary& lib = library();
  if (!lib.problem.empty()) fail("NCCL could not be loaded (", lib.problem, "); install libnccl2 for multi-GPU jobs");
  return lib;
}

void check(Result r, const char* what) {
  if (r != kSuccess && r != kInProgress) fail("NCCL ", what, " failed: ", library().error_string(r));
}

}  // namespace

bool nccl_available(std::string* why) {
  const NcclLibrary& lib = library();
  if (why) *why = lib.problem;
  return lib.problem.empty();
}

std::vector<char> nccl_unique_id() {
  const NcclLibrary& lib = require_library();
  UniqueId id{};
  check(lib.get_unique_id(&id), "ncclGetUniqueId");
  return std::vector<char>(id.internal, id.internal + kNcclUniqueIdBytes);
}

NcclCommunicator::NcclCommunicator(const CudaContext& ctx, int rank, int size, const std::vector<char>& id,
                                   double timeout_s)
    : ctx_(ctx), timeout_s_(timeout_s) {
  const NcclLibrary& lib = require_library();
  if (id.size() != kNcclUniqueIdBytes) fail("NCCL: the unique id has ", id.size(), " bytes, expected 128");
  UniqueId uid;
  std::memcpy(uid.internal, id.data(), kNcclUniqueIdBytes);
  check(lib.comm_init_rank(&comm_, size, uid, rank), "ncclCommInitRank");
}

NcclCommunicator::~NcclCommunicator() {
  if (comm_) library().comm_destroy(comm_);
}

void NcclCommunicator::allreduce_sum(float* data, size_t n) {
  const NcclLibrary& lib = library();
  if (n == 0) return;
  check(lib.all_reduce(data, data, n, kFloat32, kSum, comm_, stream_of(ctx_)), "ncclAllReduce");
  // Poll instead of blocking, so a rank that died or hangs ends this one after the timeout.
  const auto start = std::chrono::steady_clock::now();
  while (true) {
    const cudaError_t state = cudaStreamQuery(stream_of(ctx_));
    if (state == cudaSuccess) return;
    if (state != cudaErrorNotReady) check_cuda(state, "NCCL allreduce", "cudaStreamQuery");
    Result async = kSuccess;
    lib.comm_get_async_error(comm_, &async);
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if ((async != kSuccess && async != kInProgress) || waited > timeout_s_) {
      lib.comm_abort(comm_);
      comm_ = nullptr;
      if (async != kSuccess && async != kInProgress) fail("NCCL allreduce failed: ", lib.error_string(async));
      fail("NCCL allreduce: no answer from the other ranks after ", timeout_s_,
           " s (a rank died or hangs; RWKVS_DIST_TIMEOUT_S sets the limit)");
    }
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

}  // namespace rwkvs::kernels::cuda
