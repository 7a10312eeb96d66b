#include "src/core/threads.h"

#include <cblas.h>
#include <omp.h>
#include <sched.h>


#include <thread>

namespace rwkvs {

int available_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return CPU_COUNT(&set);
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

void set_num_threads(int n) {
  if (n <= 0) n = available_cores();
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

int num_threads() { return omp_get_max_threads(); }

}  // namespace rwkvs
