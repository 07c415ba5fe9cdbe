// The output stage of every fused operator: steps 3-4 of the arithmetic
// contract in impl/ops/fused_ops.h, for one f32 value y per output:
//   y = f32(y + bias[k])                (qlinear / qconv2d with a bias)
//   y = act(y)                          relu: y < 0 ? 0 : y; clamp: lo / hi,
//                                       both pass NaN through
//   q = clamp(round_half_even(f32(y / s_out)) + z_out, qmin, qmax)
//     (output_zero_point before_rounding: clamp(round_half_even(f32(f32(y / s_out) + f32(z_out)))))
//   a NaN f32(y / s_out) gives clamp(z_out) (docs/validation-order.md, NaN rule)
//
// Two forms compute the same values:
//  - output_value(): one element, any range, any fault variant;
//  - quantize_run_narrow(): a run of elements, written so the compiler
//    vectorizes it (it is compiled in each ISA's translation unit). It
//    needs "narrow" bounds: lo = qmin - z - 1 and hi = qmax - z + 1 within
//    +-2^22 and qmin - 1, qmax + 1 within int32, so that clamping f32(y / s) to [lo, hi] before rounding is
//    exact (rounding is monotonic and lo, hi are integers, so the final
//    clamp gives the same q) and round half to even is the exact f32
//    identity (v + 1.5 * 2^23) - 1.5 * 2^23 for |v| <= 2^22.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/fused_ops.h"

namespace qdiff::impl {

// Which formula the output stage follows: the contract, or a fault point
// (impl/fault_points.h) chosen when the call is planned.
enum class OutputVariant : uint8_t {
  exact,
  bias_after_requantization,        // FAULT POINT: y / s_out + bias
  // round(f32(f32(y / s_out) + z_out)): qlinear / qconv2d's contract
  // output_zero_point before_rounding, and the FAULT POINT of that name
  // under after_rounding (and for qadd / qmul)
  output_zero_point_before_rounding,
};

inline constexpr int64_t kNarrowOutputLimit = int64_t{1} << 22;
inline constexpr float kRoundingShift = 12582912.0f;  // 1.5 * 2^23

struct OutputStage {
  Activation activation;
  int64_t qmin = 0, qmax = 0;
  OutputVariant variant = OutputVariant::exact;
};

// The functions have internal linkage: translation units compiled with
// different -m flags (the ISA kernels) must not share one copy.
namespace {

inline float activate(float y, const Activation& a) {
  switch (a.kind) {
    case ActivationKind::none:
      return y;
    case ActivationKind::relu:
      return y < 0.0f ? 0.0f : y;
    case ActivationKind::clamp:
      if (y < a.lo) return a.lo;
      if (y > a.hi) return a.hi;
      return y;
  }
  return y;
}

// clamp(round_half_even(v) + z, qmin, qmax) for any f32 v, without UB:
// |v| >= 2^40 saturates (|z|, |qmin|, |qmax| < 2^32), NaN gives clamp(z).
inline int64_t quantize_output_value(float v, int64_t z, int64_t qmin, int64_t qmax) {
  int64_t t;
  if (std::isnan(v)) {
    t = z;
  } else if (v >= 0x1p40f) {
    return qmax;
  } else if (v <= -0x1p40f) {
    return qmin;
  } else {
    t = int64_t(std::nearbyint(v)) + z;  // nearbyint rounds half to even (default mode)
  }
  return t < qmin ? qmin : t > qmax ? qmax : t;
}

// One output from its pre-bias y. bias is ignored when has_bias is false.
inline int64_t output_value(float y, bool has_bias, float bias, float s, int64_t z,
                            const OutputStage& st) {
  if (has_bias && st.variant != OutputVariant::bias_after_requantization) y = y + bias;
  y = activate(y, st.activation);
  float v = y / s;
  if (has_bias && st.variant == OutputVariant::bias_after_requantization) {
    // FAULT POINT bias_after_requantization: replaces `y = f32(y + bias[k])`
    // before the division by adding the bias in output units.
    v = v + bias;
  }
  if (st.variant == OutputVariant::output_zero_point_before_rounding) {
    // The before_rounding contract, or FAULT POINT output_zero_point_before_rounding
    // (impl/ops/gemm_driver.cc output_variant): rounds f32(y / s_out + f32(z_out)).
    if (std::isnan(v)) return quantize_output_value(v, z, st.qmin, st.qmax);
    v = v + float(z);
    return quantize_output_value(v, 0, st.qmin, st.qmax);
  }
  return quantize_output_value(v, z, st.qmin, st.qmax);
}

// The narrow vectorizable form over a run of n outputs; params are arrays
// of n (per element) or, with kScalarParams, element 0 for all. y already
// holds bias + activation. lo / hi as in the header comment.
template <bool kScalarParams, typename OutT>
inline void quantize_run_narrow(const float* __restrict y, int64_t n, const float* __restrict s,
                                const int32_t* __restrict z, const float* __restrict lo,
                                const float* __restrict hi, int32_t qmin, int32_t qmax,
                                OutT* __restrict out) {
  for (int64_t i = 0; i < n; ++i) {
    const int64_t p = kScalarParams ? 0 : i;
    float v = y[i] / s[p];
    v = v != v ? 0.0f : v;  // NaN quantizes as the real value 0
    v = v < lo[p] ? lo[p] : v;
    v = v > hi[p] ? hi[p] : v;
    const float r = (v + kRoundingShift) - kRoundingShift;
    int32_t t = int32_t(r) + z[p];
    t = t < qmin ? qmin : t;
    t = t > qmax ? qmax : t;
    out[i] = OutT(t);
  }
}

// y[i] = act(y[i] + bias[i]) over a run (bias null: act only), vectorizable.
inline void bias_and_activation_run(float* __restrict y, int64_t n, const float* __restrict bias,
                                    const Activation& a) {
  if (bias) {
    for (int64_t i = 0; i < n; ++i) y[i] = y[i] + bias[i];
  }
  switch (a.kind) {
    case ActivationKind::none:
      break;
    case ActivationKind::relu:
      for (int64_t i = 0; i < n; ++i) y[i] = y[i] < 0.0f ? 0.0f : y[i];
      break;
    case ActivationKind::clamp: {
      const float lo = a.lo, hi = a.hi;
      for (int64_t i = 0; i < n; ++i) {
        float v = y[i];
        v = v < lo ? lo : v;
        v = v > hi ? hi : v;
        y[i] = v;
      }
      break;
    }
  }
}

}  // namespace
}  // namespace qdiff::impl
