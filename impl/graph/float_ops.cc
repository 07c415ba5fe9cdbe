// The optimized executor's f32 operators (impl/graph/float_ops.h).
#include "impl/graph/float_ops.h"

#include <Eigen/Core>
#include <array>
#include <cstdint>
#include <limits>
#include <string_view>

#include "core/error.h"
#include "core/limits.h"

namespace qdiff::impl {
namespace {

void require_f32(const Tensor& t, std::string_view name, std::string_view op) {
  if (t.dtype() != DType::f32) {
    fail(ErrorKind::unsupported, "{} has dtype {}; {} takes f32 operands", name, dtype_name(t.dtype()), op);
  }
}

void require_bias_shape(const std::optional<Tensor>& bias, int64_t channels, const char* what) {
  if (bias && bias->shape() != Shape{channels}) {
    fail(ErrorKind::invalid_shape, "bias has shape {}, expected [{}] = [{}]", bias->shape().str(), what,
         channels);
  }
}

Tensor make_output(const Shape& shape) {
  check_element_cap(shape, "output");
  return Tensor(DType::f32, shape);
}

struct ConvGeometry {
  int64_t n = 0, c = 0, h = 0, w = 0, o = 0, kh = 0, kw = 0, cg = 0, og = 0, oh = 0, ow = 0;
};

// Step 2 of conv2d in qconv2d's order (docs/validation-order.md), then the
// too_large of an output dim beyond int64.
ConvGeometry conv_geometry(const Shape& x, const Shape& w, const std::optional<Tensor>& bias,
                           const Conv2dAttrs& at) {
  if (x.rank() != 4) fail(ErrorKind::invalid_shape, "x has shape {}; conv2d needs x of rank 4 (NCHW)", x.str());
  if (w.rank() != 4) {
    fail(ErrorKind::invalid_shape, "w has shape {}; conv2d needs w of rank 4 ([O, C / groups, kh, kw])", w.str());
  }
  if (at.groups < 1) fail(ErrorKind::invalid_shape, "groups is {}, must be >= 1", at.groups);
  if (x[1] % at.groups != 0) {
    fail(ErrorKind::invalid_shape, "x has C = {} channels, not divisible by groups = {}", x[1], at.groups);
  }
  if (w[0] % at.groups != 0) {
    fail(ErrorKind::invalid_shape, "w has O = {} output channels, not divisible by groups = {}", w[0], at.groups);
  }
  if (w[1] != x[1] / at.groups) {
    fail(ErrorKind::invalid_shape, "w has shape {}, w.shape[1] = {} does not match C / groups = {}", w.str(),
         w[1], x[1] / at.groups);
  }
  for (int i = 0; i < 2; ++i) {
    if (at.stride[i] < 1) fail(ErrorKind::invalid_shape, "stride[{}] is {}, must be >= 1", i, at.stride[i]);
  }
  for (int i = 0; i < 2; ++i) {
    if (at.dilation[i] < 1) fail(ErrorKind::invalid_shape, "dilation[{}] is {}, must be >= 1", i, at.dilation[i]);
  }
  for (int i = 0; i < 4; ++i) {
    if (at.padding[i] < 0) fail(ErrorKind::invalid_shape, "padding[{}] is {}, must be >= 0", i, at.padding[i]);
  }
  __int128 dims[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    const __int128 span = __int128(x[2 + i]) + at.padding[i] + at.padding[i + 2] -
                          (__int128(at.dilation[i]) * (w[2 + i] - 1) + 1);
    if (span < 0) {
      fail(ErrorKind::invalid_shape, "output {} would be < 1: the input with padding is smaller than the "
           "dilated kernel", i == 0 ? "H" : "W");
    }
    dims[i] = span / at.stride[i] + 1;
  }
  require_bias_shape(bias, w[0], "O");
  for (int i = 0; i < 2; ++i) {
    if (dims[i] > std::numeric_limits<int64_t>::max()) {
      fail(ErrorKind::too_large, "output {} would be {:e}, beyond any tensor", i == 0 ? "H" : "W",
           double(dims[i]));
    }
  }
  return {x[0], x[1], x[2], x[3], w[0], w[2], w[3], x[1] / at.groups, w[0] / at.groups,
          int64_t(dims[0]), int64_t(dims[1])};
}

template <typename Op>
Tensor elementwise(const Tensor& a, const Tensor& b, std::string_view name, Op op) {
  require_f32(a, "a", name);
  require_f32(b, "b", name);
  const Shape shape = broadcast_shapes(a.shape(), b.shape());
  Tensor out = make_output(shape);
  const int64_t count = out.numel();
  if (count == 0) return out;
  // Element strides of a and b along each output dim (0 where broadcast).
  const int r = shape.rank();
  std::array<int64_t, kMaxRank> sa{}, sb{};
  const auto strides_of = [&](const Shape& s, std::array<int64_t, kMaxRank>& st) {
    int64_t stride = 1;
    for (int d = r - 1; d >= 0; --d) {
      const int sd = d - (r - s.rank());
      if (sd < 0) continue;
      st[size_t(d)] = s[sd] == 1 ? 0 : stride;
      stride *= s[sd];
    }
  };
  strides_of(a.shape(), sa);
  strides_of(b.shape(), sb);
  const float* av = a.data<float>().data();
  const float* bv = b.data<float>().data();
  float* y = out.data<float>().data();
  // Innermost dim as a run; an odometer over the others.
  const int64_t inner = r == 0 ? 1 : shape[r - 1];
  const int64_t ia = r == 0 ? 0 : sa[size_t(r - 1)], ib = r == 0 ? 0 : sb[size_t(r - 1)];
  std::array<int64_t, kMaxRank> idx{};
  int64_t oa = 0, ob = 0;
  for (int64_t base = 0; base < count; base += inner) {
    for (int64_t i = 0; i < inner; ++i) y[base + i] = op(av[oa + i * ia], bv[ob + i * ib]);
    for (int d = r - 2; d >= 0; --d) {
      oa += sa[size_t(d)];
      ob += sb[size_t(d)];
      if (++idx[size_t(d)] < shape[d]) break;
      oa -= sa[size_t(d)] * shape[d];
      ob -= sb[size_t(d)] * shape[d];
      idx[size_t(d)] = 0;
    }
  }
  return out;
}

}  // namespace

Tensor linear_f32(const Tensor& x, const Tensor& w, const std::optional<Tensor>& bias) {
  require_f32(x, "x", "linear");
  require_f32(w, "w", "linear");
  if (bias) require_f32(*bias, "bias", "linear");
  const Shape& xs = x.shape();
  const Shape& ws = w.shape();
  if (xs.rank() < 1) fail(ErrorKind::invalid_shape, "x has shape {}; linear needs x of rank >= 1 ([..., In])", xs.str());
  if (ws.rank() != 2) fail(ErrorKind::invalid_shape, "w has shape {}; linear needs w of rank 2 ([K, In])", ws.str());
  if (xs[xs.rank() - 1] != ws[1]) {
    fail(ErrorKind::invalid_shape, "w has shape {}, x.shape[-1] = {} does not match w.shape[1] = {}", ws.str(),
         xs[xs.rank() - 1], ws[1]);
  }
  require_bias_shape(bias, ws[0], "K");
  Shape out_shape;
  for (int i = 0; i + 1 < xs.rank(); ++i) out_shape.push_back(xs[i]);
  out_shape.push_back(ws[0]);
  Tensor out = make_output(out_shape);
  const int64_t k_count = ws[0], in = ws[1];
  if (out.numel() == 0) return out;
  const int64_t rows = out.numel() / k_count;
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<RowMajor> y(out.data<float>().data(), rows, k_count);
  if (in == 0) {
    y.setZero();
  } else {
    const Eigen::Map<const RowMajor> xm(x.data<float>().data(), rows, in);
    const Eigen::Map<const RowMajor> wm(w.data<float>().data(), k_count, in);
    y.noalias() = xm * wm.transpose();
  }
  if (bias) {
    const auto b = bias->data<float>();
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t k = 0; k < k_count; ++k) y(r, k) = y(r, k) + b[size_t(k)];
    }
  }
  return out;
}

