// The optimized executor's f32 operators (impl/graph/float_ops.h).
#include "impl/graph/float_ops.h"

#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <string_view>
#include <vector>

#include "core/argument_checks.h"
#include "core/error.h"
#include "core/op_geometry.h"

namespace qdiff::impl {
namespace {

// A kernel row (or column) k that lands inside the input, at input position
// pos; the others read zero padding and are skipped.
struct Tap {
  int64_t k, pos;
};

// The taps of output position `out` along one spatial dim, in k order.
std::vector<Tap> taps_inside(int64_t out, int64_t stride, int64_t pad, int64_t dilation, int64_t kernel,
                             int64_t size) {
  std::vector<Tap> taps;
  for (int64_t k = 0; k < kernel; ++k) {
    // 128 bits: stride, padding and dilation may each be near 2^63.
    const __int128 pos = __int128(out) * stride - pad + __int128(k) * dilation;
    if (pos >= 0 && pos < size) taps.push_back({k, int64_t(pos)});
  }
  return taps;
}

template <typename Op>
Tensor elementwise(const Tensor& a, const Tensor& b, std::string_view name, Op op) {
  const Shape shape = check_elementwise_f32(a, b, name);
  Tensor out(DType::f32, shape);
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
  const LinearGeometry g = check_linear_f32(x, w, bias);
  Tensor out(DType::f32, g.out_shape);
  const int64_t k_count = g.k, in = g.in;
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
  const Conv2dGeometry g = check_conv2d_f32(x, w, bias, at);
  Tensor out(DType::f32, Shape{g.n, g.o, g.oh, g.ow});
  if (out.numel() == 0) return out;
  const float* xv = x.data<float>().data();
  const float* wv = w.data<float>().data();
  float* y = out.data<float>().data();
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t o = 0; o < g.o; ++o) {
      const int64_t group = o / g.o_per_group;
      const float b = bias ? bias->f32_at(o) : 0.0f;
      for (int64_t oh = 0; oh < g.oh; ++oh) {
        const std::vector<Tap> rows = taps_inside(oh, at.stride[0], at.padding[0], at.dilation[0], g.kh, g.h);
        for (int64_t ow = 0; ow < g.ow; ++ow) {
          const std::vector<Tap> cols = taps_inside(ow, at.stride[1], at.padding[1], at.dilation[1], g.kw, g.w);
          float sum = 0.0f;  // f32 accumulation in (c, i, j) order
          for (int64_t c = 0; c < g.c_per_group; ++c) {
            const float* x_plane = xv + (n * g.c + group * g.c_per_group + c) * g.h * g.w;
            const float* w_plane = wv + (o * g.c_per_group + c) * g.kh * g.kw;
            for (const Tap& r : rows) {
              for (const Tap& t : cols) sum = sum + x_plane[r.pos * g.w + t.pos] * w_plane[r.k * g.kw + t.k];
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

Tensor add_f32(const Tensor& a, const Tensor& b) { return elementwise(a, b, "add", std::plus<float>()); }
Tensor mul_f32(const Tensor& a, const Tensor& b) { return elementwise(a, b, "mul", std::multiplies<float>()); }

Tensor relu_f32(const Tensor& x) {
  check_f32_operand(x, "x", "relu");
  Tensor out(DType::f32, x.shape());
  const float* src = x.data<float>().data();
  // Only a negative value changes: -0.0 (sign kept) and NaN compare false.
  std::transform(src, src + x.numel(), out.data<float>().data(),
                 [](float v) { return v < 0.0f ? 0.0f : v; });
  return out;
}

}  // namespace qdiff::impl
