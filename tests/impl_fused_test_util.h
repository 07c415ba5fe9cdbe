// Shared fixtures of the fused-operator unit tests (tests/impl_fused_*_test.cc):
// deterministic operands and params of every dtype, the options of each
// ISA, and the two checks every sweep makes:
//  - the oracle's acceptance rule (oracle/fused_oracle.h: reference/ as
//    the ideal value, the derived bound of oracle/fused_bound.h);
//  - "SIMD must make no difference": every ISA family and thread count
//    returns the same bits (the arithmetic contract fixes every f32 step).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"
#include "core/fused_ops.h"
#include "core/quant_params.h"
#include "core/tensor.h"
#include "impl/ops/fused_ops.h"
#include "impl/options.h"
#include "adapters/optimized_backend.h"
#include "oracle/backend_interface.h"
#include "oracle/fused_oracle.h"
#include "properties/domains.h"
#include "reference/fused_ops.h"
#include "tests/test_util.h"

namespace qdiff::impl::fused_testing {

using test_util::error_kind_of;
using test_util::supported_isas;

inline ImplOptions options_for(Isa isa, int threads = 1, FaultSet faults = {}) {
  ImplOptions o;
  o.isa = isa;
  o.threads = threads;
  o.faults = faults;
  if (threads > 1) o.parallel_threshold = 0;  // split even the smallest call
  return o;
}

using namespace props::quant_types;
using props::PrngSource;
using props::Source;

// Values in [qmin, qmax], with the range ends over-represented.
inline Tensor random_q(const QuantType& t, const Shape& shape, Source& rng) {
  const QuantParams range = props::params_of(t, ZeroPointDomain::none, Tensor());
  return props::draw_qvalues(rng, range, shape, {14, 2, 0, 0});
}

// middle: uniform in the middle half of the range (outputs then rarely saturate).
enum class Zero { none, random, middle, at_min, at_max };

// Params of type t with a scale of `scale_shape` (values around base) and
// an i32 zero point of the same shape.
inline QuantParams make_params(const QuantType& t, const Shape& scale_shape, float base, Zero zero,
                               Source& rng,
                               std::optional<std::vector<int64_t>> block = std::nullopt) {
  QuantParams p = props::params_of(t, ZeroPointDomain::int_domain, Tensor(DType::f32, scale_shape),
                                   std::move(block));
  for (auto& s : p.scale.data<float>()) s = props::draw_scale_near(rng, base);
  if (zero != Zero::none) {
    const int64_t quarter = (t.quant_max - t.quant_min) / 4;
    const int64_t lo = zero == Zero::middle ? t.quant_min + quarter : t.quant_min;
    const int64_t hi = zero == Zero::middle ? t.quant_max - quarter : t.quant_max;
    std::vector<int64_t> z(size_t(p.scale.numel()));
    for (auto& v : z) v = zero == Zero::at_min ? t.quant_min : zero == Zero::at_max ? t.quant_max : rng.integer(lo, hi);
    p.zero_point = props::integer_tensor(DType::i32, scale_shape, z);
  }
  return p;
}

// Output params of type t that spread the outputs over the range: the real
// results y are taken from reference/ (run once with an i32 output of scale 1),
// the scale from their spread, the zero point from their mean. Per-channel
// (channel_dim >= 0): scale [1, .., C, .., 1] of factors around that scale.
template <typename Args>
void fit_output_params(Args& a, const QuantType& t, int channel_dim, Source& rng) {
  const int rank = [&] {
    if constexpr (std::is_same_v<Args, QLinearArgs>) return a.x.shape().rank();
    if constexpr (std::is_same_v<Args, QConv2dArgs>) return 4;
    if constexpr (std::is_same_v<Args, QElementwiseArgs>) {
      return std::max(a.a.shape().rank(), a.b.shape().rank());
    }
  }();
  a.out_params = QuantParams::per_tensor(1.0f, 0, DType::i32, INT32_MIN, INT32_MAX);
  a.out_params.zero_point.reset();
  reference::IdealResult probe;
  if constexpr (std::is_same_v<Args, QLinearArgs>) probe = reference::qlinear(a);
  if constexpr (std::is_same_v<Args, QConv2dArgs>) probe = reference::qconv2d(a);
  if constexpr (std::is_same_v<Args, QElementwiseArgs>) probe = reference::qelementwise(a);
  double sum = 0, sum2 = 0, max_abs = 0;
  int64_t n = 0;
  for (double y : probe.pre_rounding) {
    if (!std::isfinite(y) || std::fabs(y) > 1e30) continue;
    sum += y;
    sum2 += y * y;
    max_abs = std::max(max_abs, std::fabs(y));
    ++n;
  }
  const double mean = n ? sum / double(n) : 0.0;
  const double sd = n ? std::sqrt(std::max(sum2 / double(n) - mean * mean, 0.0)) : 1.0;
  const double span = double(t.quant_max - t.quant_min);
  const double mid = (double(t.quant_min) + double(t.quant_max)) / 2.0;
  float s = float(std::max(sd, 1e-6) / std::max(span / 6.0, 1.0));
  double zd = std::nearbyint(mid - mean / double(s));
  if (zd < double(t.quant_min) || zd > double(t.quant_max)) {
    // y far from 0 relative to its spread: anchor the zero point at the end
    // away from the data and fit max |y| into the range.
    s = float(std::max(max_abs, 1e-6) / std::max(span, 1.0) * 1.05);
    zd = mean > 0 ? double(t.quant_min) : double(t.quant_max);
  }
  const int64_t z = int64_t(zd);
  Shape shape = Shape::ones(rank);
  const Shape out = probe.output.shape();
  if (channel_dim >= 0 && out.rank() > channel_dim) shape[channel_dim] = out[channel_dim];
  QuantParams p = make_params(t, shape, s, Zero::none, rng);
  // Per-channel factors >= 1 (a smaller scale would push outputs out of range).
  static const float kWider[] = {1.0f, 1.25f, 1.3f, 1.5f, 1.0f / 0.9f};
  auto sv = p.scale.data<float>();
  for (size_t i = 0; i < sv.size(); ++i) sv[i] = i == 0 ? s : s * kWider[rng.index(5)];
  Tensor zp(DType::i32, shape);
  for (auto& v : zp.data<int32_t>()) v = int32_t(z);
  p.zero_point = std::move(zp);
  a.out_params = std::move(p);
}

inline Tensor random_bias(int64_t k, float magnitude, Source& rng) {
  Tensor b(DType::f32, Shape{k});
  for (auto& v : b.data<float>()) v = magnitude * float(rng.integer(-(1 << 24), 1 << 24)) / float(1 << 24);
  return b;
}

// Runs the oracle on the optimized backend with `options`.
template <typename Args>
Verdict check(const Args& args, const ImplOptions& options) {
  const auto backend = make_optimized_backend(options);
  if constexpr (std::is_same_v<Args, QLinearArgs>) return check_qlinear(args, *backend);
  if constexpr (std::is_same_v<Args, QConv2dArgs>) return check_qconv2d(args, *backend);
  if constexpr (std::is_same_v<Args, QElementwiseArgs>) return check_qelementwise(args, *backend);
}

template <typename Args>
Tensor run(const Args& args, const ImplOptions& options) {
  if constexpr (std::is_same_v<Args, QLinearArgs>) return qlinear(args, options);
  if constexpr (std::is_same_v<Args, QConv2dArgs>) return qconv2d(args, options);
  if constexpr (std::is_same_v<Args, QElementwiseArgs>) return qelementwise(args, options);
}

// The first element where two outputs differ, or "" if they are bitwise equal.
inline std::string first_difference(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) {
    return fmt::format("{} {} vs {} {}", dtype_name(a.dtype()), a.shape().str(),
                       dtype_name(b.dtype()), b.shape().str());
  }
  for (int64_t i = 0; i < a.numel(); ++i) {
    if (a.int_at(i) != b.int_at(i)) {
      return fmt::format("element {}: {} vs {}", i, a.int_at(i), b.int_at(i));
    }
  }
  return "";
}

