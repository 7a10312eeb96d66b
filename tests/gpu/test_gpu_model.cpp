// The model on the GPU (make_engine("cuda")) against the CPU model functions: the checks of
// tests/engine_checks.h on the GPU engine. Exits 77 (Skipped) without a usable GPU (gpu_main.cpp).
#include "tests/engine_checks.h"

using namespace rwkvs::test;

TEST_CASE("GPU logits equal the CPU forward within 1e-4") { check_engine_logits("cuda"); }
TEST_CASE("a training step on the GPU: loss and every gradient equal the CPU's") { check_engine_training_step("cuda"); }
TEST_CASE("frames input and a classes head on the GPU") { check_engine_classifier("cuda"); }
TEST_CASE("AdamW on the GPU updates the weights as the CPU optimizer does") { check_engine_adamw("cuda"); }
TEST_CASE("generation on the GPU through the carried state equals the CPU step") { check_engine_generation("cuda"); }
TEST_CASE("streaming on the GPU in uneven chunks equals the whole-clip forward") { check_engine_streaming("cuda"); }
TEST_CASE("tf32 and bf16 on the GPU stay close to fp32") { check_engine_precisions("cuda"); }