Tensor conv2d_f32(const Tensor& x, const Tensor& w, const std::optional<Tensor>& bias, const Conv2dAttrs& at) {
  require_f32(x, "x", "conv2d");
  require_f32(w, "w", "conv2d");
  if (bias) require_f32(*bias, "bias", "conv2d");
  const ConvGeometry g = conv_geometry(x.shape(), w.shape(), bias, at);
  Tensor out = make_output(Shape{g.n, g.o, g.oh, g.ow});
  if (out.numel() == 0) return out;
  const float* xv = x.data<float>().data();
  const float* wv = w.data<float>().data();
  float* y = out.data<float>().data();
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t o = 0; o < g.o; ++o) {
      const int64_t group = o / g.og;
      const float b = bias ? bias->f32_at(o) : 0.0f;
      for (int64_t oh = 0; oh < g.oh; ++oh) {
        for (int64_t ow = 0; ow < g.ow; ++ow) {
          float sum = 0.0f;
          for (int64_t c = 0; c < g.cg; ++c) {
            const int64_t ci = group * g.cg + c;
            for (int64_t i = 0; i < g.kh; ++i) {
              // 128 bits: stride, padding and dilation may each be near 2^63.
              const __int128 ih = __int128(oh) * at.stride[0] - at.padding[0] + __int128(i) * at.dilation[0];
              if (ih < 0 || ih >= g.h) continue;
              for (int64_t j = 0; j < g.kw; ++j) {
                const __int128 iw = __int128(ow) * at.stride[1] - at.padding[1] + __int128(j) * at.dilation[1];
                if (iw < 0 || iw >= g.w) continue;
                const float xe = xv[((n * g.c + ci) * g.h + int64_t(ih)) * g.w + int64_t(iw)];
                const float we = wv[((o * g.cg + c) * g.kh + i) * g.kw + j];
                sum = sum + xe * we;
              }
            }
          }
          if (bias) sum = sum + b;
          y[((n * g.o + o) * g.oh + oh) * g.ow + ow] = sum;
        }
      }
    }
  }
  return out;
}

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

}  // namespace qdiff::impl
