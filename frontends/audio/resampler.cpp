#include "frontends/audio/resampler.h"

#include <soxr.h>

#include <cmath>

#include "base/error.h"

namespace rwkvs {

Resampler::Resampler(double input_rate, double output_rate)
    : input_rate_(input_rate), output_rate_(output_rate) {
  if (!(input_rate > 0 && output_rate > 0 && std::isfinite(input_rate) && std::isfinite(output_rate)))
    fail("resample: sample rates must be positive, got ", input_rate, " Hz -> ", output_rate, " Hz");
  soxr_error_t err = nullptr;
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  const soxr_runtime_spec_t runtime = soxr_runtime_spec(1);
  soxr_ = soxr_create(input_rate, output_rate, 1, &err, &io, &quality, &runtime);
  if (err || !soxr_) {
    if (soxr_) soxr_delete(static_cast<soxr_t>(soxr_));
    fail("resample: libsoxr cannot convert ", input_rate, " Hz -> ", output_rate,
         " Hz: ", soxr_strerror(err));
  }
  pending_.reserve(kBlock);
  // Enough room for one block's output plus the filter's burst at the end.
  block_out_.resize(static_cast<size_t>(std::ceil(kBlock * output_rate / input_rate)) + 4096);
}

Resampler::~Resampler() { soxr_delete(static_cast<soxr_t>(soxr_)); }

void Resampler::process(const float* in, size_t n, std::vector<float>* out) {
  soxr_t s = static_cast<soxr_t>(soxr_);
  size_t used_total = 0;
  for (;;) {
    size_t used = 0, produced = 0;
    const float* src = in ? in + used_total : nullptr;
    const soxr_error_t err =
        soxr_process(s, src, in ? n - used_total : 0, &used, block_out_.data(), block_out_.size(), &produced);
    if (err) fail("resample: libsoxr failed: ", soxr_strerror(err));
    used_total += used;
    out->insert(out->end(), block_out_.begin(), block_out_.begin() + static_cast<std::ptrdiff_t>(produced));
    // Keep going while input remains or, at the end, while the tail is still coming out.
    if (in ? used_total >= n && produced < block_out_.size() : produced == 0) break;
  }
}

void Resampler::accept(const float* samples, size_t n, std::vector<float>* out) {
  if (finished_) fail("resample: accept() after finish()");
  size_t i = 0;
  while (i < n) {
    const size_t take = std::min(kBlock - pending_.size(), n - i);
    pending_.insert(pending_.end(), samples + i, samples + i + take);
    i += take;
    if (pending_.size() == kBlock) {
      process(pending_.data(), kBlock, out);
      pending_.clear();
    }
  }
}

void Resampler::finish(std::vector<float>* out) {
  if (finished_) return;
  finished_ = true;
  if (!pending_.empty()) process(pending_.data(), pending_.size(), out);
  pending_.clear();
  process(nullptr, 0, out);
}

std::vector<float> resample(const float* samples, size_t n, double input_rate, double output_rate) {
  Resampler r(input_rate, output_rate);
  std::vector<float> out;
  out.reserve(static_cast<size_t>(std::ceil(n * output_rate / input_rate)) + 16);
  r.accept(samples, n, &out);
  r.finish(&out);
  return out;
}

}  // namespace rwkvs
