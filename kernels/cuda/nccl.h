#pragma once
// Sums float buffers across the ranks of a job on their GPUs with NCCL (one rank per GPU). NCCL is
// loaded with dlopen on first use, like cuBLAS: a build, and a single-GPU run, need no NCCL. The
// communicator's unique id is made by rank 0 and reaches the other ranks over MPI (the caller
// broadcasts the bytes). Includes no CUDA header.
#include <cstddef>
#include <string>
#include <vector>

#include "kernels/cuda/context.h"

namespace rwkvs::kernels::cuda {

constexpr size_t kNcclUniqueIdBytes = 128;

// Whether libnccl can be loaded; when not, *why says what the loader reported.
bool nccl_available(std::string* why);

// A fresh unique id (rank 0), kNcclUniqueIdBytes bytes. Throws rwkvs::Error without NCCL.
std::vector<char> nccl_unique_id();

class NcclCommunicator {
 public:
  // Joins the job's communicator: every rank calls this with the same id (blocks until all have).
  // Allreduces run on ctx's stream and wait at most timeout_s for the other ranks.
  NcclCommunicator(const CudaContext& ctx, int rank, int size, const std::vector<char>& id, double timeout_s);
  ~NcclCommunicator();
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  // data (n floats on the device) = its sum over the ranks, in place; returns when done. A rank that
  // stops answering aborts the communicator and throws rwkvs::Error after timeout_s.
  void allreduce_sum(float* data, size_t n);

 private:
  CudaContext ctx_;
  double timeout_s_;
  void* comm_ = nullptr;  // ncclComm_t
};

}  // namespace rwkvs::kernels::cuda
