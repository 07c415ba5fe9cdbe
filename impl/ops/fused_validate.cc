// The fused operators' validation (fused_validate.h has the order).
#include "impl/ops/fused_validate.h"

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/limits.h"
#include "impl/ops/bias_grid.h"

namespace qdiff::impl {
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
void check_types(const Operand& op) {
  const QuantParams& p = *op.params;
  if (!is_integer(p.dtype)) {
    fail(ErrorKind::unsupported, "{} params have dtype {}; a quantized dtype must be an "
         "integer type", op.name, dtype_name(p.dtype));
  }
  // At most 16-bit operands keep |q - z| < 2^24: f32(q) - f32(z) is exact.
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

// Step 2 for one operand.
void check_caps(const Operand& op) {
  const std::string name(op.name);
  if (op.tensor) check_element_cap(op.tensor->shape(), name.c_str());
  check_element_cap(op.params->scale.shape(), (name + " scale").c_str());
  if (op.params->zero_point) {
    check_element_cap(op.params->zero_point->shape(), (name + " zero_point").c_str());
  }
}

// Step 3 for one operand.
void check_range(const Operand& op) {
  const QuantParams& p = *op.params;
  if (p.quant_min < dtype_min(p.dtype) || p.quant_max > dtype_max(p.dtype) ||
      p.quant_min > p.quant_max) {
    fail(ErrorKind::invalid_range, "{} quant range [{}, {}] is not an interval within {} [{}, {}]",
         op.name, p.quant_min, p.quant_max, dtype_name(p.dtype), dtype_min(p.dtype),
         dtype_max(p.dtype));
  }
}

void check_activation(const Activation& a) {
  if (a.kind != ActivationKind::clamp) return;
  if (std::isnan(a.lo) || std::isnan(a.hi) || a.lo > a.hi) {
    fail(ErrorKind::invalid_range, "clamp activation bounds [{}, {}] are not an interval "
         "(lo <= hi, no NaN)", a.lo, a.hi);
  }
}

// Step 5 for one operand: the block of every dim (SPEC section 2), derived
// from the scale's shape or given explicitly; every shape error of every
// dim before any divisibility error.
[[noreturn]] void fail_layout(std::string_view operand, const Shape& shape, ErrorKind kind,
                              const std::string& what) {
  fail(kind, "{} params for shape {}: {}", operand, shape.str(), what);
}

OperandLayout derive_layout(const Shape& shape, const QuantParams& p, std::string_view operand) {
  OperandLayout l;
  l.rank = shape.rank();
  for (int d = 0; d < l.rank; ++d) l.size[d] = shape[d];
  const Shape& scale = p.scale.shape();
  const auto& explicit_blocks = p.block_size;
  if (explicit_blocks && int(explicit_blocks->size()) != l.rank) {
    fail_layout(operand, shape, ErrorKind::invalid_shape,
                fmt::format("block_size has {} entries, input has rank {}",
                            explicit_blocks->size(), l.rank));
  }
  const int64_t scale_numel = scale.checked_numel().value_or(0);  // capped in step 2
  if (!explicit_blocks && scale_numel == 1) {
    l.per_tensor = true;
    for (int d = 0; d < l.rank; ++d) {
      l.block[d] = l.size[d];
      l.count[d] = 1;
    }
    return l;
  }
  if (scale.rank() != l.rank) {
    fail_layout(operand, shape, ErrorKind::invalid_shape,
                fmt::format("scale has rank {} (shape {}), input has rank {} (shape {}); a "
                            "non-scalar scale must have the input's rank",
                            scale.rank(), scale.str(), l.rank, shape.str()));
  }
  for (int d = 0; d < l.rank; ++d) {
    if (scale[d] < 1) {
      fail_layout(operand, shape, ErrorKind::invalid_shape,
                  fmt::format("scale dim {} has size {}, must be >= 1", d, scale[d]));
    }
    if (explicit_blocks) {
      const int64_t b = (*explicit_blocks)[d];
      if (b < 1) {
        fail_layout(operand, shape, ErrorKind::invalid_shape,
                    fmt::format("block_size[{}] is {}, must be >= 1", d, b));
      }
      const int64_t blocks = shape[d] == 0 ? 1 : (shape[d] - 1) / b + 1;  // ceil, >= 1
      if (scale[d] != blocks) {
        fail_layout(operand, shape, ErrorKind::invalid_shape,
                    fmt::format("scale dim {} has size {}, expected ceil({} / {}) = {} for "
                                "block_size[{}] = {}",
                                d, scale[d], shape[d], b, blocks, d, b));
      }
    }
  }
  for (int d = 0; d < l.rank; ++d) {
    l.count[d] = scale[d];
    if (explicit_blocks) {
      l.block[d] = (*explicit_blocks)[d];
      continue;
    }
    if (shape[d] == 0 && scale[d] != 1) {
      fail_layout(operand, shape, ErrorKind::non_divisible_block,
                  fmt::format("input dim {} has size 0, which needs scale dim {} of size 1, "
                              "got {}", d, d, scale[d]));
    }
    if (shape[d] % scale[d] != 0) {
      fail_layout(operand, shape, ErrorKind::non_divisible_block,
                  fmt::format("input dim {} (size {}) is not divisible by scale dim {} "
                              "(size {})", d, shape[d], d, scale[d]));
    }
    l.block[d] = shape[d] / scale[d];
  }
  int64_t stride = 1;
  for (int d = l.rank - 1; d >= 0; --d) {
    l.scale_stride[d] = stride;
    stride *= l.count[d];
  }
  l.scale_numel = scale_numel;
  l.per_tensor = scale_numel == 1;
  return l;
}

OperandLayout check_layout(const Shape& shape, const QuantParams& p, std::string_view operand) {
  OperandLayout l = derive_layout(shape, p, operand);
  if (p.zero_point && p.zero_point->shape() != p.scale.shape()) {
    fail(ErrorKind::invalid_shape, "{} zero_point shape {} differs from scale shape {}", operand,
         p.zero_point->shape().str(), p.scale.shape().str());
  }
  return l;
}

// Step 7 for one operand: finite, positive and normal (so 1/s is finite).
void check_scales(const Operand& op) {
  const auto s = op.params->scale.data<float>();
  for (size_t i = 0; i < s.size(); ++i) {
    if (!(s[i] >= std::numeric_limits<float>::min() && s[i] <= std::numeric_limits<float>::max())) {
      fail(ErrorKind::invalid_scale, "{} scale element {} is {}; scales must be finite, "
           "positive and normal", op.name, i, s[i]);
    }
  }
}

// Step 8 for one operand.
void check_zero_point(const Operand& op) {
  const QuantParams& p = *op.params;
  if (!p.zero_point) return;
  const Tensor& zp = *p.zero_point;
  switch (p.zero_point_domain) {
    case ZeroPointDomain::none:
      fail(ErrorKind::invalid_zero_point, "{} zero_point given with zero_point_domain none",
           op.name);
    case ZeroPointDomain::int_domain:
      if (!is_integer(zp.dtype())) {
        fail(ErrorKind::invalid_zero_point, "{} int-domain zero_point must have an integer "
             "dtype, got {}", op.name, dtype_name(zp.dtype()));
      }
      for (int64_t i = 0; i < zp.numel(); ++i) {
        const int64_t z = zp.int_at(i);
        if (z < p.quant_min || z > p.quant_max) {
          fail(ErrorKind::invalid_zero_point, "{} zero_point element {} is {}, outside [{}, {}]",
               op.name, i, z, p.quant_min, p.quant_max);
        }
      }
      return;
    case ZeroPointDomain::float_domain: {
      if (zp.dtype() != DType::f32) {
        fail(ErrorKind::invalid_zero_point, "{} float-domain zero_point must be f32, got {}",
             op.name, dtype_name(zp.dtype()));
      }
      const auto z = zp.data<float>();
      for (size_t i = 0; i < z.size(); ++i) {
        if (!std::isfinite(z[i])) {
          fail(ErrorKind::invalid_zero_point, "{} zero_point element {} is {}", op.name, i, z[i]);
        }
      }
      return;
    }
  }
}

void check_bias_shape(const std::optional<Tensor>& bias, int64_t channels, const char* what) {
  if (bias && bias->shape() != Shape{channels}) {
    fail(ErrorKind::invalid_shape, "bias has shape {}, expected [{}] = [{}]", bias->shape().str(),
         what, channels);
  }
}

// Step 6 rules. Per-row: per-tensor, or a scale constant along the last dim
// with block 1 on every leading dim of size >= 2 (dims of size 0 or 1 hold
// at most one index, so their block does not matter).
bool is_per_row(const OperandLayout& l) {
  if (l.per_tensor) return true;
  const int last = l.rank - 1;
  if (last < 0 || l.count[last] != 1) return false;
  for (int d = 0; d < last; ++d) {
    if (l.size[d] >= 2 && l.block[d] != 1) return false;
  }
  return true;
}

std::string describe(const OperandLayout& l) {
  std::string blocks, counts;
  for (int d = 0; d < l.rank; ++d) {
    if (d) {
      blocks += ", ";
      counts += ", ";
    }
    blocks += std::to_string(l.block[d]);
    counts += std::to_string(l.count[d]);
  }
  return fmt::format("{}block [{}], scale [{}]", l.per_tensor ? "per_tensor, " : "", blocks,
                     counts);
}

struct Validated {
  OperandLayout layouts[3];
  Shape out_shape;
};

// Steps 1-9 over `ops` (x, w, out / a, b, out); `op_shapes` is step 4 and
// returns the output shape; `layouts_defined` is step 6; a qlinear / qconv2d
// `contract` adds the bias grid's checks to steps 6 and 7.
template <typename OpShapes, typename LayoutsDefined>
Validated validate(const Operand (&ops)[3], const std::optional<Tensor>* bias,
                   const Activation& activation, OpShapes&& op_shapes,
                   LayoutsDefined&& layouts_defined, const QLinearContract* contract = nullptr) {
  // 1 unsupported (the bias sits between the second operand and the output)
  check_types(ops[0]);
  check_types(ops[1]);
  if (bias && *bias && (*bias)->dtype() != DType::f32) {
    fail(ErrorKind::unsupported, "bias has dtype {}, must be f32", dtype_name((*bias)->dtype()));
  }
  check_types(ops[2]);
  // 2 too_large
  check_caps(ops[0]);
  check_caps(ops[1]);
  if (bias && *bias) check_element_cap((*bias)->shape(), "bias");
  check_caps(ops[2]);
  // 3 invalid_range
  for (const Operand& op : ops) check_range(op);
  check_activation(activation);
  // 4 op shapes, then the output's element cap
  Validated v;
  v.out_shape = op_shapes();
  check_element_cap(v.out_shape, "output");
  // 5 block layouts (the output's against the output shape)
  for (int i = 0; i < 3; ++i) {
    const Shape& shape = ops[i].tensor ? ops[i].tensor->shape() : v.out_shape;
    v.layouts[i] = check_layout(shape, *ops[i].params, ops[i].name);
  }
  // 6 layouts the operator defines
  layouts_defined(v.layouts);
  if (contract) {
    check_bias_grid_layouts(*contract, *bias, v.layouts[0], *ops[0].params, v.layouts[1],
                            *ops[1].params);
  }
  // 7 scale values, 8 zero points
  for (const Operand& op : ops) check_scales(op);
  if (contract) check_bias_grid_scales(*contract, *bias, *ops[0].params, *ops[1].params);
  for (const Operand& op : ops) check_zero_point(op);
  // 9 NaN bias
  if (bias && *bias) {
    const auto b = (*bias)->data<float>();
    for (size_t i = 0; i < b.size(); ++i) {
      if (std::isnan(b[i])) fail(ErrorKind::nan_input, "bias element {} is NaN", i);
    }
  }
  return v;
}

}  // namespace

bool is_per_channel_on(const OperandLayout& l, int dim) {
  if (l.per_tensor) return true;
  for (int d = 0; d < l.rank; ++d) {
    if (d != dim && l.count[d] != 1) return false;
  }
  return dim >= 0 && dim < l.rank && l.block[dim] == 1;
}

QLinearGeometry validate_qlinear_args(const QLinearArgs& a) {
  const Operand ops[3] = {{"x", &a.x, &a.x_params, false},
                          {"w", &a.w, &a.w_params, true},
                          {"out", nullptr, &a.out_params, false}};
  QLinearGeometry g;
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
    g.in = w[1];
    g.k = w[0];
    Shape out;
    g.rows = 1;
    for (int i = 0; i + 1 < x.rank(); ++i) {
      out.push_back(x[i]);
      g.rows *= x[i];  // x is capped, so the product of its dims fits
    }
    out.push_back(g.k);
    return out;
  };
  const auto layouts_defined = [&](const OperandLayout (&l)[3]) {
    if (!is_per_row(l[0])) {
      fail(ErrorKind::unsupported, "x params have layout {}; qlinear defines x params "
           "per-tensor or per-row ([..., 1])", describe(l[0]));
    }
    if (!is_per_channel_on(l[2], l[2].rank - 1)) {
      fail(ErrorKind::unsupported, "out params have layout {}; qlinear defines out params "
           "per-tensor or per-channel along the last dim ([1, .., 1, K])", describe(l[2]));
    }
  };
  const Validated v =
      validate(ops, &a.bias, a.activation, op_shapes, layouts_defined, &a.contract);
  g.x = v.layouts[0];
  g.w = v.layouts[1];
  g.out = v.layouts[2];
  g.out_shape = v.out_shape;
  return g;
}

