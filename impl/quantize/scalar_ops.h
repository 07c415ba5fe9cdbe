// The portable one-lane vector-ops type of the row kernels
// (impl/quantize/kernel_rows.h): the scalar family's V, and the AVX2
// family's tail.
#pragma once

#include <cmath>
#include <cstdint>

#include "impl/quantize/kernels.h"

namespace qdiff::impl::kernels {

// Portable one-lane "vector". Tag makes each ISA unit's copy distinct.
template <class Tag>
struct ScalarOps {
  static constexpr int W = 1;
  static constexpr int kTailDropWidth = 8;  // emulates an 8-wide unrolled loop
  static constexpr bool kMaskedTail = false;
  static constexpr bool kHasRoundToInt = false;
  static constexpr bool kHasBytePacks = false;
  using F = float;
  using I = int32_t;
  using NanAcc = bool;

  static F load(const float* p) { return *p; }
  static F load_n(const float* p, int) { return *p; }  // W == 1: never partial
  static I loadi_n(const int32_t* p, int) { return *p; }
  static F set1(float v) { return v; }
  static I set1i(int32_t v) { return v; }
  static I loadi(const int32_t* p) { return *p; }
  static F add(F a, F b) { return a + b; }
  static F sub(F a, F b) { return a - b; }
  static F mul(F a, F b) { return a * b; }
  static F div(F a, F b) { return a / b; }
  // max(a, lo) returns lo when a is NaN, like x86 maxps(a, lo).
  static F max(F a, F lo) { return a > lo ? a : lo; }
  static F min(F a, F hi) { return a < hi ? a : hi; }
  static F nan_to(F v, F replacement) { return v != v ? replacement : v; }
  static F round_even(F v) { return std::nearbyint(v); }  // default mode: to nearest even
  static F round_away(F v) { return std::round(v); }
  static I to_int(F v) { return I(v); }  // callers pass integer values within int32
  static F to_float(I v) { return F(v); }
  static I addi(I a, I b) { return I(uint32_t(a) + uint32_t(b)); }  // wraps, no UB
  static I subi(I a, I b) { return I(uint32_t(a) - uint32_t(b)); }
  template <bool kAddZero>
  static I wide_clamp(F r, I z, double lo, double hi) {
    double t = double(r);
    if constexpr (kAddZero) t = t + double(z);
    t = t > lo ? t : lo;
    t = t < hi ? t : hi;
    return I(t);
  }
  static NanAcc nan_init() { return false; }
  static NanAcc nan_update(NanAcc acc, F a, F b) { return acc || a != a || b != b; }
  static bool nan_any(NanAcc acc) { return acc; }
  template <class Q>
  static void store(Q* p, I v) { *p = Q(v); }  // modular narrowing (values are in range
                                               // except under clamp_before_zero_point)
  static void storef(float* p, F v) { *p = v; }
  static void storef_stream(float* p, F v) { *p = v; }
  template <class Q>
  static I loadq(const Q* p) { return I(*p); }
  // choose_qparams
  static F hmin(F v) { return v; }
  static F hmax(F v) { return v; }
  static bool any_nan(F v) { return v != v; }
  static void prefetch(const float*, int64_t) {}
};

}  // namespace qdiff::impl::kernels
