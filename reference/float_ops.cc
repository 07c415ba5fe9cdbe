// Reference f32 graph operators: naive loops over the output, reductions in
// double, one rounding to f32 per output (reference/float_ops.h).
#include "reference/float_ops.h"

#include <cstdint>
#include <limits>
#include <span>
#include <string_view>

#include "core/error.h"
#include "core/limits.h"
#include "reference/nd_index.h"

namespace qdiff::reference {
namespace {

// Step 1: every operand is f32.
void require_f32(const Tensor& t, std::string_view name, std::string_view op) {
  if (t.dtype() != DType::f32) {
    fail(ErrorKind::unsupported, "{} has dtype {}; {} takes f32 operands", name,
         dtype_name(t.dtype()), op);
  }
}

void require_bias_shape(const std::optional<Tensor>& bias, int64_t channels, const char* what) {
  if (bias && bias->shape() != Shape{channels}) {
    fail(ErrorKind::invalid_shape, "bias has shape {}, expected [{}] = [{}]", bias->shape().str(),
         what, channels);
  }
}

// Step 3: the output exists only once the op shapes are valid.
Tensor make_output(const Shape& shape) {
  check_element_cap(shape, "output");
  return Tensor(DType::f32, shape);
}

// Flat offset of the element of `shape` that output `index` (of rank >=
// shape.rank()) reads under numpy broadcasting: size-1 dims repeat, missing
// leading dims are ignored. Called only for non-empty outputs, so every dim
// of `shape` is >= 1.
int64_t broadcast_offset(const Shape& shape, std::span<const int64_t> index) {
  const int lead = int(index.size()) - shape.rank();
  int64_t flat = 0;
  for (int d = 0; d < shape.rank(); ++d) {
    flat = flat * shape[d] + (shape[d] == 1 ? 0 : index[size_t(lead + d)]);
  }
  return flat;
}

// What the conv2d shape checks established (the geometry of qconv2d).
struct ConvGeometry {
  int64_t n = 0, c = 0, h = 0, w = 0;  // input
  int64_t o = 0, kh = 0, kw = 0;       // weight
  int64_t c_per_group = 0, o_per_group = 0;
  int64_t oh = 0, ow = 0;
};

// Step 2 of conv2d, in the order and with the messages of validate_qconv2d
// (reference/fused_validate.h); then step 3's too_large for an output dim
// beyond int64.
ConvGeometry conv_geometry(const Tensor& x_t, const Tensor& w_t, const std::optional<Tensor>& bias,
                           const Conv2dAttrs& at) {
  const Shape& x = x_t.shape();
  const Shape& w = w_t.shape();
  if (x.rank() != 4) {
    fail(ErrorKind::invalid_shape, "x has shape {}; conv2d needs x of rank 4 (NCHW)", x.str());
  }
  if (w.rank() != 4) {
    fail(ErrorKind::invalid_shape, "w has shape {}; conv2d needs w of rank 4 "
         "([O, C / groups, kh, kw])", w.str());
  }
  if (at.groups < 1) fail(ErrorKind::invalid_shape, "groups is {}, must be >= 1", at.groups);
  if (x[1] % at.groups != 0) {
    fail(ErrorKind::invalid_shape, "x has C = {} channels, not divisible by groups = {}", x[1],
         at.groups);
  }
  if (w[0] % at.groups != 0) {
    fail(ErrorKind::invalid_shape, "w has O = {} output channels, not divisible by groups = {}",
         w[0], at.groups);
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
  // OH = (H + pad_top + pad_bottom - dilation_h * (kh - 1) - 1) / stride_h + 1 in 128
  // bits (every operand is below 2^63); a negative numerator is rejected before the
  // division, which truncates toward zero.
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
  require_bias_shape(bias, w[0], "O");
  for (int i = 0; i < 2; ++i) {
    if (out_dims[i] > std::numeric_limits<int64_t>::max()) {
      fail(ErrorKind::too_large, "output {} would be {:e}, beyond any tensor", names[i],
           double(out_dims[i]));
    }
  }
  ConvGeometry g;
  g.n = x[0];
  g.c = x[1];
  g.h = x[2];
  g.w = x[3];
  g.o = w[0];
  g.kh = w[2];
  g.kw = w[3];
  g.c_per_group = x[1] / at.groups;
  g.o_per_group = w[0] / at.groups;
  g.oh = int64_t(out_dims[0]);
  g.ow = int64_t(out_dims[1]);
  return g;
}

template <typename Op>
Tensor elementwise(const Tensor& a, const Tensor& b, std::string_view op_name, Op op) {
  require_f32(a, "a", op_name);
  require_f32(b, "b", op_name);
  const Shape out_shape = broadcast_shapes(a.shape(), b.shape());
  Tensor out = make_output(out_shape);
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
  // 1 unsupported
  require_f32(x, "x", "linear");
  require_f32(w, "w", "linear");
  if (bias) require_f32(*bias, "bias", "linear");
  // 2 invalid_shape
  const Shape& xs = x.shape();
  const Shape& ws = w.shape();
  if (xs.rank() < 1) {
    fail(ErrorKind::invalid_shape, "x has shape {}; linear needs x of rank >= 1 ([..., In])",
         xs.str());
  }
  if (ws.rank() != 2) {
    fail(ErrorKind::invalid_shape, "w has shape {}; linear needs w of rank 2 ([K, In])", ws.str());
  }
  if (xs[xs.rank() - 1] != ws[1]) {
    fail(ErrorKind::invalid_shape, "w has shape {}, x.shape[-1] = {} does not match "
         "w.shape[1] = {}", ws.str(), xs[xs.rank() - 1], ws[1]);
  }
  require_bias_shape(bias, ws[0], "K");
  // 3 too_large
  Shape out_shape;
  for (int i = 0; i + 1 < xs.rank(); ++i) out_shape.push_back(xs[i]);
  out_shape.push_back(ws[0]);
  Tensor out = make_output(out_shape);

  const int64_t in = ws[1], k_count = ws[0];
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
  // 1 unsupported
  require_f32(x, "x", "conv2d");
  require_f32(w, "w", "conv2d");
  if (bias) require_f32(*bias, "bias", "conv2d");
  // 2 invalid_shape (and too_large for an output dim beyond int64)
  const ConvGeometry g = conv_geometry(x, w, bias, at);
  // 3 too_large
  const Shape out_shape{g.n, g.o, g.oh, g.ow};
  Tensor out = make_output(out_shape);

  const auto xv = x.data<float>();
  const auto wv = w.data<float>();
  auto y = out.data<float>();
  for_each_index(out_shape, [&](std::span<const int64_t> index, int64_t flat) {
    const int64_t n = index[0], o = index[1], oh = index[2], ow = index[3];
    const int64_t group = o / g.o_per_group;  // O >= 1 here, so o_per_group >= 1
    double sum = 0.0;
    for (int64_t c = 0; c < g.c_per_group; ++c) {
      const int64_t ci = group * g.c_per_group + c;
      for (int64_t i = 0; i < g.kh; ++i) {
        // 128-bit: stride, padding and dilation may each be near 2^63.
        const __int128 ih = __int128(oh) * at.stride[0] - at.padding[0] +
                            __int128(i) * at.dilation[0];
        if (ih < 0 || ih >= g.h) continue;  // zero padding adds nothing
        for (int64_t j = 0; j < g.kw; ++j) {
          const __int128 iw = __int128(ow) * at.stride[1] - at.padding[1] +
                              __int128(j) * at.dilation[1];
          if (iw < 0 || iw >= g.w) continue;
          const int64_t xi = ((n * g.c + ci) * g.h + int64_t(ih)) * g.w + int64_t(iw);
          const int64_t wi = ((o * g.c_per_group + c) * g.kh + i) * g.kw + j;
          sum += double(xv[size_t(xi)]) * double(wv[size_t(wi)]);  // exact product
        }
      }
    }
    if (bias) sum += double(bias->f32_at(o));
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
  require_f32(x, "x", "relu");
  Tensor out(DType::f32, x.shape());
  const auto xv = x.data<float>();
  auto y = out.data<float>();
  // x < 0 is false for -0.0 (kept, sign included) and for NaN (propagated).
  for (size_t i = 0; i < xv.size(); ++i) y[i] = xv[i] < 0.0f ? 0.0f : xv[i];
  return out;
}

}  // namespace qdiff::reference
