// Parameter layout and initialisation against the spec (§2 names and count, §8 ramps).
#include <cmath>

#include "src/model/model.h"
#include "tests/support.h"

using namespace rwkvs;

TEST_CASE("parameter count matches the spec formula 2VC + L(4AC + 2FC + C^2 + 2A + 9C) + 4C") {
  const ModelConfig c = ModelConfig::rwkv4(2, 64, 97);
  Model m(c);
  CHECK(m.num_parameters() == 120576u);  // spec §2 worked example
  const ModelConfig c1 = ModelConfig::rwkv4(1, 32, 256);
  const size_t V = 256, C = 32, A = 32, F = 128, L = 1;
  CHECK(Model(c1).num_parameters() == 2 * V * C + L * (4 * A * C + 2 * F * C + C * C + 2 * A + 9 * C) + 4 * C);
}

TEST_CASE("official names and shapes") {
  Model m(ModelConfig::rwkv4(3, 16, 50));
  const ParamLayout& l = m.layout();
  CHECK(l.at("blocks.0.ln0.weight").shape == std::vector<int64_t>{16});
  CHECK(l.find("blocks.1.ln0.weight") == nullptr);  // ln0 in block 0 only
  CHECK(l.at("blocks.2.att.time_mix_k").shape == std::vector<int64_t>{1, 1, 16});
  CHECK(l.at("blocks.2.ffn.key.weight").shape == std::vector<int64_t>{64, 16});
  CHECK(l.at("blocks.2.ffn.value.weight").shape == std::vector<int64_t>{16, 64});
  CHECK(l.at("head.weight").shape == std::vector<int64_t>{50, 16});
  CHECK(l.at("head.weight").weight_decay);
  CHECK_FALSE(l.at("blocks.0.att.time_decay").weight_decay);
  for (const ParamInfo& p : l.tensors()) CHECK(p.offset % 16 == 0);
}

TEST_CASE("official init: ramps, zero matrices and orthogonality") {
  const int L = 3, C = 8;
  Model m(ModelConfig::rwkv4(L, C, 20));
  init_official(m, 7);
  ModelView v = m.view();
  // time_decay ramps from -5 to 3; time_first zigzags ln0.3 + {0, 0.5, -0.5}.
  CHECK(v.blocks[1].att_time_decay[0] == doctest::Approx(-5.0));
  CHECK(v.blocks[1].att_time_decay[C - 1] == doctest::Approx(3.0));
  CHECK(v.blocks[0].att_time_first[0] == doctest::Approx(std::log(0.3)));
  CHECK(v.blocks[0].att_time_first[1] == doctest::Approx(std::log(0.3) + 0.5));
  CHECK(v.blocks[0].att_time_first[2] == doctest::Approx(std::log(0.3) - 0.5));
  // layer 1 of 3: r01 = 0.5, r10 = 2/3; ddd_j = j/C
  const double r10 = 1.0 - 1.0 / 3.0;
  CHECK(v.blocks[1].att_time_mix_v[3] == doctest::Approx(std::pow(3.0 / C, r10) + 0.15));
  CHECK(v.blocks[1].att_time_mix_r[5] == doctest::Approx(std::pow(5.0 / C, 0.5 * r10)));
  for (int i = 0; i < C * C; ++i) CHECK(v.blocks[2].att_key[i] == 0.0f);
  // ffn.key is 4C x C with orthonormal columns times gain 2: K^T K = 4 I.
  const float* K = v.blocks[0].ffn_key;
  for (int a = 0; a < C; ++a)
    for (int b = 0; b < C; ++b) {
      double dot = 0;
      for (int r = 0; r < 4 * C; ++r) dot += double(K[r * C + a]) * K[r * C + b];
      CHECK(dot == doctest::Approx(a == b ? 4.0 : 0.0).epsilon(1e-5).scale(1.0));
    }
}

TEST_CASE("n_layer = 1 initialises without dividing by zero") {
  Model m(ModelConfig::rwkv4(1, 8, 256));
  init_official(m, 1);
  for (size_t i = 0; i < m.params_size(); ++i) REQUIRE(std::isfinite(m.params()[i]));
}