// The oracle on every ISA, and every ISA (and 2 threads) bitwise equal to
// the scalar family. Returns the outputs tolerated by the derived bound.
template <typename Args>
int64_t expect_agrees_everywhere(const Args& args, const std::string& what) {
  int64_t tolerated = 0;
  std::optional<Tensor> scalar;
  for (Isa isa : supported_isas()) {
    const Verdict v = check(args, options_for(isa));
    EXPECT_TRUE(v.ok) << what << " on " << isa_name(isa) << ": " << v.describe();
    if (!v.ok) return tolerated;
    tolerated += v.tolerated;
    const Tensor out = run(args, options_for(isa));
    if (!scalar) {
      scalar = out;
    } else {
      EXPECT_EQ(first_difference(*scalar, out), "") << what << ": " << isa_name(isa)
                                                    << " differs from scalar";
    }
  }
  const Tensor threaded = run(args, options_for(supported_isas().back(), 2));
  EXPECT_EQ(first_difference(*scalar, threaded), "") << what << ": 2 threads differ";
  return tolerated;
}

// A sweep whose outputs are all equal or mostly saturated would pass for
// the wrong reasons: outputs of 16 or more elements must take at least 3
// values, at most half of them at a range end.
inline void expect_informative(const Tensor& out, int64_t qmin, int64_t qmax,
                               const std::string& what) {
  if (out.numel() < 16) return;
  std::vector<int64_t> seen;
  int64_t at_ends = 0;
  for (int64_t i = 0; i < out.numel(); ++i) {
    const int64_t v = out.int_at(i);
    at_ends += v == qmin || v == qmax;
    if (seen.size() < 3 && std::find(seen.begin(), seen.end(), v) == seen.end()) seen.push_back(v);
  }
  EXPECT_GE(seen.size(), 3u) << what << ": outputs take fewer than 3 values";
  EXPECT_LE(at_ends * 2, out.numel()) << what << ": most outputs saturate";
}

}  // namespace qdiff::impl::fused_testing
