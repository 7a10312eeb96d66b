#include "src/dist/communicator.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "base/error.h"

#ifdef RWKVS_HAVE_MPI
#include <mpi.h>
#endif

namespace rwkvs::dist {
namespace {

bool g_started = false;

#ifdef RWKVS_HAVE_MPI
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Waits for a non-blocking collective, polling, so a missing rank becomes an error after the timeout.
void wait_for(MPI_Request* request, double timeout_s, int rank, const char* what) {
  const Clock::time_point start = Clock::now();
  int done = 0;
  for (int polls = 0;; ++polls) {
    MPI_Test(request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    if (seconds_since(start) > timeout_s)
      fail("rank ", rank, ": no answer from the other ranks within ", timeout_s, " s during ", what,
           " (did a rank die or stop? RWKVS_DIST_TIMEOUT_S sets the limit)");
    // Spin briefly (a step's allreduce usually completes in microseconds), then yield the core.
    if (polls > 1000) std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}
#endif

}  // namespace

bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"})
    if (std::getenv(v)) return true;
  return false;
}

Communicator& Communicator::world() {
  static Communicator c;
  g_started = true;
  return c;
}

int finish_world(int status) { return g_started ? Communicator::world().finish(status) : status; }

Communicator::Communicator() {
  if (const char* t = std::getenv("RWKVS_DIST_TIMEOUT_S")) {
    const double v = std::atof(t);
    if (v > 0) timeout_s_ = v;
  }
#ifdef RWKVS_HAVE_MPI
  if (!launched_by_mpi()) return;
  int provided = 0;
  // FUNNELED: only the main thread calls MPI; OpenMP threads compute in between.
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    fail("MPI_Init_thread failed");
  mpi_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
#endif
}

void Communicator::broadcast(float* data, size_t n) { broadcast_elements(data, n, Element::f32); }
void Communicator::broadcast(int64_t* data, size_t n) { broadcast_elements(data, n, Element::i64); }

// MPI counts are int: larger buffers go in pieces of at most 2^30 elements.
constexpr size_t kMaxCount = size_t{1} << 30;

void Communicator::broadcast_elements(void* data, size_t n, Element type) {
#ifdef RWKVS_HAVE_MPI
  if (!active(n)) return;
  const Clock::time_point t = Clock::now();
  const MPI_Datatype mpi_type = type == Element::f32 ? MPI_FLOAT : MPI_INT64_T;
  const size_t bytes = type == Element::f32 ? sizeof(float) : sizeof(int64_t);
  for (size_t i = 0; i < n; i += kMaxCount) {
    MPI_Request r;
    MPI_Ibcast(static_cast<char*>(data) + i * bytes, static_cast<int>(std::min(kMaxCount, n - i)), mpi_type, 0,
               MPI_COMM_WORLD, &r);
    wait_for(&r, timeout_s_, rank_, "a broadcast");
  }
  wait_s_ += seconds_since(t);
#else
  (void)data, (void)n, (void)type;
#endif
}

void Communicator::allreduce_sum(float* data, size_t n) {
#ifdef RWKVS_HAVE_MPI
  if (!active(n)) return;
  const Clock::time_point t = Clock::now();
  for (size_t i = 0; i < n; i += kMaxCount) {
    MPI_Request r;
    MPI_Iallreduce(MPI_IN_PLACE, data + i, static_cast<int>(std::min(kMaxCount, n - i)), MPI_FLOAT, MPI_SUM,
                   MPI_COMM_WORLD, &r);
    wait_for(&r, timeout_s_, rank_, "the gradient allreduce");
  }
  wait_s_ += seconds_since(t);
#else
  (void)data, (void)n;
#endif
}

std::vector<uint64_t> Communicator::allgather(uint64_t value) {
  std::vector<uint64_t> all(static_cast<size_t>(size_), value);
#ifdef RWKVS_HAVE_MPI
  if (!active(1)) return all;
  MPI_Request r;
  MPI_Iallgather(&value, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD, &r);
  wait_for(&r, timeout_s_, rank_, "the start-up check");
#endif
  return all;
}

double Communicator::take_wait_seconds() {
  const double s = wait_s_;
  wait_s_ = 0;
  return s;
}

int Communicator::finish(int status) {
#ifdef RWKVS_HAVE_MPI
  if (mpi_) {
    mpi_ = false;
    std::fflush(stdout);
    std::fflush(stderr);
    if (status != 0 && size_ > 1) MPI_Abort(MPI_COMM_WORLD, status);
    MPI_Finalize();
  }
#endif
  return status;
}

}  // namespace rwkvs::dist
