// case_summary (cases/case.h): one line per case for reports. Shapes
// that the op would reject are still described: a layout that does not fit
// reads "invalid layout: <why>", an output shape that cannot be formed
// "output shape unknown: <why>". The op's validation stays authoritative.
#include <fmt/format.h>

#include "cases/case.h"
#include "core/block_layout.h"
#include "core/error.h"

namespace qdiff {
namespace {

template <typename... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <typename... F>
Overloaded(F...) -> Overloaded<F...>;

std::string layout_of(const Shape& shape, const QuantParams& p) {
  try {
    return BlockLayout::derive(shape, p.scale.shape(), p.block_size).describe();
  } catch (const Error& e) {
    return fmt::format("invalid layout: {}", e.what());
  }
}

// "x i8 [2, 3] | x_params scale [] zp [] i8 [-128, 127] int: per_tensor, ..."
std::string operand(std::string_view name, const Tensor& t, const QuantParams& p) {
  return fmt::format("{} {} {} | {}_params {}: {}", name, dtype_name(t.dtype()), t.shape().str(),
                     name, p.summary(), layout_of(t.shape(), p));
}

// The output shape the op would produce, computed without overflow; throws
// invalid_shape saying why there is none.
Shape qlinear_output_shape(const QLinearArgs& a) {
  if (a.x.shape().rank() < 1 || a.w.shape().rank() != 2) {
    fail(ErrorKind::invalid_shape, "qlinear needs x of rank >= 1 and w of rank 2, got {} and {}",
         a.x.shape().str(), a.w.shape().str());
  }
  Shape out;
  for (int i = 0; i + 1 < a.x.shape().rank(); ++i) out.push_back(a.x.shape()[i]);
  out.push_back(a.w.shape()[0]);
  return out;
}

// (in + pad_a + pad_b - dilation * (k - 1) - 1) / stride + 1, core/fused_ops.h.
int64_t conv_output_dim(const char* dim, int64_t in, int64_t pad_a, int64_t pad_b,
                        int64_t dilation, int64_t k, int64_t stride) {
  if (stride < 1 || dilation < 1 || pad_a < 0 || pad_b < 0 || k < 1) {
    fail(ErrorKind::invalid_shape,
         "output {} needs stride >= 1, dilation >= 1, padding >= 0 and kernel >= 1", dim);
  }
  int64_t span = 0, numerator = 0;  // span = dilation * (k - 1) + 1
  const bool overflow = __builtin_mul_overflow(dilation, k - 1, &span) ||
                        __builtin_add_overflow(span, 1, &span) ||
                        __builtin_add_overflow(in, pad_a, &numerator) ||
                        __builtin_add_overflow(numerator, pad_b, &numerator);
  if (overflow) fail(ErrorKind::invalid_shape, "output {} overflows int64", dim);
  numerator -= span;  // both non-negative: no overflow
  if (numerator < 0) {
    fail(ErrorKind::invalid_shape, "output {} would be < 1 (the kernel spans {} of {} padded)",
         dim, span, span + numerator);
  }
  return numerator / stride + 1;
}

Shape qconv2d_output_shape(const QConv2dArgs& a) {
  const Shape& x = a.x.shape();
  const Shape& w = a.w.shape();
  if (x.rank() != 4 || w.rank() != 4) {
    fail(ErrorKind::invalid_shape, "qconv2d needs x and w of rank 4, got {} and {}", x.str(),
         w.str());
  }
  const Conv2dAttrs& t = a.attrs;
  const int64_t oh =
      conv_output_dim("height", x[2], t.padding[0], t.padding[2], t.dilation[0], w[2], t.stride[0]);
  const int64_t ow =
      conv_output_dim("width", x[3], t.padding[1], t.padding[3], t.dilation[1], w[3], t.stride[1]);
  return Shape{x[0], w[0], oh, ow};
}

template <typename ShapeFn>
std::string output_part(const ShapeFn& output_shape, const QuantParams& p) {
  try {
    const Shape out = output_shape();
    return fmt::format("out {} | out_params {}: {}", out.str(), p.summary(), layout_of(out, p));
  } catch (const Error& e) {
    return fmt::format("out ? | out_params {}: output shape unknown: {}", p.summary(), e.what());
  }
}

std::string bias_part(const std::optional<Tensor>& bias) {
  if (!bias) return "no bias";
  return fmt::format("bias {} {}", dtype_name(bias->dtype()), bias->shape().str());
}

std::string activation_part(const Activation& a) {
  if (a.kind != ActivationKind::clamp) return fmt::format("activation {}", activation_name(a.kind));
  return fmt::format("activation clamp [{}, {}]", a.lo, a.hi);
}

std::string conv_attrs_part(const Conv2dAttrs& a) {
  return fmt::format("stride [{}] padding [{}] dilation [{}] groups {}", fmt::join(a.stride, ", "),
                     fmt::join(a.padding, ", "), fmt::join(a.dilation, ", "), a.groups);
}

}  // namespace

std::string case_summary(const Case& c) {
  return std::visit(
      Overloaded{
          [](const AffineCase& a) { return a.summary(); },
          [](const QLinearCase& q) {
            const QLinearArgs& a = q.args;
            return fmt::format("qlinear | {} | {} | {} | {} | {} | {}",
                               operand("x", a.x, a.x_params), operand("w", a.w, a.w_params),
                               bias_part(a.bias),
                               output_part([&] { return qlinear_output_shape(a); }, a.out_params),
                               activation_part(a.activation), describe(a.contract));
          },
          [](const QConv2dCase& q) {
            const QConv2dArgs& a = q.args;
            return fmt::format("qconv2d | {} | {} | {} | {} | {} | {} | {}",
                               operand("x", a.x, a.x_params), operand("w", a.w, a.w_params),
                               bias_part(a.bias),
                               output_part([&] { return qconv2d_output_shape(a); }, a.out_params),
                               conv_attrs_part(a.attrs), activation_part(a.activation),
                               describe(a.contract));
          },
          [](const QElementwiseCase& q) {
            const QElementwiseArgs& a = q.args;
            return fmt::format(
                "{} | {} | {} | {} | {}", elementwise_op_name(a.op), operand("a", a.a, a.a_params),
                operand("b", a.b, a.b_params),
                output_part([&] { return broadcast_shapes(a.a.shape(), a.b.shape()); },
                            a.out_params),
                activation_part(a.activation));
          },
          [](const GraphCase& g) { return graph_case_summary(g); },
      },
      c);
}

}  // namespace qdiff
