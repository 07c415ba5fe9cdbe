#include "core/op_geometry.h"

#include <limits>

#include "core/error.h"

namespace qdiff {
namespace {

void check_conv2d_attrs(const Conv2dAttrs& at) {
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
}

void check_conv2d_channels(const Shape& x, const Shape& w, const Conv2dAttrs& at,
                           std::string_view op) {
  if (x.rank() != 4) {
    fail(ErrorKind::invalid_shape, "x has shape {}; {} needs x of rank 4 (NCHW)", x.str(), op);
  }
  if (w.rank() != 4) {
    fail(ErrorKind::invalid_shape, "w has shape {}; {} needs w of rank 4 "
         "([O, C / groups, kh, kw])", w.str(), op);
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
}

}  // namespace

void check_bias_shape(const std::optional<Tensor>& bias, int64_t channels, const char* what) {
  if (bias && bias->shape() != Shape{channels}) {
    fail(ErrorKind::invalid_shape, "bias has shape {}, expected [{}] = [{}]", bias->shape().str(),
         what, channels);
  }
}

LinearGeometry linear_geometry(const Shape& x, const Shape& w, const std::optional<Tensor>& bias,
                               std::string_view op) {
  if (x.rank() < 1) {
    fail(ErrorKind::invalid_shape, "x has shape {}; {} needs x of rank >= 1 ([..., In])",
         x.str(), op);
  }
  if (w.rank() != 2) {
    fail(ErrorKind::invalid_shape, "w has shape {}; {} needs w of rank 2 ([K, In])", w.str(),
         op);
  }
  if (x[x.rank() - 1] != w[1]) {
    fail(ErrorKind::invalid_shape, "w has shape {}, x.shape[-1] = {} does not match "
         "w.shape[1] = {}", w.str(), x[x.rank() - 1], w[1]);
  }
  check_bias_shape(bias, w[0], "K");
  LinearGeometry g;
  g.in = w[1];
  g.k = w[0];
  // An empty x ([2^40, 2^40, 0]: In = 0 beside huge leading dims) is not
  // bounded by the element cap, so the product of its leading dims may not
  // fit. An empty output has no rows to visit; a non-empty one that large
  // is too large.
  bool overflow = false, empty_output = g.k == 0;
  g.rows = 1;
  for (int i = 0; i + 1 < x.rank(); ++i) {
    g.out_shape.push_back(x[i]);
    empty_output = empty_output || x[i] == 0;
    overflow = overflow || __builtin_mul_overflow(g.rows, x[i], &g.rows);
  }
  if (empty_output) {
    g.rows = 0;
  } else if (overflow) {
    fail(ErrorKind::too_large, "x has shape {}; {}'s output would have more than 2^63 rows", x.str(), op);
  }
  g.out_shape.push_back(g.k);
  return g;
}

Conv2dGeometry conv2d_geometry(const Shape& x, const Shape& w, const Conv2dAttrs& at,
                               const std::optional<Tensor>& bias, std::string_view op) {
  check_conv2d_channels(x, w, at, op);
  check_conv2d_attrs(at);
  // OH = (H + pad_top + pad_bottom - dilation_h * (kh - 1) - 1) / stride_h + 1, in
  // 128 bits: every operand is below 2^63, so nothing here can overflow. A negative
  // numerator means the dilated kernel does not fit (C++ division truncates toward
  // zero, so it must be rejected before dividing).
  __int128 out_dims[2] = {0, 0};
  const char* names[2] = {"H", "W"};
  for (int i = 0; i < 2; ++i) {
    const __int128 pad = __int128(at.padding[i]) + at.padding[i + 2];
    const __int128 extent = __int128(at.dilation[i]) * (w[2 + i] - 1) + 1;
    const __int128 span = x[2 + i] + pad - extent;
    if (span < 0) {
      fail(ErrorKind::invalid_shape, "output {} would be < 1: input {} = {} with padding "
           "{} + {} is smaller than the dilated kernel extent {} * ({} - 1) + 1",
           names[i], names[i], x[2 + i], at.padding[i], at.padding[i + 2], at.dilation[i],
           w[2 + i]);
    }
    out_dims[i] = span / at.stride[i] + 1;
  }
  check_bias_shape(bias, w[0], "O");
  // The output's size belongs to the cap check that ends the shape step: a dim
  // beyond int64 cannot even be a Shape.
  for (int i = 0; i < 2; ++i) {
    if (out_dims[i] > std::numeric_limits<int64_t>::max()) {
      fail(ErrorKind::too_large, "output {} would be {:e}, beyond any tensor", names[i],
           double(out_dims[i]));
    }
  }
  Conv2dGeometry g;
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

}  // namespace qdiff
