// Reference f32 graph operators: naive loops over the output, reductions in
// double, one rounding to f32 per output (reference/float_ops.h).
#include "reference/float_ops.h"

#include <cstdint>
#include <limits>
#include <span>
#include <string_view>

#include "core/argument_checks.h"
#include "core/error.h"
#include "core/op_geometry.h"
#include "reference/conv2d_taps.h"
#include "reference/nd_index.h"

namespace qdiff::reference {
namespace {

template <typename Op>
Tensor elementwise(const Tensor& a, const Tensor& b, std::string_view op_name, Op op) {
  const Shape out_shape = check_elementwise_f32(a, b, op_name);  // steps 1-3
  Tensor out(DType::f32, out_shape);
  const auto av = a.data<float>();
  const auto bv = b.data<float>();
  auto y = out.data<float>();
  for_each_index(out_shape, [&](std::span<const int64_t> index, int64_t flat) {
    y[size_t(flat)] = op(av[size_t(broadcast_offset(a.shape(), index))],
                         bv[size_t(broadcast_offset(b.shape(), index))]);
  });
  return out;
}

}  // namespace

Tensor linear_f32(const Tensor& x, const Tensor& w, const std::optional<Tensor>& bias) {
  // 1-3 unsupported, invalid_shape, too_large (core/argument_checks.h)
  const LinearGeometry g = check_linear_f32(x, w, bias);
  const Shape& out_shape = g.out_shape;
  Tensor out(DType::f32, out_shape);

  const int64_t in = g.in, k_count = g.k;
  const auto xv = x.data<float>();
  const auto wv = w.data<float>();
  auto y = out.data<float>();
  // Visiting the output (not rows x K) never loops over the rows of an empty output.
  for_each_index(out_shape, [&](std::span<const int64_t> index, int64_t flat) {
    const int64_t k = index.back();
    const int64_t row = flat / k_count;  // K >= 1: the output has elements
    double sum = 0.0;
    for (int64_t j = 0; j < in; ++j) {
      sum += double(xv[size_t(row * in + j)]) * double(wv[size_t(k * in + j)]);  // exact product
    }
    if (bias) sum += double(bias->f32_at(k));
    y[size_t(flat)] = float(sum);  // the one rounding to f32 (+-inf beyond FLT_MAX)
  });
  return out;
}

Tensor conv2d_f32(const Tensor& x, const Tensor& w, const std::optional<Tensor>& bias,
                  const Conv2dAttrs& at) {
  // 1-3 unsupported, invalid_shape, too_large (core/argument_checks.h)
  const Conv2dGeometry g = check_conv2d_f32(x, w, bias, at);
  const Shape out_shape{g.n, g.o, g.oh, g.ow};
  Tensor out(DType::f32, out_shape);

  const auto xv = x.data<float>();
  const auto wv = w.data<float>();
  auto y = out.data<float>();
  for_each_index(out_shape, [&](std::span<const int64_t> index, int64_t flat) {
    double sum = 0.0;
    for_each_conv2d_tap(g, at, index, [&](int64_t xi, int64_t wi) {
      sum += double(xv[size_t(xi)]) * double(wv[size_t(wi)]);  // exact product
    });
    if (bias) sum += double(bias->f32_at(index[1]));
    y[size_t(flat)] = float(sum);  // the one rounding to f32
  });
  return out;
}

// One IEEE f32 operation per element (-ffp-contract=off keeps it one).
Tensor add_f32(const Tensor& a, const Tensor& b) {
  return elementwise(a, b, "add", [](float u, float v) { return u + v; });
}

Tensor mul_f32(const Tensor& a, const Tensor& b) {
  return elementwise(a, b, "mul", [](float u, float v) { return u * v; });
}

Tensor relu_f32(const Tensor& x) {
  check_f32_operand(x, "x", "relu");
  Tensor out(DType::f32, x.shape());
  const auto xv = x.data<float>();
  auto y = out.data<float>();
  // x < 0 is false for -0.0 (kept, sign included) and for NaN (propagated).
  for (size_t i = 0; i < xv.size(); ++i) y[i] = xv[i] < 0.0f ? 0.0f : xv[i];
  return out;
}

}  // namespace qdiff::reference
