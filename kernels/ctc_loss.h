#pragma once
// CTC loss (Graves et al. 2006) by the forward-backward recursion in log space, over unnormalised
// logits: the kernel applies log_softmax over V to each frame itself.
//
// For sequence b with input length N = input_lengths[b], labels l_1..l_U (U = label_lengths[b])
// and y_t = log_softmax(logits[b, t]), the extended labels are l' = (blank, l_1, blank, l_2, ...,
// l_U, blank), s = 0..2U. With log-sum-exp written lse:
//   alpha_0(0) = y_0(blank),  alpha_0(1) = y_0(l_1),  alpha_0(s) = -inf otherwise
//   alpha_t(s) = y_t(l'_s) + lse(alpha_{t-1}(s), alpha_{t-1}(s-1), [alpha_{t-1}(s-2)])
//   beta_{N-1}(2U) = beta_{N-1}(2U-1) = 0,  beta_{N-1}(s) = -inf otherwise
//   beta_t(s) = lse(y_{t+1}(l'_s) + beta_{t+1}(s), y_{t+1}(l'_{s+1}) + beta_{t+1}(s+1),
//                   [y_{t+1}(l'_{s+2}) + beta_{t+1}(s+2)])
// where the bracketed skip term exists only when l'_s is a label differing from l'_{s-2} (for
// alpha), or l'_{s+2} is a label differing from l'_s (for beta). alpha includes frame t's
// emission, beta does not, so exp(alpha_t(s) + beta_t(s)) is the probability of all paths through
// state s at frame t. Then
//   loss_b = -log p(l | x_b) = -lse(alpha_{N-1}(2U), alpha_{N-1}(2U-1))
//   dlogits[b, t, v] = scales[b] * (softmax(logits[b, t])_v
//                                   - sum_{s: l'_s = v} exp(alpha_t(s) + beta_t(s) + loss_b))
//
// Per sequence:
//   - infeasible (U + number of adjacent equal labels > N): loss +inf, zero gradient, so a caller
//     can count and skip such sequences while the rest of the batch trains;
//   - U = 0 (blank only) is valid: loss = -sum_t y_t(blank). N = 0 with U = 0 gives loss 0;
//   - invalid (N outside [0, T], U outside [0, S], or one of the U labels outside [0, V) or equal
//     to blank): loss NaN and zero gradient, and nothing outside the arrays is read. The caller
//     validates labels; this only keeps a bad batch from crashing the process.
// Padding (labels past U, frames at and past N) is never read; dlogits is zero on frames t >= N.
//
// Memory: the CPU reference keeps alpha for one sequence per thread, N * (2U + 1) doubles.
#include <cstdint>

namespace rwkvs::kernels {

// losses:         (B) out, -log p(labels_b | logits_b); +inf infeasible, NaN invalid (see above)
// dlogits:        (B, T, V) out, d(sum_b scales[b] * losses[b] over finite losses) / d logits;
//                 written, not accumulated. May be logits itself (in place: one [B, T, V] buffer
//                 holds the logits in and the gradient out). Null: forward only.
// logits:         (B, T, V) row-major, unnormalised
// input_lengths:  (B) frames of each sequence, in [0, T]
// labels:         (B, S) padded; the first label_lengths[b] entries of row b are used. May be null
//                 when S = 0.
// label_lengths:  (B) in [0, S]
// scales:         (B) weight of each sequence's loss in the total (e.g. 1/B for a mean); null: 1
// blank:          the blank class, in [0, V)
// Throws rwkvs::Error when a size is negative, V < 1, or blank is outside [0, V). Parallel over B.
template <class R>
void ctc_loss_forward_backward(R* losses, R* dlogits, const R* logits, const int64_t* input_lengths,
                               const int32_t* labels, const int64_t* label_lengths, const R* scales,
                               int64_t B, int64_t T, int64_t V, int64_t S, int32_t blank);

// losses (B) only: ctc_loss_forward_backward with dlogits = null (alpha kept for one frame only).
template <class R>
void ctc_loss_forward(R* losses, const R* logits, const int64_t* input_lengths, const int32_t* labels,
                      const int64_t* label_lengths, int64_t B, int64_t T, int64_t V, int64_t S,
                      int32_t blank);

}  // namespace rwkvs::kernels
