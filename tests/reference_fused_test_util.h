// Small builders shared by the golden tests of the reference fused operators
// (tests/reference_fused_*_test.cc): params, quantized tensors, and the
// integer view of a result.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/fused_ops.h"
#include "core/quant_params.h"
#include "core/tensor.h"

namespace qdiff::reference::fused_test {

// Per-tensor params of a named quantized type ("i8", "u8", "i4", ...), zero
// point i32 (omitted when z is nullopt).
inline QuantParams per_tensor(float s, std::optional<int32_t> z = 0,
                              std::string_view type = "i8") {
  std::optional<Tensor> zp;
  if (z) zp = Tensor::of<int32_t>(Shape{}, {*z});
  return QuantParams::for_type(type, Tensor::of<float>(Shape{}, {s}), std::move(zp));
}

// Params with an N-D scale (and zero point of the same shape).
inline QuantParams with_scale(const Shape& shape, std::vector<float> scale,
                              std::optional<std::vector<int32_t>> zp = std::nullopt,
                              std::string_view type = "i8") {
  std::optional<Tensor> z;
  if (zp) z = Tensor::of<int32_t>(shape, *zp);
  return QuantParams::for_type(type, Tensor::of<float>(shape, scale), std::move(z));
}

// A quantized tensor of storage type T (int8_t, uint8_t, int32_t, ...).
template <typename T>
Tensor q(const Shape& shape, std::vector<T> values) {
  return Tensor::of<T>(shape, values);
}
inline Tensor i8(const Shape& shape, std::vector<int8_t> v) { return q<int8_t>(shape, v); }
inline Tensor u8(const Shape& shape, std::vector<uint8_t> v) { return q<uint8_t>(shape, v); }
inline Tensor f32(const Shape& shape, std::vector<float> v) { return Tensor::of<float>(shape, v); }

inline std::vector<int64_t> ints(const Tensor& t) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < t.numel(); ++i) out.push_back(t.int_at(i));
  return out;
}

}  // namespace qdiff::reference::fused_test
