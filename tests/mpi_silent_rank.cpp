// A rank that joins the MPI job and then never answers (for test_mpi_train: the other ranks must
// give up after RWKVS_DIST_TIMEOUT_S instead of hanging).
#include <mpi.h>
#include <unistd.h>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  sleep(120);
  MPI_Finalize();
  return 0;
}
