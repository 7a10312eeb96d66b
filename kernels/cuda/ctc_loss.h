#pragma once
// CTC loss on the GPU: the twin of kernels/ctc_loss.h (float, device pointers, same argument order
// after the context, same per-sequence rules: +inf and zero gradient when infeasible, NaN and zero
// gradient when invalid, zero gradient on frames past the input length).
//
// One block per sequence, its threads over the 2U+1 extended-label states; the recursion runs in
// double, as the CPU reference's, so the two agree to the rounding of the float logits and
// gradients. Temporary device memory (stream-ordered): B*T + B doubles, plus B*T*(2S+1) doubles of
// alpha when dlogits is given. Shared memory per block is about 37 bytes per state (2S+1 states)
// with the gradient, 21 without; past 48 KB the kernels ask for the device's opt-in maximum, and
// an S beyond that (about 2,900 labels on an H100, 2,100 on an A100) is an Error naming S.
#include <cstdint>

#include "kernels/cuda/context.h"

namespace rwkvs::kernels::cuda {

// losses:         (B) out, -log p(labels_b | logits_b)
// dlogits:        (B, T, V) out, d(sum_b scales[b] * losses[b] over finite losses) / d logits;
//                 written, not accumulated; may be logits itself (in place). Null: forward only.
// logits:         (B, T, V) unnormalised
// input_lengths:  (B) in [0, T];  labels: (B, S) padded (null when S = 0);  label_lengths: (B) in [0, S]
// scales:         (B), null: 1 for every sequence;  blank: in [0, V)
// Throws rwkvs::Error naming the op when a size is negative, V < 1, blank is outside [0, V) or a
// launch fails. All pointers are device memory; the work is queued on ctx's stream.
void ctc_loss_forward_backward(const CudaContext& ctx, float* losses, float* dlogits, const float* logits,
                               const int64_t* input_lengths, const int32_t* labels,
                               const int64_t* label_lengths, const float* scales, int64_t B, int64_t T,
                               int64_t V, int64_t S, int32_t blank);

// losses (B) only: ctc_loss_forward_backward with dlogits = null (no alpha history kept).
void ctc_loss_forward(const CudaContext& ctx, float* losses, const float* logits,
                      const int64_t* input_lengths, const int32_t* labels, const int64_t* label_lengths,
                      int64_t B, int64_t T, int64_t V, int64_t S, int32_t blank);

}  // namespace rwkvs::kernels::cuda
