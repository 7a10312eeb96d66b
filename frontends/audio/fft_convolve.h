#pragma once
// Linear convolution by one real FFT (FFTW, double precision, zero padding to a power of two so
// that the plans are few). One forward and one inverse plan per size are made once, under
// fftw_planner_mutex(), and shared; every call owns its buffers, so calls may run in parallel.
#include <cstddef>
#include <vector>

namespace rwkvs {

// The smallest power of two >= n (n >= 1): the FFT size fft_convolve uses for n = x_len + h_len - 1.
size_t fft_convolve_size(size_t n);

// The first out_len samples of the linear convolution y = x * h, y[k] = sum_j h[j] x[k - j]
// (out_len <= n + m - 1; 0 when either input is empty). Equal to the direct sum within the
// rounding of a double FFT.
std::vector<float> fft_convolve(const float* x /*[n]*/, size_t n, const float* h /*[m]*/, size_t m, size_t out_len);

}  // namespace rwkvs
