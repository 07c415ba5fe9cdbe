// Shared fixtures of the impl/ unit tests (tests/impl_*_test.cc): the ISAs
// to sweep, layouts with their expected kernel path, deterministic values
// that hit the hard spots (exact rounding ties and their f32 neighbours,
// +-inf, huge, -0.0), params of every domain, and a bitwise comparison
// that names the first differing element.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/block_layout.h"
#include "core/error.h"
#include "core/float_bits.h"
#include "core/quant_params.h"
#include "core/tensor.h"
#include "impl/options.h"
#include "impl/quantize/affine.h"
#include "properties/domains.h"
#include "tests/test_util.h"

namespace qdiff::impl::testing {

using test_util::error_kind_of;
using test_util::supported_isas;

inline ImplOptions single_thread(Isa isa, FaultSet faults = {}) {
  ImplOptions o;
  o.isa = isa;
  o.threads = 1;
  o.faults = faults;
  return o;
}

// A layout: input shape, scale shape, optional explicit block sizes, and
// the kernel path impl/ must report for it.
struct Layout {
  std::string name;
  Shape input;
  Shape scale;
  std::optional<std::vector<int64_t>> block_size;
  KernelPath path;
};

inline int64_t ceil_div(int64_t a, int64_t b) { return a == 0 ? 1 : (a + b - 1) / b; }

// Layouts whose innermost run or block count grows with n (n = 0 gives
// zero-size tensors; scale dims of zero-size dims are 1).
inline std::vector<Layout> layouts_of_size(int64_t n) {
  const int64_t one_if_empty = n == 0 ? 1 : n;
  std::vector<Layout> v;
  const KernelPath empty = KernelPath::empty;
  auto path = [&](KernelPath p) { return n == 0 ? empty : p; };
  v.push_back({"per_tensor_1d", {n}, {}, std::nullopt, path(KernelPath::per_tensor)});
  v.push_back({"per_tensor_2d", {3, n}, {1, 1}, std::nullopt, path(KernelPath::per_tensor)});
  v.push_back({"per_channel_inner", {3, n}, {1, one_if_empty}, std::nullopt,
               path(n <= 1 ? KernelPath::per_tensor : KernelPath::per_channel_inner)});
  v.push_back({"per_channel_outer", {n, 5}, {one_if_empty, 1}, std::nullopt,
               path(n <= 1 ? KernelPath::per_tensor : KernelPath::per_channel_outer)});
  v.push_back({"per_channel_middle", {2, n, 3}, {1, one_if_empty, 1}, std::nullopt,
               path(n <= 1 ? KernelPath::per_tensor : KernelPath::per_channel_middle)});
  // [3, 4n] with blocks (1, 4): per_group on the last dim
  v.push_back({"per_group_last", {3, 4 * n}, {3, one_if_empty}, std::nullopt,
               path(n <= 1 ? KernelPath::per_channel_outer : KernelPath::per_group_last)});
  // explicit blocks (1, 5): a partial last group
  v.push_back({"per_group_partial", {3, n}, {3, ceil_div(n, 5)}, std::vector<int64_t>{1, 5},
               path(n <= 5 ? KernelPath::per_channel_outer : KernelPath::per_group_last)});
  // 2-D tiles (2, 3), partial at both ends
  v.push_back({"tiles_2x3", {n, 7}, {ceil_div(n, 2), 3}, std::vector<int64_t>{2, 3},
               path(KernelPath::blockwise)});  // blocks of 3 along dim 1: never per_channel
  v.push_back({"elementwise", {2, n}, {2, one_if_empty}, std::nullopt,
               path(n <= 1 ? KernelPath::per_channel_outer : KernelPath::blockwise)});
  v.push_back({"tiles_rank3", {2, 3, n}, {2, 2, ceil_div(n, 4)}, std::vector<int64_t>{1, 2, 4},
               path(KernelPath::blockwise)});
  return v;
}

using props::PrngSource;
using props::Source;

// Scales: a mix of powers of two (ties exact under every contract) and
// values whose reciprocal is inexact (where x * f32(1/s) and x / s differ).
inline constexpr props::ScaleValues kSweepScales = props::ScaleValues::normal(40, -2, 1, -10, 1);

inline float pick_scale(Source& rng) { return props::draw_scale(rng, kSweepScales); }

// Every storage dtype and sub-byte width, plus i32 storage with a narrow
// range and one just past the narrow limit.
inline std::vector<QuantType> all_ranges() {
  using namespace props::quant_types;
  return {kI8, kU8, kI16, kU16, kI32, kI4, kU4,
          {DType::i32, -1000, 1000},
          {DType::i32, -(int64_t{1} << 24), int64_t{1} << 24}};
}

// Params of `domain` for the given layout; zero points drawn in range.
inline QuantParams make_params(const Layout& l, const QuantType& r, ZeroPointDomain domain,
                               Source& rng, DType zp_dtype = DType::i32) {
  QuantParams p = props::params_of(r, domain, props::draw_scale_tensor(rng, l.scale, {kSweepScales, 0, false}),
                                   l.block_size);
  if (domain == ZeroPointDomain::int_domain) {
    const int64_t lo = std::max(r.quant_min, dtype_min(zp_dtype));
    const int64_t hi = std::min(r.quant_max, dtype_max(zp_dtype));
    const int64_t mid = lo + (hi - lo) / 2;
    std::vector<int64_t> z(size_t(l.scale.numel()));
    for (auto& v : z) {
      // mostly near the middle of the range, sometimes at its ends
      const int64_t pick = rng.integer(0, 7);
      v = std::clamp(pick == 0 ? lo : pick == 1 ? hi : mid + rng.integer(-3, 3), lo, hi);
    }
    p.zero_point = props::integer_tensor(zp_dtype, l.scale, z);
  } else if (domain == ZeroPointDomain::float_domain) {
    Tensor z(DType::f32, l.scale);
    for (auto& v : z.data<float>()) v = float(rng.integer(-3 << 20, 3 << 20)) / float(1 << 20);
    p.zero_point = std::move(z);
  }
  return p;
}

// Input values for the layout: for each element, using its scale s, one of
// ties (k + 0.5) * s and their f32 neighbours, random values spanning the
// range, +-inf, huge magnitudes, -0.0, values near 2^23 / 2^24.
inline Tensor make_input(const Shape& shape, const QuantParams& p, Source& rng) {
  Tensor x(DType::f32, shape);
  if (x.numel() == 0) return x;
  const BlockLayout layout = BlockLayout::derive(shape, p.scale.shape(), p.block_size);
  const auto scale = p.scale.data<float>();
  auto data = x.data<float>();
  std::vector<int64_t> index(size_t(shape.rank()), 0);
  const double span = double(p.quant_max) - double(p.quant_min);
  auto unit = [&] { return 0.7 * double(rng.integer(-(1 << 24), 1 << 24)) / double(1 << 24); };
  constexpr float kInf = std::numeric_limits<float>::infinity();
  for (int64_t flat = 0; flat < x.numel(); ++flat) {
    const float s = scale[size_t(layout.scale_index(index))];
    const double k = std::floor(unit() * std::min(span, 600.0));
    const int64_t pick = rng.integer(0, 15);
    const float sign = rng.boolean() ? 1.0f : -1.0f;
    float v;
    switch (pick) {
      case 0: case 1: case 2: v = float((k + 0.5) * s); break;
      case 3: v = next_up(float((k + 0.5) * s)); break;
      case 4: v = next_down(float((k + 0.5) * s)); break;
      case 5: v = float(k + 0.5) / (1.0f / s); break;
      case 6: v = sign * kInf; break;
      case 7: v = sign * std::ldexp(1.0f, int(rng.integer(20, 119))); break;
      case 8: v = sign * 0.0f; break;
      case 9: v = sign * float((int64_t{1} << rng.integer(23, 25)) + 0.5) * s; break;
      case 10: v = sign * std::numeric_limits<float>::max(); break;
      default: v = float(unit() * span * s * 1.3); break;
    }
    data[size_t(flat)] = v;
    for (int d = shape.rank() - 1; d >= 0; --d) {
      if (++index[size_t(d)] < shape[d]) break;
      index[size_t(d)] = 0;
    }
  }
  return x;
}

// Quantized input for dequantize: values over the whole storage range, so
// out-of-range stored values (accepted as they are) and |q| > 2^24 occur.
inline Tensor make_quantized(const Shape& shape, DType dtype, Source& rng) {
  const QuantParams storage = props::params_of({dtype, dtype_min(dtype), dtype_max(dtype)},
                                               ZeroPointDomain::none, Tensor());
  return props::draw_qvalues(rng, storage, shape, {0, 0, 1, 0});
}

// Bitwise equality of dtype, shape and every element; the message names the
// first differing element.
inline ::testing::AssertionResult same_tensor(const Tensor& expected, const Tensor& actual) {
  if (expected.dtype() != actual.dtype() || expected.shape() != actual.shape()) {
    return ::testing::AssertionFailure()
           << "expected " << dtype_name(expected.dtype()) << " " << expected.shape().str()
           << ", got " << dtype_name(actual.dtype()) << " " << actual.shape().str();
  }
  const size_t w = dtype_size(expected.dtype());
  const auto* a = static_cast<const unsigned char*>(expected.raw());
  const auto* b = static_cast<const unsigned char*>(actual.raw());
  for (int64_t i = 0; i < expected.numel(); ++i) {
    if (std::memcmp(a + size_t(i) * w, b + size_t(i) * w, w) != 0) {
      if (expected.dtype() == DType::f32) {
        return ::testing::AssertionFailure()
               << "element " << i << ": expected " << fmt::format("{} ({:a})", expected.f32_at(i), expected.f32_at(i))
               << ", got " << fmt::format("{} ({:a})", actual.f32_at(i), actual.f32_at(i));
      }
      return ::testing::AssertionFailure() << "element " << i << ": expected "
                                           << expected.int_at(i) << ", got " << actual.int_at(i);
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace qdiff::impl::testing
