// QuantParams (SPEC section 2): the parameters of an affine quantization.
// There is no axis field: the block layout is encoded in the scale's shape
// (derived mode) or given as an explicit block_size (ONNX-style).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/contract.h"
#include "core/dtype.h"
#include "core/tensor.h"

namespace qdiff {

struct QuantParams {
  Tensor scale;                        // f32
  std::optional<Tensor> zero_point;    // scale's shape; absent means 0
  int64_t quant_min = -128;
  int64_t quant_max = 127;
  DType dtype = DType::i8;             // storage type of quantized values
  ZeroPointDomain zero_point_domain = ZeroPointDomain::int_domain;
  std::optional<std::vector<int64_t>> block_size;  // explicit mode when set

  // Per-tensor params with scale s and zero point z (i32, int domain).
  static QuantParams per_tensor(float s, int32_t z, DType dtype, int64_t qmin,
                                int64_t qmax);
  // Uses the named quantized type's storage and default range ("i4", "u8").
  static QuantParams for_type(std::string_view quant_type, Tensor scale,
                              std::optional<Tensor> zero_point = std::nullopt);

  // One-line description for reports: "scale [2, 1] zp [2, 1] i8 [-128, 127] int".
  std::string summary() const;
};

}  // namespace qdiff

namespace qdiff {

// Arguments of choose_qparams_affine (SPEC section 6).
struct ChooseQParamsArgs {
  Mapping mapping = Mapping::asymmetric;
  DType dtype = DType::i8;
  int64_t quant_min = -128;
  int64_t quant_max = 127;
  float eps = 1.17549435e-38f;  // FLT_MIN, the smallest normal f32
  ZeroPointDomain zero_point_domain = ZeroPointDomain::int_domain;
  // Divisible block sizes; absent means one block covering the tensor.
  std::optional<std::vector<int64_t>> block_size;
};

// Full-rank scale (input.shape[i] / block_size[i]) and, except for the none
// domain, a zero point of the same shape (i32 for int, f32 for float).
struct ChosenQParams {
  Tensor scale;
  std::optional<Tensor> zero_point;
};

}  // namespace qdiff