QConv2dGeometry validate_qconv2d_args(const QConv2dArgs& a) {
  const Operand ops[3] = {{"x", &a.x, &a.x_params, false},
                          {"w", &a.w, &a.w_params, true},
                          {"out", nullptr, &a.out_params, false}};
  QConv2dGeometry g;
  const auto op_shapes = [&] {
    const Shape& x = a.x.shape();
    const Shape& w = a.w.shape();
    const Conv2dAttrs& at = a.attrs;
    if (x.rank() != 4) {
      fail(ErrorKind::invalid_shape, "x has shape {}; qconv2d needs x of rank 4 (NCHW)", x.str());
    }
    if (w.rank() != 4) {
      fail(ErrorKind::invalid_shape, "w has shape {}; qconv2d needs w of rank 4 "
           "([O, C / groups, kh, kw])", w.str());
    }
    if (at.groups < 1) fail(ErrorKind::invalid_shape, "groups is {}, must be >= 1", at.groups);
    if (x[1] % at.groups != 0) {
      fail(ErrorKind::invalid_shape, "x has C = {} channels, not divisible by groups = {}", x[1],
           at.groups);
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
    // In 128 bits: every operand is below 2^63. A negative numerator means the
    // dilated kernel does not fit; it is rejected before the (truncating) division.
    __int128 dims[2] = {0, 0};
    const char* names[2] = {"H", "W"};
    for (int i = 0; i < 2; ++i) {
      const __int128 span = __int128(x[2 + i]) + at.padding[i] + at.padding[i + 2] -
                            (__int128(at.dilation[i]) * (w[2 + i] - 1) + 1);
      if (span < 0) {
        fail(ErrorKind::invalid_shape, "output {} would be < 1: input {} = {} with padding "
             "{} + {} is smaller than the dilated kernel extent {} * ({} - 1) + 1",
             names[i], names[i], x[2 + i], at.padding[i], at.padding[i + 2], at.dilation[i],
             w[2 + i]);
      }
      dims[i] = span / at.stride[i] + 1;
    }
    check_bias_shape(a.bias, w[0], "O");
    for (int i = 0; i < 2; ++i) {
      if (dims[i] > std::numeric_limits<int64_t>::max()) {
        fail(ErrorKind::too_large, "output {} would be {:e}, beyond any tensor", names[i],
             double(dims[i]));
      }
    }
    g.n = x[0];
    g.c = x[1];
    g.h = x[2];
    g.w_ = x[3];
    g.o = w[0];
    g.kh = w[2];
    g.kw = w[3];
    g.c_per_group = x[1] / at.groups;
    g.o_per_group = w[0] / at.groups;
    g.oh = int64_t(dims[0]);
    g.ow = int64_t(dims[1]);
    return Shape{g.n, g.o, g.oh, g.ow};
  };
  const auto layouts_defined = [&](const OperandLayout (&l)[3]) {
    if (!l[0].per_tensor) {
      fail(ErrorKind::unsupported, "x params have layout {}; qconv2d defines x params "
           "per-tensor only", describe(l[0]));
    }
    if (!is_per_channel_on(l[2], 1)) {
      fail(ErrorKind::unsupported, "out params have layout {}; qconv2d defines out params "
           "per-tensor or per-channel [1, O, 1, 1]", describe(l[2]));
    }
  };
  const Validated v =
      validate(ops, &a.bias, a.activation, op_shapes, layouts_defined, &a.contract);
  g.x = v.layouts[0];
  g.w = v.layouts[1];
  g.out = v.layouts[2];
  g.out_shape = v.out_shape;
  return g;
}

QElementwiseGeometry validate_qelementwise_args(const QElementwiseArgs& a) {
  const Operand ops[3] = {{"a", &a.a, &a.a_params, false},
                          {"b", &a.b, &a.b_params, false},
                          {"out", nullptr, &a.out_params, false}};
  const auto op_shapes = [&] { return broadcast_shapes(a.a.shape(), a.b.shape()); };
  const auto any_layout = [](const OperandLayout (&)[3]) {};
  const Validated v = validate(ops, nullptr, a.activation, op_shapes, any_layout);
  QElementwiseGeometry g;
  g.a = v.layouts[0];
  g.b = v.layouts[1];
  g.out = v.layouts[2];
  g.out_shape = v.out_shape;
  return g;
}

}  // namespace qdiff::impl
