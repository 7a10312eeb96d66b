#pragma once
// One thread count for the process: our OpenMP regions and OpenBLAS (built on the same OpenMP
// runtime) share it, so BLAS threads never multiply with ours.
namespace rwkvs {

// Number of hardware threads available to this process.
int available_cores();

// Sets the thread count for OpenMP regions and BLAS. n <= 0 means available_cores().
void set_num_threads(int n);

int num_threads();

}  // namespace rwkvs
