#include "core/argument_checks.h"

#include <cmath>

#include "core/error.h"

namespace qdiff {
namespace {

// Fused step 1 for one operand.
void check_operand_types(const QuantOperand& op) {
  const QuantParams& p = *op.params;
  if (!is_integer(p.dtype)) {
    fail(ErrorKind::unsupported, "{} params have dtype {}; a quantized dtype must be an "
         "integer type", op.name, dtype_name(p.dtype));
  }
  // Operands are at most 16-bit, so |q - z| < 2^24 and f32(q) - f32(z) is
  // exact: the oracle's derived bound (oracle/fused_bound.h) relies on it.
  if (op.tensor && p.dtype == DType::i32) {
    fail(ErrorKind::unsupported, "{} has dtype i32; fused operators take 8- and 16-bit "
         "operands (i32 is allowed for the output only)", op.name);
  }
  if (op.tensor && op.tensor->dtype() != p.dtype) {
    fail(ErrorKind::unsupported, "{} has dtype {}, its params have dtype {}", op.name,
         dtype_name(op.tensor->dtype()), dtype_name(p.dtype));
  }
  if (p.scale.dtype() != DType::f32) {
    fail(ErrorKind::unsupported, "{} scale has dtype {}, must be f32", op.name,
         dtype_name(p.scale.dtype()));
  }
  if (!op.float_domain_allowed && p.zero_point_domain == ZeroPointDomain::float_domain) {
    fail(ErrorKind::unsupported, "{} has zero_point_domain float, which is defined for "
         "weights only (torchao tinygemm)", op.name);
  }
}

// Fused step 2 for one operand. Names read "x", "x scale", "x zero_point".
void check_operand_caps(const QuantOperand& op) {
  const std::string name(op.name);
  if (op.tensor) check_element_cap(op.tensor->shape(), name.c_str());
  check_element_cap(op.params->scale.shape(), (name + " scale").c_str());
  if (op.params->zero_point) {
    check_element_cap(op.params->zero_point->shape(), (name + " zero_point").c_str());
  }
}

void check_activation(const Activation& a) {
  if (a.kind != ActivationKind::clamp) return;
  if (std::isnan(a.lo) || std::isnan(a.hi) || a.lo > a.hi) {
    fail(ErrorKind::invalid_range, "clamp activation bounds [{}, {}] are not an interval "
         "(lo <= hi, no NaN)", a.lo, a.hi);
  }
}

}  // namespace

std::string operand_prefix(std::string_view operand) {
  return operand.empty() ? std::string() : std::string(operand) + " ";
}

void check_affine_arguments(std::string_view op, bool dequantize,
                            std::optional<DType> input_dtype, const Shape& input,
                            const QuantParams& p) {
  // 1 unsupported
  if (!is_integer(p.dtype)) {
    fail(ErrorKind::unsupported, "quantized dtype must be an integer type, got {}",
         dtype_name(p.dtype));
  }
  const DType want_input = dequantize ? p.dtype : DType::f32;
  if (input_dtype && *input_dtype != want_input) {
    fail(ErrorKind::unsupported, "input has dtype {}, {} needs {}", dtype_name(*input_dtype), op,
         dtype_name(want_input));
  }
  if (p.scale.dtype() != DType::f32) {
    fail(ErrorKind::unsupported, "scale has dtype {}, must be f32", dtype_name(p.scale.dtype()));
  }
  // 2 too_large
  check_element_cap(input, "input");
  check_element_cap(p.scale.shape(), "scale");
  if (p.zero_point) check_element_cap(p.zero_point->shape(), "zero_point");
  // 3 invalid_range
  check_quant_range(p.dtype, p.quant_min, p.quant_max, /*strict=*/false);
}

int normalize_legacy_axis(int64_t axis, const Shape& data) {
  const int64_t rank = data.rank();
  if (axis < -rank || axis >= rank) {
    fail(ErrorKind::invalid_shape, "legacy axis {} is outside [{}, {}) for data of shape {}", axis,
         -rank, rank, data.str());
  }
  return int(axis < 0 ? axis + rank : axis);
}

int check_legacy_shapes(const Shape& data, const QuantParams& p, int64_t axis) {
  if (p.block_size) {
    fail(ErrorKind::invalid_shape, "block_size is given, but the legacy per-channel form "
         "(axis {}) takes none", axis);
  }
  const int a = normalize_legacy_axis(axis, data);
  const int64_t channels = data[a];
  if (p.scale.shape() != Shape{channels}) {
    fail(ErrorKind::invalid_shape, "legacy scale has shape {}, expected [C] = [{}] (data shape "
         "{}, axis {})", p.scale.shape().str(), channels, data.str(), axis);
  }
  if (p.zero_point && p.zero_point->shape() != Shape{channels}) {
    fail(ErrorKind::invalid_shape, "legacy zero_point has shape {}, expected [C] = [{}]",
         p.zero_point->shape().str(), channels);
  }
  return a;
}

void check_choose_qparams_arguments(const Tensor& input, const ChooseQParamsArgs& a) {
  // 1 unsupported
  if (input.dtype() != DType::f32) {
    fail(ErrorKind::unsupported, "choose_qparams_affine input must be f32, got {}",
         dtype_name(input.dtype()));
  }
  if (!is_integer(a.dtype)) {
    fail(ErrorKind::unsupported, "quantized dtype must be an integer type, got {}",
         dtype_name(a.dtype));
  }
  if (a.zero_point_domain == ZeroPointDomain::float_domain && a.mapping != Mapping::asymmetric) {
    fail(ErrorKind::unsupported,
         "zero_point_domain float is defined for the asymmetric mapping only, got {}",
         mapping_name(a.mapping));
  }
  // 2 too_large
  check_element_cap(input.shape(), "input");
  // 3 invalid_range (choose_qparams needs quant_min < quant_max)
  check_quant_range(a.dtype, a.quant_min, a.quant_max, /*strict=*/true);
}

void check_eps(float eps) {
  if (!std::isfinite(eps) || !(eps > 0.0f)) {
    fail(ErrorKind::invalid_scale, "eps is {}, must be finite and > 0", eps);
  }
}

void check_quant_range(DType dtype, int64_t qmin, int64_t qmax, bool strict,
                       std::string_view operand) {
  if (qmin < dtype_min(dtype) || qmax > dtype_max(dtype) || qmin > qmax ||
      (strict && qmin == qmax)) {
    fail(ErrorKind::invalid_range,
         "{}quant range [{}, {}] is not {} within {} [{}, {}]", operand_prefix(operand), qmin, qmax,
         strict ? "a non-empty interval (quant_min < quant_max)" : "an interval",
         dtype_name(dtype), dtype_min(dtype), dtype_max(dtype));
  }
}

void check_zero_point_shape(const QuantParams& p, std::string_view operand) {
  if (p.zero_point && p.zero_point->shape() != p.scale.shape()) {
    fail(ErrorKind::invalid_shape, "{}zero_point shape {} differs from scale shape {}",
         operand_prefix(operand), p.zero_point->shape().str(), p.scale.shape().str());
  }
}

void check_zero_point_kind(const QuantParams& p, std::string_view operand) {
  if (!p.zero_point) return;
  const DType dtype = p.zero_point->dtype();
  switch (p.zero_point_domain) {
    case ZeroPointDomain::none:
      fail(ErrorKind::invalid_zero_point, "{}zero_point given with zero_point_domain none",
           operand_prefix(operand));
    case ZeroPointDomain::int_domain:
      if (!is_integer(dtype)) {
        fail(ErrorKind::invalid_zero_point,
             "{}int-domain zero_point must have an integer dtype, got {}",
             operand_prefix(operand), dtype_name(dtype));
      }
      return;
    case ZeroPointDomain::float_domain:
      if (dtype != DType::f32) {
        fail(ErrorKind::invalid_zero_point, "{}float-domain zero_point must be f32, got {}",
             operand_prefix(operand), dtype_name(dtype));
      }
      return;
  }
}

void check_f32_operand(const Tensor& t, std::string_view name, std::string_view op) {
  if (t.dtype() != DType::f32) {
    fail(ErrorKind::unsupported, "{} has dtype {}; {} takes f32 operands", name,
         dtype_name(t.dtype()), op);
  }
}

namespace {

void check_f32_operands(const Tensor& x, const Tensor& w, const std::optional<Tensor>& bias,
                        std::string_view op) {
  check_f32_operand(x, "x", op);
  check_f32_operand(w, "w", op);
  if (bias) check_f32_operand(*bias, "bias", op);
}

}  // namespace

LinearGeometry check_linear_f32(const Tensor& x, const Tensor& w,
                                const std::optional<Tensor>& bias) {
  check_f32_operands(x, w, bias, "linear");
  LinearGeometry g = linear_geometry(x.shape(), w.shape(), bias, "linear");
  check_element_cap(g.out_shape, "output");
  return g;
}

Shape check_elementwise_f32(const Tensor& a, const Tensor& b, std::string_view op) {
  check_f32_operand(a, "a", op);
  check_f32_operand(b, "b", op);
  Shape out = broadcast_shapes(a.shape(), b.shape());
  check_element_cap(out, "output");
  return out;
}

Conv2dGeometry check_conv2d_f32(const Tensor& x, const Tensor& w,
                                const std::optional<Tensor>& bias, const Conv2dAttrs& attrs) {
  check_f32_operands(x, w, bias, "conv2d");
  const Conv2dGeometry g = conv2d_geometry(x.shape(), w.shape(), attrs, bias, "conv2d");
  check_element_cap(Shape{g.n, g.o, g.oh, g.ow}, "output");
  return g;
}

void fail_undefined_layout(std::string_view op, std::string_view operand,
                           const std::string& layout, std::string_view defined) {
  fail(ErrorKind::unsupported, "{} params have layout {}; {} defines {} params {}", operand,
       layout, op, operand, defined);
}

void check_fused_types_caps_ranges(const QuantOperands& ops, const std::optional<Tensor>* bias,
                                   const Activation& activation) {
  // 1 unsupported
  check_operand_types(ops[0]);
  check_operand_types(ops[1]);
  if (bias && *bias && (*bias)->dtype() != DType::f32) {
    fail(ErrorKind::unsupported, "bias has dtype {}, must be f32", dtype_name((*bias)->dtype()));
  }
  check_operand_types(ops[2]);
  // 2 too_large
  check_operand_caps(ops[0]);
  check_operand_caps(ops[1]);
  if (bias && *bias) check_element_cap((*bias)->shape(), "bias");
  check_operand_caps(ops[2]);
  // 3 invalid_range
  for (const QuantOperand& op : ops) {
    const QuantParams& p = *op.params;
    check_quant_range(p.dtype, p.quant_min, p.quant_max, /*strict=*/false, op.name);
  }
  check_activation(activation);
}

void check_bias_not_nan(const std::optional<Tensor>* bias) {
  if (!bias || !*bias) return;
  const auto b = (*bias)->data<float>();
  for (size_t i = 0; i < b.size(); ++i) {
    if (std::isnan(b[i])) fail(ErrorKind::nan_input, "bias element {} is NaN", i);
  }
}

}  // namespace qdiff
