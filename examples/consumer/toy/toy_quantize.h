// The toy quantize kernel: this project's own code, the thing under test.
// It knows nothing about qdiff. It implements torchao's affine quantize for
// one f32 tensor, per-tensor or per-channel:
//
//   q = clamp(round_half_to_even(x * f32(1 / s)) + z, quant_min, quant_max)
//
// with s and z the scale and zero point of the element's channel.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace toyq {

struct QuantizeParams {
  std::vector<float> scale;        // 1 entry (per-tensor) or one per channel
  std::vector<int32_t> zero_point;  // same length as scale; empty means 0
  int axis = -1;                    // channel axis; -1: per-tensor
  int32_t quant_min = -128;
  int32_t quant_max = 127;
};

// Quantizes `x` of the given shape (row-major) into `q` (same numel).
void quantize(std::span<const float> x, std::span<const int64_t> shape,
              const QuantizeParams& p, std::span<int32_t> q);

}  // namespace toyq
