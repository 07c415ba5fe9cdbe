#include "reference/validate.h"

#include <cmath>
#include <string>

#include "core/float_bits.h"
#include "core/limits.h"

namespace qdiff::reference {
namespace {

// "x " for an operand of a fused op, "" for the affine ops.
std::string prefix_of(std::string_view operand) {
  return operand.empty() ? std::string() : std::string(operand) + " ";
}

}  // namespace

void check_quant_range(DType dtype, int64_t qmin, int64_t qmax, bool strict,
                       std::string_view operand) {
  if (qmin < dtype_min(dtype) || qmax > dtype_max(dtype) || qmin > qmax ||
      (strict && qmin == qmax)) {
    fail(ErrorKind::invalid_range,
         "{}quant range [{}, {}] is not {} within {} [{}, {}]", prefix_of(operand), qmin, qmax,
         strict ? "a non-empty interval (quant_min < quant_max)" : "an interval",
         dtype_name(dtype), dtype_min(dtype), dtype_max(dtype));
  }
}

BlockLayout check_params_layout(const Shape& shape, const QuantParams& p,
                                std::string_view operand) {
  const std::string pre = prefix_of(operand);
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
  if (p.zero_point && p.zero_point->shape() != p.scale.shape()) {
    fail(ErrorKind::invalid_shape, "{}zero_point shape {} differs from scale shape {}", pre,
         p.zero_point->shape().str(), p.scale.shape().str());
  }
  return layout;
}

void check_scale_values(const QuantParams& p, std::string_view operand) {
  const auto scale = p.scale.data<float>();
  for (size_t i = 0; i < scale.size(); ++i) {
    if (!is_valid_scale_value(scale[i])) {
      fail(ErrorKind::invalid_scale,
           "{}scale element {} is {}; scales must be finite, positive and normal",
           prefix_of(operand), i, scale[i]);
    }
  }
}

void check_zero_point_values(const QuantParams& p, std::string_view operand) {
  if (!p.zero_point) return;
  const std::string pre = prefix_of(operand);
  const Tensor& zp = *p.zero_point;
  switch (p.zero_point_domain) {
    case ZeroPointDomain::none:
      fail(ErrorKind::invalid_zero_point, "{}zero_point given with zero_point_domain none",
           pre);
    case ZeroPointDomain::int_domain:
      if (!is_integer(zp.dtype())) {
        fail(ErrorKind::invalid_zero_point,
             "{}int-domain zero_point must have an integer dtype, got {}", pre,
             dtype_name(zp.dtype()));
      }
      for (int64_t i = 0; i < zp.numel(); ++i) {
        const int64_t z = zp.int_at(i);
        if (z < p.quant_min || z > p.quant_max) {
          fail(ErrorKind::invalid_zero_point, "{}zero_point element {} is {}, outside [{}, {}]",
               pre, i, z, p.quant_min, p.quant_max);
        }
      }
      break;
    case ZeroPointDomain::float_domain:
      if (zp.dtype() != DType::f32) {
        fail(ErrorKind::invalid_zero_point, "{}float-domain zero_point must be f32, got {}",
             pre, dtype_name(zp.dtype()));
      }
      for (int64_t i = 0; i < zp.numel(); ++i) {
        if (!std::isfinite(zp.f32_at(i))) {
          fail(ErrorKind::invalid_zero_point, "{}zero_point element {} is {}", pre, i,
               zp.f32_at(i));
        }
      }
      break;
  }
}

BlockLayout validate_affine(AffineOp op, const Tensor& input, const QuantParams& p) {
  // 1 unsupported
  if (!is_integer(p.dtype)) {
    fail(ErrorKind::unsupported, "quantized dtype must be an integer type, got {}",
         dtype_name(p.dtype));
  }
  const DType want_input = op == AffineOp::dequantize ? p.dtype : DType::f32;
  if (input.dtype() != want_input) {
    fail(ErrorKind::unsupported, "input has dtype {}, {} needs {}",
         dtype_name(input.dtype()),
         op == AffineOp::dequantize ? "dequantize_affine" : "quantize_affine",
         dtype_name(want_input));
  }
  if (p.scale.dtype() != DType::f32) {
    fail(ErrorKind::unsupported, "scale has dtype {}, must be f32",
         dtype_name(p.scale.dtype()));
  }
  // 2 too_large
  check_element_cap(input.shape(), "input");
  check_element_cap(p.scale.shape(), "scale");
  if (p.zero_point) check_element_cap(p.zero_point->shape(), "zero_point");
  // 3 invalid_range
  check_quant_range(p.dtype, p.quant_min, p.quant_max, /*strict=*/false);
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
  // 1 unsupported
  if (input.dtype() != DType::f32) {
    fail(ErrorKind::unsupported, "choose_qparams_affine input must be f32, got {}",
         dtype_name(input.dtype()));
  }
  if (!is_integer(a.dtype)) {
    fail(ErrorKind::unsupported, "quantized dtype must be an integer type, got {}",
         dtype_name(a.dtype));
  }
  if (a.zero_point_domain == ZeroPointDomain::float_domain &&
      a.mapping != Mapping::asymmetric) {
    fail(ErrorKind::unsupported,
         "zero_point_domain float is defined for the asymmetric mapping only, got {}",
         mapping_name(a.mapping));
  }
  // 2 too_large
  check_element_cap(input.shape(), "input");
  // 3 invalid_range
  check_quant_range(a.dtype, a.quant_min, a.quant_max, /*strict=*/true);
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
  if (!std::isfinite(a.eps) || !(a.eps > 0.0f)) {
    fail(ErrorKind::invalid_scale, "eps is {}, must be finite and > 0", a.eps);
  }
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
