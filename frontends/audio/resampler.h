#pragma once
// Sample-rate conversion with libsoxr (high quality: 20-bit, linear phase, one thread).
// The streaming Resampler hands soxr fixed-size blocks whatever the caller's chunking, so the
// sequence of soxr calls -- and therefore every output sample -- is the same for any chunking;
// resample() is the same class fed once. The price is latency of up to one block (kBlock samples).
#include <cstddef>
#include <vector>

namespace rwkvs {

class Resampler {
 public:
  static constexpr size_t kBlock = 1024;  // input samples per soxr call

  Resampler(double input_rate, double output_rate);  // Error for non-positive or unsupported rates
  ~Resampler();
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;

  double input_rate() const { return input_rate_; }
  double output_rate() const { return output_rate_; }
  // Appends the output samples that became available to *out.
  void accept(const float* samples /*[n]*/, size_t n, std::vector<float>* out);
  // End of input: appends the rest (the filter tail) to *out. Further accept() is an error.
  void finish(std::vector<float>* out);

 private:
  void process(const float* in /*[n] or null at the end*/, size_t n, std::vector<float>* out);

  double input_rate_, output_rate_;
  void* soxr_;                  // soxr_t
  std::vector<float> pending_;  // < kBlock input samples not yet given to soxr
  std::vector<float> block_out_;
  bool finished_ = false;
};

// The whole signal at output_rate (same samples as streaming it through a Resampler).
std::vector<float> resample(const float* samples /*[n]*/, size_t n, double input_rate, double output_rate);

}  // namespace rwkvs
