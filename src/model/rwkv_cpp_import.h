#pragma once
// Import of rwkv.cpp's legacy ggml model files (.bin, rwkv.cpp docs/FILE_FORMAT.md), FP32 and FP16.
//
// Layout, all little-endian:
//   header: int32 magic 0x67676d66 ("fmgg" on disk, 'ggmf'), version (100 or 101), n_vocab,
//           n_embed, n_layer, data_type (0 FP32, 1 FP16; 2, 3, 7, 8, 9 are the quantized Q4_0,
//           Q4_1, Q5_0, Q5_1, Q8_0, which we do not read)
//   then tensors to the end of the file, each:
//           int32 n_dims, key_length, data_type; int32 dims[n_dims] in ggml order (the PyTorch shape
//           reversed); key_length bytes of UTF-8 name; the data, row-major in PyTorch order.
// Per tensor data_type: an FP16 file keeps vectors and time_* tensors FP32, so each tensor has its own.
//
// rwkv.cpp's converter (python/convert_pytorch_to_ggml.py) changes some tensors; the import undoes it
// so the Model holds the official names and parameterisation (rwkv4-spec §2, rwkv7-spec §2):
//   RWKV-4: time_* squeezed to [n] (we store [1,1,C] time_mix_*, [A] time_decay/first);
//           att.time_decay stored as -exp(w): we store w = log(-stored).
//   RWKV-7: att.x_r, x_w, x_k, x_v, x_a, x_g concatenated as att.x_rwkvag [6,1,C] (in that order);
//           the LoRA matrices w1/w2, a1/a2, v1/v2, g1/g2 stored transposed ([out, in], as ggml's
//           matmul wants them): we store the official [in, out]. Everything else is as official.
// The architecture is told by tensor names as rwkv.cpp does: att.x_rwkvag -> RWKV-7, att.time_maa_x
// -> RWKV-6, att.ln_x -> RWKV-5 (5.2 with att.gate), else RWKV-4. RWKV-5 and -6 are refused.
#include <string>

#include "src/model/model.h"

namespace rwkvs {

// True when the file at 'path' starts with the rwkv.cpp magic (false if it cannot be read).
bool is_rwkv_cpp_file(const std::string& path);

// Reads an rwkv.cpp FP32 or FP16 RWKV-4 / RWKV-7 model into the official parameterisation (token
// input with the header's vocabulary, lm head). Throws Error naming the file for a bad magic, an
// unsupported version or data type (quantized files), an architecture we do not run (RWKV-5/6),
// missing, unknown or duplicate tensors, wrong shapes, truncated data and impossible values.
Model load_rwkv_cpp_model(const std::string& path);

}  // namespace rwkvs
