#include "reference/fused_validate.h"

#include <cmath>
#include <limits>
#include <string_view>

#include "core/error.h"
#include "core/limits.h"
#include "reference/bias_grid.h"
#include "reference/validate.h"

namespace qdiff::reference {
namespace {

// One quantized operand: its tensor (none for the output, which does not
// exist yet) and its params.
struct Operand {
  std::string_view name;
  const Tensor* tensor;
  const QuantParams* params;
  bool float_domain_allowed;  // weights only (torchao tinygemm)
};

// Step 1 for one operand.
void check_operand_types(const Operand& op) {
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

void check_bias_type(const std::optional<Tensor>& bias) {
  if (bias && bias->dtype() != DType::f32) {
    fail(ErrorKind::unsupported, "bias has dtype {}, must be f32", dtype_name(bias->dtype()));
  }
}

// Step 2 for one operand. Names read "x", "x scale", "x zero_point".
void check_operand_cap(const Operand& op) {
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

void check_bias_shape(const std::optional<Tensor>& bias, int64_t channels, const char* what) {
  if (bias && bias->shape() != Shape{channels}) {
    fail(ErrorKind::invalid_shape, "bias has shape {}, expected [{}] = [{}]",
         bias->shape().str(), what, channels);
  }
}

void check_bias_values(const std::optional<Tensor>& bias) {
  if (!bias) return;
  const auto b = bias->data<float>();
  for (size_t i = 0; i < b.size(); ++i) {
    if (std::isnan(b[i])) fail(ErrorKind::nan_input, "bias element {} is NaN", i);
  }
}

// The common tail: steps 1-3 and 5-9 run over `operands` in argument order;
// `op_shapes` is step 4 (it returns the output shape, whose cap it checks);
// `layouts_defined` is step 6; `contract_scales` ends step 7.
struct Validated {
  BlockLayout layouts[3];  // in the order of `operands`
  Shape out_shape;
};

template <typename OpShapes, typename LayoutsDefined, typename ContractScales>
Validated validate_fused(const Operand (&operands)[3], const std::optional<Tensor>* bias,
                         const Activation& activation, OpShapes&& op_shapes,
                         LayoutsDefined&& layouts_defined, ContractScales&& contract_scales) {
  // The bias sits between the second operand (w) and the output.
  // 1 unsupported
  check_operand_types(operands[0]);
  check_operand_types(operands[1]);
  if (bias) check_bias_type(*bias);
  check_operand_types(operands[2]);
  // 2 too_large
  check_operand_cap(operands[0]);
  check_operand_cap(operands[1]);
  if (bias && *bias) check_element_cap((*bias)->shape(), "bias");
  check_operand_cap(operands[2]);
  // 3 invalid_range
  for (const Operand& op : operands) {
    const QuantParams& p = *op.params;
    check_quant_range(p.dtype, p.quant_min, p.quant_max, /*strict=*/false, op.name);
  }
  check_activation(activation);
  // 4 op shapes, then the output's element cap
  Validated v;
  v.out_shape = op_shapes();
  check_element_cap(v.out_shape, "output");
  // 5 block layouts (the output's against the output shape)
  for (int i = 0; i < 3; ++i) {
    const Operand& op = operands[i];
    const Shape& shape = op.tensor ? op.tensor->shape() : v.out_shape;
    v.layouts[i] = check_params_layout(shape, *op.params, op.name);
  }
  // 6 layouts the operator defines
  layouts_defined(v.layouts);
  // 7 scale values
  for (const Operand& op : operands) check_scale_values(*op.params, op.name);
  contract_scales();
  // 8 zero points
  for (const Operand& op : operands) check_zero_point_values(*op.params, op.name);
  // 9 NaN bias
  if (bias) check_bias_values(*bias);
  return v;
}

}  // namespace

bool is_per_row_layout(const BlockLayout& l) {
  if (l.is_per_tensor()) return true;
  const Shape& in = l.input_shape();
  const int last = in.rank() - 1;
  if (last < 0 || l.scale_shape()[last] != 1) return false;
  for (int i = 0; i < last; ++i) {
    if (in[i] >= 2 && l.block(i) != 1) return false;
  }
  return true;
}

bool is_per_channel_layout_on(const BlockLayout& l, int dim) {
  if (l.is_per_tensor()) return true;
  const Shape& s = l.scale_shape();
  for (int i = 0; i < s.rank(); ++i) {
    if (i != dim && s[i] != 1) return false;
  }
  return dim >= 0 && dim < s.rank() && l.block(dim) == 1;
}

QLinearPlan validate_qlinear(const QLinearArgs& a) {
  const Operand operands[3] = {{"x", &a.x, &a.x_params, false},
                               {"w", &a.w, &a.w_params, true},
                               {"out", nullptr, &a.out_params, false}};
  QLinearPlan plan;
  const auto op_shapes = [&] {
    const Shape& x = a.x.shape();
    const Shape& w = a.w.shape();
    if (x.rank() < 1) {
      fail(ErrorKind::invalid_shape, "x has shape {}; qlinear needs x of rank >= 1 ([..., In])",
           x.str());
    }
    if (w.rank() != 2) {
      fail(ErrorKind::invalid_shape, "w has shape {}; qlinear needs w of rank 2 ([K, In])",
           w.str());
    }
    if (x[x.rank() - 1] != w[1]) {
      fail(ErrorKind::invalid_shape, "w has shape {}, x.shape[-1] = {} does not match "
           "w.shape[1] = {}", w.str(), x[x.rank() - 1], w[1]);
    }
    check_bias_shape(a.bias, w[0], "K");
    plan.in = w[1];
    plan.k = w[0];
    Shape out;
    for (int i = 0; i + 1 < x.rank(); ++i) out.push_back(x[i]);
    out.push_back(plan.k);
    return out;
  };
  const auto layouts_defined = [&](const BlockLayout (&l)[3]) {
    if (!is_per_row_layout(l[0])) {
      fail(ErrorKind::unsupported, "x params have layout {}; qlinear defines x params "
           "per-tensor or per-row ([..., 1])", l[0].describe());
    }
    if (!is_per_channel_layout_on(l[2], l[2].input_shape().rank() - 1)) {
      fail(ErrorKind::unsupported, "out params have layout {}; qlinear defines out params "
           "per-tensor or per-channel along the last dim ([1, .., 1, K])", l[2].describe());
    }
    check_bias_grid_layouts(a.contract, a.bias, l[0], a.x_params, l[1], a.w_params);
  };
  const auto contract_scales = [&] { check_bias_grid_scales(a.contract, a.bias, a.x_params, a.w_params); };
  Validated v =
      validate_fused(operands, &a.bias, a.activation, op_shapes, layouts_defined, contract_scales);
  plan.x_layout = v.layouts[0];
  plan.w_layout = v.layouts[1];
  plan.out_layout = v.layouts[2];
  plan.out_shape = v.out_shape;
  return plan;
}

QConv2dPlan validate_qconv2d(const QConv2dArgs& a) {
  const Operand operands[3] = {{"x", &a.x, &a.x_params, false},
                               {"w", &a.w, &a.w_params, true},
                               {"out", nullptr, &a.out_params, false}};
  QConv2dPlan plan;
  const auto op_shapes = [&] {
    const Shape& x = a.x.shape();
    const Shape& w = a.w.shape();
    const Conv2dAttrs& at = a.attrs;
    if (x.rank() != 4) {
      fail(ErrorKind::invalid_shape, "x has shape {}; qconv2d needs x of rank 4 (NCHW)",
           x.str());
    }
    if (w.rank() != 4) {
      fail(ErrorKind::invalid_shape, "w has shape {}; qconv2d needs w of rank 4 "
           "([O, C / groups, kh, kw])", w.str());
    }
    if (at.groups < 1) {
      fail(ErrorKind::invalid_shape, "groups is {}, must be >= 1", at.groups);
    }
    if (x[1] % at.groups != 0) {
      fail(ErrorKind::invalid_shape, "x has C = {} channels, not divisible by groups = {}",
           x[1], at.groups);
    }
    if (w[0] % at.groups != 0) {
      fail(ErrorKind::invalid_shape, "w has O = {} output channels, not divisible by "
           "groups = {}", w[0], at.groups);
    }
    if (w[1] != x[1] / at.groups) {
      fail(ErrorKind::invalid_shape, "w has shape {}, w.shape[1] = {} does not match "
           "C / groups = {} / {} = {}", w.str(), w[1], x[1], at.groups, x[1] / at.groups);
    }
    for (int i = 0; i < 2; ++i) {
      if (at.stride[i] < 1) {
        fail(ErrorKind::invalid_shape, "stride[{}] is {}, must be >= 1", i, at.stride[i]);
      }
    }
    for (int i = 0; i < 2; ++i) {
      if (at.dilation[i] < 1) {
        fail(ErrorKind::invalid_shape, "dilation[{}] is {}, must be >= 1", i, at.dilation[i]);
      }
    }
    for (int i = 0; i < 4; ++i) {
      if (at.padding[i] < 0) {
        fail(ErrorKind::invalid_shape, "padding[{}] is {}, must be >= 0 (order: top, left, "
             "bottom, right)", i, at.padding[i]);
      }
    }
    // OH = (H + pad_top + pad_bottom - dilation_h * (kh - 1) - 1) / stride_h + 1, in
    // 128 bits: every operand is below 2^63, so nothing here can overflow. A negative
    // numerator means the dilated kernel does not fit (C++ division truncates toward
    // zero, so it must be rejected before dividing).
    __int128 out_dims[2] = {0, 0};
    const char* names[2] = {"H", "W"};
    for (int i = 0; i < 2; ++i) {
      const __int128 size = x[2 + i];
      const __int128 pad = __int128(at.padding[i]) + at.padding[i + 2];
      const __int128 extent = __int128(at.dilation[i]) * (w[2 + i] - 1) + 1;
      const __int128 span = size + pad - extent;
      if (span < 0) {
        fail(ErrorKind::invalid_shape, "output {} would be < 1: input {} = {} with padding "
             "{} + {} is smaller than the dilated kernel extent {} * ({} - 1) + 1",
             names[i], names[i], x[2 + i], at.padding[i], at.padding[i + 2], at.dilation[i],
             w[2 + i]);
      }
      out_dims[i] = span / at.stride[i] + 1;
    }
    check_bias_shape(a.bias, w[0], "O");
    // The output's size belongs to the cap check that ends step 4: a dim beyond int64
    // cannot even be a Shape.
    for (int i = 0; i < 2; ++i) {
      if (out_dims[i] > std::numeric_limits<int64_t>::max()) {
        fail(ErrorKind::too_large, "output {} would be {:e}, beyond any tensor", names[i],
             double(out_dims[i]));
      }
    }
    plan.n = x[0];
    plan.c = x[1];
    plan.h = x[2];
    plan.w = x[3];
    plan.o = w[0];
    plan.kh = w[2];
    plan.kw = w[3];
    plan.c_per_group = x[1] / at.groups;
    plan.o_per_group = w[0] / at.groups;
    plan.oh = int64_t(out_dims[0]);
    plan.ow = int64_t(out_dims[1]);
    return Shape{plan.n, plan.o, plan.oh, plan.ow};
  };
  const auto layouts_defined = [&](const BlockLayout (&l)[3]) {
    if (!l[0].is_per_tensor()) {
      fail(ErrorKind::unsupported, "x params have layout {}; qconv2d defines x params "
           "per-tensor only", l[0].describe());
    }
    if (!is_per_channel_layout_on(l[2], 1)) {
      fail(ErrorKind::unsupported, "out params have layout {}; qconv2d defines out params "
           "per-tensor or per-channel [1, O, 1, 1]", l[2].describe());
    }
    check_bias_grid_layouts(a.contract, a.bias, l[0], a.x_params, l[1], a.w_params);
  };
  const auto contract_scales = [&] { check_bias_grid_scales(a.contract, a.bias, a.x_params, a.w_params); };
  Validated v =
      validate_fused(operands, &a.bias, a.activation, op_shapes, layouts_defined, contract_scales);
  plan.x_layout = v.layouts[0];
  plan.w_layout = v.layouts[1];
  plan.out_layout = v.layouts[2];
  plan.out_shape = v.out_shape;
  return plan;
}

QElementwisePlan validate_qelementwise(const QElementwiseArgs& a) {
  const Operand operands[3] = {{"a", &a.a, &a.a_params, false},
                               {"b", &a.b, &a.b_params, false},
                               {"out", nullptr, &a.out_params, false}};
  const auto op_shapes = [&] { return broadcast_shapes(a.a.shape(), a.b.shape()); };
  const auto layouts_defined = [](const BlockLayout (&)[3]) {};  // any valid layout
  Validated v = validate_fused(operands, nullptr, a.activation, op_shapes, layouts_defined, [] {});
  QElementwisePlan plan;
  plan.a_layout = v.layouts[0];
  plan.b_layout = v.layouts[1];
  plan.out_layout = v.layouts[2];
  plan.out_shape = v.out_shape;
  return plan;
}

}  // namespace qdiff::reference
