#pragma once
// The processes of a data-parallel training job. Launched by mpirun (and built with MPI) it spans
// the job's ranks over MPI; otherwise it is one rank and every operation is a no-op. Collectives
// wait at most timeout_s (a rank that died or hangs ends the job with an error instead of a hang).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rwkvs::dist {

class Communicator {
 public:
  // The job's communicator; initialises MPI on first use when the process was started by mpirun.
  static Communicator& world();

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }
  bool distributed() const { return size_ > 1; }

  // How long a collective may wait for the other ranks (default 600 s, or RWKVS_DIST_TIMEOUT_S).
  void set_timeout(double seconds) { timeout_s_ = seconds; }
  double timeout() const { return timeout_s_; }

  // Rank 0's values to every rank.
  void broadcast(float* data, size_t n);
  void broadcast(int64_t* data, size_t n);
  // In place: the element-wise sum over ranks.
  void allreduce_sum(float* data, size_t n);
  // Every rank's value, in rank order.
  std::vector<uint64_t> allgather(uint64_t value);

  // Time spent inside collectives since the last call (seconds), for the allreduce cost per step.
  double take_wait_seconds();

  // Ends the job: MPI_Finalize when status is 0, otherwise MPI_Abort so no rank is left waiting.
  // Returns status (single process: nothing to do).
  int finish(int status);

 private:
  enum class Element { f32, i64 };
  Communicator();
  bool active(size_t n) const { return mpi_ && size_ > 1 && n > 0; }
  void broadcast_elements(void* data, size_t n, Element type);
  int rank_ = 0, size_ = 1;
  bool mpi_ = false;
  double timeout_s_ = 600;
  double wait_s_ = 0;
};

// Communicator::world().finish(status) when the communicator was ever used; status otherwise.
int finish_world(int status);

// Whether this process was started by an MPI launcher (Open MPI, MPICH/Hydra, PMIx).
bool launched_by_mpi();

}  // namespace rwkvs::dist
