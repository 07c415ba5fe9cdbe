#include "reference/validate.h"

#include <cmath>
#include <string>

#include "core/argument_checks.h"
#include "core/float_bits.h"
#include "core/limits.h"

namespace qdiff::reference {
BlockLayout check_params_layout(const Shape& shape, const QuantParams& p,
                                std::string_view operand) {
  const std::string pre = operand_prefix(operand);
  BlockLayout layout;
  if (operand.empty()) {
    layout = BlockLayout::derive(shape, p.scale.shape(), p.block_size);
  } else {
    // derive's messages speak of "input" and "scale"; say whose they are.
    try {
      layout = BlockLayout::derive(shape, p.scale.shape(), p.block_size);
    } catch (const Error& e) {
      fail(e.kind(), "{}params for shape {}: {}", pre, shape.str(), e.what());
    }
  }
  check_zero_point_shape(p, operand);
  return layout;
}

void check_scale_values(const QuantParams& p, std::string_view operand) {
  const auto scale = p.scale.data<float>();
  for (size_t i = 0; i < scale.size(); ++i) {
    if (!is_valid_scale_value(scale[i])) {
      fail(ErrorKind::invalid_scale,
           "{}scale element {} is {}; scales must be finite, positive and normal",
           operand_prefix(operand), i, scale[i]);
    }
  }
}

void check_zero_point_values(const QuantParams& p, std::string_view operand) {
  if (!p.zero_point) return;
  check_zero_point_kind(p, operand);
  const Tensor& zp = *p.zero_point;
  for (int64_t i = 0; i < zp.numel(); ++i) {
    if (p.zero_point_domain == ZeroPointDomain::int_domain) {
      const int64_t z = zp.int_at(i);
      if (z < p.quant_min || z > p.quant_max) {
        fail(ErrorKind::invalid_zero_point, "{}zero_point element {} is {}, outside [{}, {}]",
             operand_prefix(operand), i, z, p.quant_min, p.quant_max);
      }
    } else if (!std::isfinite(zp.f32_at(i))) {
      fail(ErrorKind::invalid_zero_point, "{}zero_point element {} is {}",
           operand_prefix(operand), i, zp.f32_at(i));
    }
  }
}

BlockLayout validate_affine(AffineOp op, const Tensor& input, const QuantParams& p) {
  // 1-3 unsupported, too_large, invalid_range (shared with impl/)
  const bool dequantize = op == AffineOp::dequantize;
  check_affine_arguments(dequantize ? "dequantize_affine" : "quantize_affine", dequantize,
                         input.dtype(), input.shape(), p);
  // 4 shapes
  BlockLayout layout = check_params_layout(input.shape(), p);
  // 5 scale values
  check_scale_values(p);
  // 6 zero point
  check_zero_point_values(p);
  // 7 NaN
  if (op != AffineOp::dequantize) {
    const auto x = input.data<float>();
    for (size_t i = 0; i < x.size(); ++i) {
      if (std::isnan(x[i])) {
        fail(ErrorKind::nan_input, "input element {} is NaN", i);
      }
    }
  }
  return layout;
}

BlockLayout validate_choose_qparams(const Tensor& input, const ChooseQParamsArgs& a) {
  // 1-3 unsupported, too_large, invalid_range (shared with impl/)
  check_choose_qparams_arguments(input, a);
  // 4 shapes
  std::vector<int64_t> blocks;
  if (a.block_size) {
    blocks = *a.block_size;
  } else {
    blocks.assign(input.shape().begin(), input.shape().end());
    for (auto& b : blocks) b = b == 0 ? 1 : b;  // a zero-size dim: any block >= 1
  }
  BlockLayout layout = BlockLayout::from_divisible_blocks(input.shape(), blocks);
  // 5 eps
  check_eps(a.eps);
  // 6 non-finite input
  const auto x = input.data<float>();
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) {
      fail(ErrorKind::nan_input, "input element {} is {}; choose_qparams_affine "
           "needs finite inputs", i, x[i]);
    }
  }
  return layout;
}

}  // namespace qdiff::reference
