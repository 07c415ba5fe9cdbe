// The row kernels of every ISA family, written once over a vector-ops type
// V (ScalarOps below, Avx2Ops in kernels_avx2.cc, Avx512Ops in
// kernels_avx512.cc). Each ISA translation unit includes this header and
// instantiates make_kernel_table<V>() with its own V; every template here
// depends on V and the two helper functions are static, so code compiled
// with different -m flags never shares a symbol (no ODR mix of AVX-512 and
// portable code).
//
// Structure of one row (RowTask): drive_row() splits [begin, end) into
// runs sharing one scale (span_const: the scale's parameters are
// broadcast once and kept in registers), runs of whole groups
// (span_groups), or, for a scale that changes every element, one run
// reading the parameters as vectors (span_each; rows_each when the loop
// nest hands over a batch of rows sharing one parameter row). Each span
// has an unrolled full-vector loop, a single-vector loop and a tail
// (masked on AVX-512, the scalar formula on AVX2). On AVX-512 the common
// byte outputs take the fast form of kByteFastPath.
//
// The formulas are those of kernels.h; docs/impl-quantize.md has the
// exactness argument. Only IEEE f32 / f64 add, sub, mul, div, round and
// min/max are used, in the order written; never FMA.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

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

// Scale parameters of the elements of one vector.
template <class V>
struct Params {
  typename V::F inv{}, s{}, mv{}, zf{}, lo{}, hi{};
  typename V::I zi{};
  int32_t z = 0;  // the zero point of a one-scale run (byte fast path)
};

template <class V, class O>
inline constexpr bool kIsFake = std::is_same_v<O, float>;

// The fast AVX-512 form of the common case, for runs with one scale:
// q = to_int_rne(clamp(v, qmin - z, qmax - z)) + z. Equal to
// clamp(round(v) + z, qmin, qmax) because rounding is monotonic and maps
// the integers qmin - z, qmax - z (exact f32 in the narrow range) to
// themselves.
template <class V, QuantizeConfig C, class O, bool kConst>
inline constexpr bool kFastPath =
    V::kHasRoundToInt && kConst && !kIsFake<V, O> && C.range == RangeMode::narrow &&
    C.rounding == Rounding::half_even &&
    (C.zero_point == ZeroPointMode::none || C.zero_point == ZeroPointMode::add_after);

template <class V, QuantizeConfig C, class O, bool kConst>
inline Params<V> const_params(const ScaleColumns& sc, int64_t k, const KernelConsts& kc) {
  Params<V> p;
  if constexpr (C.scaling == Scaling::reciprocal) p.inv = V::set1(sc.inverse[k]);
  if constexpr (C.scaling != Scaling::reciprocal) p.s = V::set1(sc.scale[k]);
  if constexpr (C.scaling == Scaling::float_domain) p.mv = V::set1(sc.min_val[k]);
  if constexpr (kFastPath<V, C, O, kConst>) {
    const float zf = C.zero_point == ZeroPointMode::none ? 0.0f : float(sc.zero_i[k]);
    p.lo = V::set1(kc.qmin_f - zf);  // exact: narrow range
    p.hi = V::set1(kc.qmax_f - zf);
    if constexpr (C.zero_point != ZeroPointMode::none) {
      p.z = sc.zero_i[k];
      p.zi = V::set1i(p.z);
    }
  } else {
    if constexpr (C.zero_point != ZeroPointMode::none) {
      p.zi = V::set1i(sc.zero_i[k]);
      p.zf = V::set1(float(sc.zero_i[k]));  // f32(z), rounded to nearest even
    }
  }
  return p;
}

// The quantize formula for one vector. Returns the integer q (O = storage
// type) or, for fake_quantize (O = float), the dequantized f32 value.
template <class V, QuantizeConfig C, class O, bool kConst>
struct QuantizeMath {
  using F = typename V::F;
  using I = typename V::I;

  static F pre_rounding(F x, const Params<V>& p) {
    if constexpr (C.scaling == Scaling::reciprocal) {
      return V::mul(x, p.inv);
    } else if constexpr (C.scaling == Scaling::divide) {
      return V::div(x, p.s);
    } else {
      // x = +-inf minus a min_val that overflowed to the same infinity is
      // NaN; it saturates by the sign of x like every other +-inf (SPEC 4,
      // docs/validation-order.md), so the NaN becomes x itself. (A NaN x
      // stays NaN and is reported as nan_input.)
      const F v = V::div(V::sub(x, p.mv), p.s);
      return V::nan_to(v, x);
    }
  }

  static F round(F v) {
    if constexpr (C.rounding == Rounding::half_even) return V::round_even(v);
    else return V::round_away(v);
  }

  // Returns V::I (the integer q) or, for fake_quantize, V::F.
  static auto apply(F x, const Params<V>& p, const KernelConsts& kc) {
    F v = pre_rounding(x, p);
    if constexpr (kFastPath<V, C, O, kConst>) {
      const I q = V::round_to_int_even(V::min(V::max(v, p.lo), p.hi));
      if constexpr (C.zero_point == ZeroPointMode::none) return q;
      else return V::addi(q, p.zi);
    } else {
      if constexpr (C.zero_point == ZeroPointMode::add_before) v = V::add(v, p.zf);
      const F r = round(v);
      if constexpr (C.zero_point == ZeroPointMode::clamp_first) {
        // FAULT POINT clamp_before_zero_point (selected in plan.cc): clamps
        // round(v) to [qmin, qmax], then adds z with wrap-around.
        I c;
        if constexpr (C.range == RangeMode::narrow) {
          c = V::to_int(V::min(V::max(r, V::set1(kc.qmin_f)), V::set1(kc.qmax_f)));
        } else {
          c = V::template wide_clamp<false>(r, p.zi, kc.qmin_d, kc.qmax_d);
        }
        const I q = V::addi(c, p.zi);
        if constexpr (kIsFake<V, O>) return dequantize_fake(V::to_float(q), p, kc);
        else return q;
      } else if constexpr (C.range == RangeMode::narrow) {
        F t = r;
        if constexpr (C.zero_point == ZeroPointMode::add_after) t = V::add(t, p.zf);
        t = V::min(V::max(t, V::set1(kc.qmin_f)), V::set1(kc.qmax_f));
        if constexpr (kIsFake<V, O>) {
          // t is the integer q exactly; + 0.0f turns a -0.0 into f32(0) = +0.0.
          return dequantize_fake(V::add(t, V::set1(0.0f)), p, kc);
        } else {
          return V::to_int(t);
        }
      } else {
        const I q = V::template wide_clamp<C.zero_point == ZeroPointMode::add_after>(
            r, p.zi, kc.qmin_d, kc.qmax_d);
        if constexpr (kIsFake<V, O>) return dequantize_fake(V::to_float(q), p, kc);
        else return q;
      }
    }
  }

  // fake_quantize: the dequantize formula of the same domain applied to f32(q).
  static F dequantize_fake(F fq, const Params<V>& p, const KernelConsts& kc) {
    const F s = p.s;
    if constexpr (C.scaling == Scaling::float_domain) {
      return V::add(V::mul(V::sub(fq, V::set1(kc.mid)), s), p.zf);
    } else if constexpr (C.zero_point == ZeroPointMode::none) {
      return V::mul(fq, s);
    } else {
      return V::mul(V::sub(fq, p.zf), s);
    }
  }
};

// fake_quantize needs s and, in the float domain, z even where quantize
// does not; this adds them.
template <class V, QuantizeConfig C, class O, bool kConst>
inline void add_fake_params(Params<V>& p, const ScaleColumns& sc, int64_t k) {
  if constexpr (kIsFake<V, O>) {
    p.s = V::set1(sc.scale[k]);
    if constexpr (C.scaling == Scaling::float_domain) p.zf = V::set1(sc.zero_f[k]);
  }
}

// Forward declaration: AVX2 tails run the same formula with ScalarOps.
template <class V, QuantizeConfig C, class O>
bool quantize_span_const(const float* x, O* out, int64_t n, const ScaleColumns& sc, int64_t k,
                         const KernelConsts& kc);
template <class V, QuantizeConfig C, class O>
bool quantize_span_each(const float* x, O* out, int64_t n, const ScaleColumns& sc,
                        int64_t base, const KernelConsts& kc);

template <class V, QuantizeConfig C, class O, class R>
inline void store_result(O* out, const R& r) {
  if constexpr (kIsFake<V, O>) V::storef(out, r);
  else V::template store<O>(out, r);
}

// The byte fast path (AVX-512, i8 [-128, 127] / u8 [0, 255], the common
// contracts): r = to_int_rne(sign(v) * min(|v|, 2^30)) is round(v) for
// |v| <= 2^30 and saturates beyond (every such value clamps to the same
// bound); the zero point is added in int32 or, after the first pack, with
// saturating int16 adds; the saturating packs to bytes then ARE the clamp
// to the full storage range: sat8(sat16(r) + z) == clamp(r + z) because a
// saturated sat16(r) is beyond +-32767 - 255, far outside the byte range.
template <class V, QuantizeConfig C, class O>
inline constexpr bool kByteFastPath =
    V::kHasBytePacks && sizeof(O) == 1 && !kIsFake<V, O> && C.range == RangeMode::narrow &&
    C.rounding == Rounding::half_even &&
    (C.zero_point == ZeroPointMode::none || C.zero_point == ZeroPointMode::add_after);

static inline bool aligned64(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 63) == 0; }
// Software prefetch distance of the byte fast path, in f32 elements
// (32 KiB; measured best of 2, 8 and 32 KiB at the DRAM size).
inline constexpr int64_t kPrefetchAhead = 8192;

// Elements [0, n) sharing the parameters p of flat scale element k (k is
// only used by the scalar tail of AVX2). Inlined into the span and group
// loops; sc and kc are the callers' local copies, so the compiler keeps
// them in registers (the int8 stores could otherwise alias them).
template <class V, QuantizeConfig C, class O>
__attribute__((always_inline)) inline bool quantize_run(const float* x, O* out, int64_t n,
                                                        const Params<V>& p,
                                                        const ScaleColumns& sc, int64_t k,
                                                        const KernelConsts& kc) {
  using M = QuantizeMath<V, C, O, true>;
  constexpr int W = V::W;
  auto nan = V::nan_init();
  int64_t j = 0;
  if constexpr (kByteFastPath<V, C, O>) {
    if (kc.full_byte_range) {
      const auto bound = V::set1(1073741824.0f);  // 2^30
      const auto z16 = V::set1_i16(int16_t(p.z));
      for (; j + 4 * W <= n; j += 4 * W) {
        V::prefetch(x + j, kPrefetchAhead);
        const auto x0 = V::load(x + j), x1 = V::load(x + j + W);
        const auto x2 = V::load(x + j + 2 * W), x3 = V::load(x + j + 3 * W);
        nan = V::nan_update(nan, x0, x1);
        nan = V::nan_update(nan, x2, x3);
        const auto r0 = V::round_to_int_even(V::clamp_abs(M::pre_rounding(x0, p), bound));
        const auto r1 = V::round_to_int_even(V::clamp_abs(M::pre_rounding(x1, p), bound));
        const auto r2 = V::round_to_int_even(V::clamp_abs(M::pre_rounding(x2, p), bound));
        const auto r3 = V::round_to_int_even(V::clamp_abs(M::pre_rounding(x3, p), bound));
        V::template store4_saturated<O>(out + j, r0, r1, r2, r3, z16,
                                        kc.stream_stores && aligned64(out + j));
      }
      for (; j + 2 * W <= n; j += 2 * W) {
        const auto x0 = V::load(x + j), x1 = V::load(x + j + W);
        nan = V::nan_update(nan, x0, x1);
        const auto r0 = V::round_to_int_even(V::clamp_abs(M::pre_rounding(x0, p), bound));
        const auto r1 = V::round_to_int_even(V::clamp_abs(M::pre_rounding(x1, p), bound));
        V::template store2_saturated<O>(out + j, r0, r1, z16);
      }
    }
  }
  for (; j + 4 * W <= n; j += 4 * W) {
    const auto x0 = V::load(x + j), x1 = V::load(x + j + W);
    const auto x2 = V::load(x + j + 2 * W), x3 = V::load(x + j + 3 * W);
    nan = V::nan_update(nan, x0, x1);
    nan = V::nan_update(nan, x2, x3);
    const auto q0 = M::apply(x0, p, kc), q1 = M::apply(x1, p, kc);
    const auto q2 = M::apply(x2, p, kc), q3 = M::apply(x3, p, kc);
    store_result<V, C, O>(out + j, q0);
    store_result<V, C, O>(out + j + W, q1);
    store_result<V, C, O>(out + j + 2 * W, q2);
    store_result<V, C, O>(out + j + 3 * W, q3);
  }
  for (; j + W <= n; j += W) {
    const auto x0 = V::load(x + j);
    nan = V::nan_update(nan, x0, x0);
    store_result<V, C, O>(out + j, M::apply(x0, p, kc));
  }
  bool tail_nan = false;
  if (j < n) {
    if constexpr (V::kMaskedTail) {
      const int m = int(n - j);
      const auto x0 = V::load_n(x + j, m);  // zero-filled lanes beyond m
      nan = V::nan_update(nan, x0, x0);
      const auto r = M::apply(x0, p, kc);
      if constexpr (kIsFake<V, O>) V::storef_n(out + j, r, m);
      else V::template store_n<O>(out + j, r, m);
    } else if constexpr (W > 1) {
      tail_nan = quantize_span_const<typename V::Scalar, C, O>(x + j, out + j, n - j, sc, k, kc);
    }
  }
  return V::nan_any(nan) || tail_nan;
}

template <class V, QuantizeConfig C, class O>
inline Params<V> run_params(const ScaleColumns& sc, int64_t k, const KernelConsts& kc) {
  Params<V> p = const_params<V, C, O, true>(sc, k, kc);
  add_fake_params<V, C, O, true>(p, sc, k);
  return p;
}

// Elements [0, n) of a run whose scale is the flat scale element k.
template <class V, QuantizeConfig C, class O>
bool quantize_span_const(const float* x, O* out, int64_t n, const ScaleColumns& sc_ref, int64_t k,
                         const KernelConsts& kc_ref) {
  const ScaleColumns sc = sc_ref;
  const KernelConsts kc = kc_ref;
  return quantize_run<V, C, O>(x, out, n, run_params<V, C, O>(sc, k, kc), sc, k, kc);
}

// `groups` consecutive runs of g elements, run i using flat scale element
// k + i * k_step.
template <class V, QuantizeConfig C, class O>
bool quantize_span_groups(const float* x, O* out, int64_t groups, int64_t g,
                          const ScaleColumns& sc_ref, int64_t k, int64_t k_step,
                          const KernelConsts& kc_ref) {
  const ScaleColumns sc = sc_ref;
  const KernelConsts kc = kc_ref;
  bool nan = false;
  if constexpr (kByteFastPath<V, C, O>) {
    if (kc.full_byte_range && g % (2 * V::W) == 0) {
      // Whole groups of a multiple of 2W elements (g = 32, 64, 128 ...):
      // only the parameters this path needs are broadcast per group.
      using M = QuantizeMath<V, C, O, true>;
      constexpr int W = V::W;
      const auto bound = V::set1(1073741824.0f);  // 2^30
      auto acc = V::nan_init();
      // Only the parameters this path needs, broadcast (group kk).
      const auto group_params = [&sc](int64_t kk) {
        Params<V> p;
        if constexpr (C.scaling == Scaling::reciprocal) p.inv = V::set1(sc.inverse[kk]);
        if constexpr (C.scaling != Scaling::reciprocal) p.s = V::set1(sc.scale[kk]);
        if constexpr (C.scaling == Scaling::float_domain) p.mv = V::set1(sc.min_val[kk]);
        return p;
      };
      const auto group_z16 = [&sc](int64_t kk) {
        return V::set1_i16(C.zero_point == ZeroPointMode::none ? int16_t(0) : int16_t(sc.zero_i[kk]));
      };
      int64_t i = 0;
      if (g == 2 * W) {
        // Groups of 2W (g = 32): two groups per four vectors and one 64-byte
        // store, streamed past the cache like the longer groups' stores.
        for (; i + 1 < groups; i += 2, x += 2 * g, out += 2 * g, k += 2 * k_step) {
          const Params<V> pa = group_params(k), pb = group_params(k + k_step);
          const auto za = group_z16(k), zb = group_z16(k + k_step);
          const auto x0 = V::load(x), x1 = V::load(x + W), x2 = V::load(x + 2 * W), x3 = V::load(x + 3 * W);
          acc = V::nan_update(acc, x0, x1);
          acc = V::nan_update(acc, x2, x3);
          const auto r0 = V::round_to_int_even(V::clamp_abs(M::pre_rounding(x0, pa), bound));
          const auto r1 = V::round_to_int_even(V::clamp_abs(M::pre_rounding(x1, pa), bound));
          const auto r2 = V::round_to_int_even(V::clamp_abs(M::pre_rounding(x2, pb), bound));
          const auto r3 = V::round_to_int_even(V::clamp_abs(M::pre_rounding(x3, pb), bound));
          V::template store4_saturated<O>(out, r0, r1, r2, r3, za, zb, kc.stream_stores && aligned64(out));
        }
      }
      for (; i < groups; ++i, x += g, out += g, k += k_step) {
        const Params<V> p = group_params(k);
        const auto z16 = group_z16(k);
        int64_t j = 0;
        for (; j + 4 * W <= g; j += 4 * W) {
          const auto x0 = V::load(x + j), x1 = V::load(x + j + W);
          const auto x2 = V::load(x + j + 2 * W), x3 = V::load(x + j + 3 * W);
          acc = V::nan_update(acc, x0, x1);
          acc = V::nan_update(acc, x2, x3);
          const auto r0 = V::round_to_int_even(V::clamp_abs(M::pre_rounding(x0, p), bound));
          const auto r1 = V::round_to_int_even(V::clamp_abs(M::pre_rounding(x1, p), bound));
          const auto r2 = V::round_to_int_even(V::clamp_abs(M::pre_rounding(x2, p), bound));
          const auto r3 = V::round_to_int_even(V::clamp_abs(M::pre_rounding(x3, p), bound));
          V::template store4_saturated<O>(out + j, r0, r1, r2, r3, z16,
                                          kc.stream_stores && aligned64(out + j));
        }
        for (; j < g; j += 2 * W) {
          const auto x0 = V::load(x + j), x1 = V::load(x + j + W);
          acc = V::nan_update(acc, x0, x1);
          const auto r0 = V::round_to_int_even(V::clamp_abs(M::pre_rounding(x0, p), bound));
          const auto r1 = V::round_to_int_even(V::clamp_abs(M::pre_rounding(x1, p), bound));
          V::template store2_saturated<O>(out + j, r0, r1, z16);
        }
      }
      return V::nan_any(acc);
    }
  }
  for (int64_t i = 0; i < groups; ++i, x += g, out += g, k += k_step) {
    nan |= quantize_run<V, C, O>(x, out, g, run_params<V, C, O>(sc, k, kc), sc, k, kc);
  }
  return nan;
}

template <class V, QuantizeConfig C, class O>
inline Params<V> each_params(const ScaleColumns& sc, int64_t i, int m) {
  // m < V::W: partial (masked) load of the last vector
  auto lf = [&](const float* p) { return m == V::W ? V::load(p + i) : V::load_n(p + i, m); };
  auto li = [&](const int32_t* p) { return m == V::W ? V::loadi(p + i) : V::loadi_n(p + i, m); };
  Params<V> p;
  if constexpr (C.scaling == Scaling::reciprocal) p.inv = lf(sc.inverse);
  if constexpr (C.scaling != Scaling::reciprocal || kIsFake<V, O>) p.s = lf(sc.scale);
  if constexpr (C.scaling == Scaling::float_domain) {
    p.mv = lf(sc.min_val);
    if constexpr (kIsFake<V, O>) p.zf = lf(sc.zero_f);
  }
  if constexpr (C.zero_point != ZeroPointMode::none) {
    p.zi = li(sc.zero_i);
    p.zf = V::to_float(p.zi);  // f32(z), rounded to nearest even
  }
  return p;
}

// Elements [0, n) of a run where element j uses flat scale element base + j.
template <class V, QuantizeConfig C, class O>
bool quantize_span_each(const float* x, O* out, int64_t n, const ScaleColumns& sc_ref,
                        int64_t base, const KernelConsts& kc_ref) {
  using M = QuantizeMath<V, C, O, false>;
  constexpr int W = V::W;
  const ScaleColumns sc = sc_ref;
  const KernelConsts kc = kc_ref;
  auto nan = V::nan_init();
  int64_t j = 0;
  if constexpr (kByteFastPath<V, C, O>) {
    if (kc.full_byte_range) {
      // as in quantize_run, with the zero point added in int32 per element
      const auto bound = V::set1(1073741824.0f);  // 2^30
      const auto none = V::set1_i16(0);
      for (; j + 4 * W <= n; j += 4 * W) {
        V::prefetch(x + j, kPrefetchAhead);
        typename V::I r[4];
        for (int u = 0; u < 4; ++u) {
          const auto xu = V::load(x + j + u * W);
          nan = V::nan_update(nan, xu, xu);
          const auto pu = each_params<V, C, O>(sc, base + j + u * W, W);
          r[u] = V::round_to_int_even(V::clamp_abs(M::pre_rounding(xu, pu), bound));
          if constexpr (C.zero_point == ZeroPointMode::add_after) {
            r[u] = V::addi(r[u], V::loadi(sc.zero_i + base + j + u * W));
          }
        }
        V::template store4_saturated<O>(out + j, r[0], r[1], r[2], r[3], none,
                                        kc.stream_stores && aligned64(out + j));
      }
    }
  }
  for (; j + 2 * W <= n; j += 2 * W) {
    const auto x0 = V::load(x + j), x1 = V::load(x + j + W);
    nan = V::nan_update(nan, x0, x1);
    const auto p0 = each_params<V, C, O>(sc, base + j, W);
    const auto p1 = each_params<V, C, O>(sc, base + j + W, W);
    const auto q0 = M::apply(x0, p0, kc), q1 = M::apply(x1, p1, kc);
    store_result<V, C, O>(out + j, q0);
    store_result<V, C, O>(out + j + W, q1);
  }
  for (; j + W <= n; j += W) {
    const auto x0 = V::load(x + j);
    nan = V::nan_update(nan, x0, x0);
    store_result<V, C, O>(out + j, M::apply(x0, each_params<V, C, O>(sc, base + j, W), kc));
  }
  bool tail_nan = false;
  if (j < n) {
    if constexpr (V::kMaskedTail) {
      const int m = int(n - j);
      const auto x0 = V::load_n(x + j, m);
      nan = V::nan_update(nan, x0, x0);
      const auto r = M::apply(x0, each_params<V, C, O>(sc, base + j, m), kc);
      if constexpr (kIsFake<V, O>) V::storef_n(out + j, r, m);
      else V::template store_n<O>(out + j, r, m);
    } else if constexpr (W > 1) {
      tail_nan =
          quantize_span_each<typename V::Scalar, C, O>(x + j, out + j, n - j, sc, base + j, kc);
    }
  }
  return V::nan_any(nan) || tail_nan;
}

// Splits a row into runs of one scale: run_const(begin, end, k), runs of
// whole groups: run_groups(begin, count, k) (group i uses k + i *
// group_stride), and runs of one scale per element: run_each(begin, end,
// base).
template <class ConstFn, class GroupsFn, class EachFn>
inline bool drive_row(const RowTask& t, int tail_width, bool drop_tail, ConstFn&& run_const,
                      GroupsFn&& run_groups, EachFn&& run_each) {
  const int64_t begin = t.begin;
  int64_t end = t.end;
  if (drop_tail) {
    // FAULT POINT simd_tail_dropped: replaces `end = t.end`; the vector
    // loop covers floor(n / W) * W elements and the tail is never written.
    end = begin + (end - begin) / tail_width * tail_width;
  }
  if (begin >= end) return false;
  if (t.groups == 1) return run_const(begin, end, t.scale_offset);
  bool nan = false;
  if (t.group == 1 && t.group_stride == 1) {
    if (end <= t.groups) return run_each(begin, end, t.scale_offset);
    // Elements at or past groups - 1 share the last scale (only reachable
    // under the block-size fault points, which clamp block indices).
    const int64_t split = t.groups - 1;
    if (begin < split) nan |= run_each(begin, split, t.scale_offset);
    const int64_t from = begin > split ? begin : split;
    return nan | run_const(from, end, t.scale_offset + split);
  }
  const int64_t g = t.group, last = t.groups - 1;
  int64_t k = begin / g;
  if (k > last) k = last;
  int64_t j = begin;
  if (k < last && j != k * g) {  // the rest of a group begun in an earlier piece
    const int64_t stop = (k + 1) * g < end ? (k + 1) * g : end;
    nan |= run_const(j, stop, t.scale_offset + k * t.group_stride);
    j = stop;
    ++k;
  }
  int64_t whole = (end - j) / g;  // whole groups
  if (k + whole > last) {
    // The last group extends to the end of the row (clamped block index);
    // it is a plain group only if it ends exactly at `end`.
    whole = last - k;
    if (j + (whole + 1) * g == end) ++whole;
  }
  if (whole > 0) {
    nan |= run_groups(j, whole, t.scale_offset + k * t.group_stride);
    j += whole * g;
    k += whole;
  }
  // a partial group, or the last group, which extends to the end of the row
  if (j < end) nan |= run_const(j, end, t.scale_offset + k * t.group_stride);
  return nan;
}

// Several whole rows with one per-element scale row: each 4W-column slice
// of parameters is loaded once and applied to every row of the batch (the
// parameter rows of a wide tensor no longer fit in L1 next to the input).
template <class V, QuantizeConfig C, class O>
bool quantize_rows_each(const float* x, O* out, int64_t n, int64_t rows, int64_t stride,
                        const ScaleColumns& sc_ref, int64_t base, const KernelConsts& kc_ref) {
  using M = QuantizeMath<V, C, O, false>;
  constexpr int W = V::W;
  const ScaleColumns sc = sc_ref;
  const KernelConsts kc = kc_ref;
  const auto bound = V::set1(1073741824.0f);  // 2^30, see kByteFastPath
  auto acc = V::nan_init();
  int64_t j = 0;
  for (; j + 4 * W <= n; j += 4 * W) {
    Params<V> p[4];
    // The zero points packed to int16 once per column chunk, in the order
    // the data packs (kernels_avx512.cc, pack_i16): the rows then add them
    // after the first pack, as the per-tensor path adds its z16, instead of
    // four int32 adds per row.
    auto z16_ab = V::set1_i16(0), z16_cd = V::set1_i16(0);
    for (int u = 0; u < 4; ++u) p[u] = each_params<V, C, O>(sc, base + j + u * W, W);
    if constexpr (C.zero_point == ZeroPointMode::add_after) {
      const int32_t* z = sc.zero_i + base + j;
      z16_ab = V::pack_i16(V::loadi(z), V::loadi(z + W));
      z16_cd = V::pack_i16(V::loadi(z + 2 * W), V::loadi(z + 3 * W));
    }
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = x + r * stride + j;
      const typename V::F xs[4] = {V::load(xr), V::load(xr + W), V::load(xr + 2 * W),
                                   V::load(xr + 3 * W)};
      acc = V::nan_update(acc, xs[0], xs[1]);
      acc = V::nan_update(acc, xs[2], xs[3]);
      typename V::I q[4];
      for (int u = 0; u < 4; ++u) {
        q[u] = V::round_to_int_even(V::clamp_abs(M::pre_rounding(xs[u], p[u]), bound));
      }
      O* o = out + r * stride + j;
      V::template store4_saturated<O>(o, q[0], q[1], q[2], q[3], z16_ab, z16_cd,
                                      kc.stream_stores && aligned64(o));
    }
  }
  bool nan = V::nan_any(acc);
  for (int64_t r = 0; r < rows && j < n; ++r) {
    nan |= quantize_span_each<V, C, O>(x + r * stride + j, out + r * stride + j, n - j, sc,
                                       base + j, kc);
  }
  return nan;
}

// True when a batch of rows is a per-element scale row (see drive_row).
static inline bool batch_is_per_element(const RowTask& t, bool drop_tail) {
  return t.rows > 1 && !drop_tail && t.group == 1 && t.group_stride == 1 && t.end <= t.groups;
}

// One row of a task (t.rows is ignored): x, out are the row's element 0.
template <class V, QuantizeConfig C, class O>
__attribute__((always_inline)) inline bool quantize_one_row(const float* x, O* out, const RowTask& t,
                                                            const ScaleColumns& sc,
                                                            const KernelConsts& kc) {
  return drive_row(
      t, V::kTailDropWidth, kc.drop_tail,
      [&](int64_t b, int64_t e, int64_t k) {
        return quantize_span_const<V, C, O>(x + b, out + b, e - b, sc, k, kc);
      },
      [&](int64_t b, int64_t count, int64_t k) {
        return quantize_span_groups<V, C, O>(x + b, out + b, count, t.group, sc, k,
                                             t.group_stride, kc);
      },
      [&](int64_t b, int64_t e, int64_t base) {
        return quantize_span_each<V, C, O>(x + b, out + b, e - b, sc, base + b, kc);
      });
}

// A task's rows loop inside the kernel: one call per batch, not per row.
template <class V, QuantizeConfig C, class O>
bool quantize_row(const RowTask& t, const ScaleColumns& sc, const KernelConsts& kc) {
  const float* x = static_cast<const float*>(t.in);
  O* out = static_cast<O*>(t.out);
  if constexpr (kByteFastPath<V, C, O>) {
    if (kc.full_byte_range && batch_is_per_element(t, kc.drop_tail) &&
        !(kc.stream_stores && t.end - t.begin <= kRowMajorAtDramMax)) {
      return quantize_rows_each<V, C, O>(x + t.begin, out + t.begin, t.end - t.begin, t.rows,
                                         t.row_stride, sc, t.scale_offset + t.begin, kc);
    }
  }
  bool nan = false;
  for (int64_t r = 0; r < t.rows; ++r) {
    nan |= quantize_one_row<V, C, O>(x + r * t.row_stride, out + r * t.row_stride, t, sc, kc);
  }
  return nan;
}

// ---------------------------------------------------------------- dequantize

template <class V, DequantMode D>
struct DequantizeMath {
  using F = typename V::F;
  static F apply(F fq, F s, F z, F mid) {
    if constexpr (D == DequantMode::scaled) {
      return V::mul(fq, s);
    } else if constexpr (D == DequantMode::centered) {
      return V::mul(V::sub(fq, z), s);
    } else {
      return V::add(V::mul(V::sub(fq, mid), s), z);
    }
  }
};

template <class V, DequantMode D, class Q>
bool dequantize_span_const(const Q* q, float* y, int64_t n, const ScaleColumns& sc, int64_t k,
                           const KernelConsts& kc);

// The zero point term of m (<= W) elements from flat scale element i on:
// f32(z) of the int domain, z of the float domain, 0 when scaled.
template <class V, DequantMode D>
inline typename V::F dequant_zero(const ScaleColumns& sc, int64_t i, int m) {
  if constexpr (D == DequantMode::scaled) {
    return V::set1(0.0f);
  } else if constexpr (D == DequantMode::centered) {
    return V::to_float(m == V::W ? V::loadi(sc.zero_i + i) : V::loadi_n(sc.zero_i + i, m));
  } else {
    return m == V::W ? V::load(sc.zero_f + i) : V::load_n(sc.zero_f + i, m);
  }
}

// The same term for the one flat scale element k.
template <DequantMode D>
inline float dequant_zero_at(const ScaleColumns& sc, int64_t k) {
  if constexpr (D == DequantMode::scaled) {
    return 0.0f;
  } else if constexpr (D == DequantMode::centered) {
    return float(sc.zero_i[k]);
  } else {
    return sc.zero_f[k];
  }
}

template <class V, DequantMode D, class Q>
__attribute__((always_inline)) inline void dequantize_run(const Q* q, float* y, int64_t n,
                                                          const ScaleColumns& sc, int64_t k,
                                                          const KernelConsts& kc) {
  using M = DequantizeMath<V, D>;
  constexpr int W = V::W;
  const auto s = V::set1(sc.scale[k]);
  const auto z = V::set1(dequant_zero_at<D>(sc, k));
  const auto mid = V::set1(kc.mid);
  int64_t j = 0;
  for (; j + 4 * W <= n; j += 4 * W) {
    const auto f0 = V::to_float(V::template loadq<Q>(q + j));
    const auto f1 = V::to_float(V::template loadq<Q>(q + j + W));
    const auto f2 = V::to_float(V::template loadq<Q>(q + j + 2 * W));
    const auto f3 = V::to_float(V::template loadq<Q>(q + j + 3 * W));
    if (kc.stream_stores && aligned64(y + j)) {
      V::storef_stream(y + j, M::apply(f0, s, z, mid));
      V::storef_stream(y + j + W, M::apply(f1, s, z, mid));
      V::storef_stream(y + j + 2 * W, M::apply(f2, s, z, mid));
      V::storef_stream(y + j + 3 * W, M::apply(f3, s, z, mid));
    } else {
      V::storef(y + j, M::apply(f0, s, z, mid));
      V::storef(y + j + W, M::apply(f1, s, z, mid));
      V::storef(y + j + 2 * W, M::apply(f2, s, z, mid));
      V::storef(y + j + 3 * W, M::apply(f3, s, z, mid));
    }
  }
  // Single vectors: also where a whole group is shorter than the unrolled
  // step (per-group g = 32 with 16 lanes), so these stream too; a group of
  // 32 f32 is two whole cache lines when the row is aligned.
  for (; j + W <= n; j += W) {
    const auto r = M::apply(V::to_float(V::template loadq<Q>(q + j)), s, z, mid);
    if (kc.stream_stores && (reinterpret_cast<uintptr_t>(y + j) % (W * sizeof(float))) == 0) {  // whole-vector aligned
      V::storef_stream(y + j, r);
    } else {
      V::storef(y + j, r);
    }
  }
  if (j < n) {
    if constexpr (V::kMaskedTail) {
      const int m = int(n - j);
      V::storef_n(y + j, M::apply(V::to_float(V::template loadq_n<Q>(q + j, m)), s, z, mid), m);
    } else if constexpr (W > 1) {
      dequantize_span_const<typename V::Scalar, D, Q>(q + j, y + j, n - j, sc, k, kc);
    }
  }
}

template <class V, DequantMode D, class Q>
bool dequantize_span_const(const Q* q, float* y, int64_t n, const ScaleColumns& sc_ref, int64_t k,
                           const KernelConsts& kc_ref) {
  const ScaleColumns sc = sc_ref;
  const KernelConsts kc = kc_ref;
  dequantize_run<V, D, Q>(q, y, n, sc, k, kc);
  return false;
}

template <class V, DequantMode D, class Q>
bool dequantize_span_groups(const Q* q, float* y, int64_t groups, int64_t g,
                            const ScaleColumns& sc_ref, int64_t k, int64_t k_step,
                            const KernelConsts& kc_ref) {
  const ScaleColumns sc = sc_ref;
  const KernelConsts kc = kc_ref;
  if constexpr (V::W > 1) {
    if (g == 2 * V::W) {
      // Groups of two vectors (g = 32 with 16 lanes): dequantize_run's
      // loop structure and per-vector alignment tests cost as much as the
      // arithmetic here. A group is 2W f32 = 64 or 128 bytes, so when the
      // first is 64-byte aligned every group is: one streaming decision.
      using M = DequantizeMath<V, D>;
      constexpr int W = V::W;
      const auto mid = V::set1(kc.mid);
      const bool stream = kc.stream_stores && aligned64(y);
      for (int64_t i = 0; i < groups; ++i, q += g, y += g, k += k_step) {
        const auto s = V::set1(sc.scale[k]);
        const auto z = V::set1(dequant_zero_at<D>(sc, k));
        const auto r0 = M::apply(V::to_float(V::template loadq<Q>(q)), s, z, mid);
        const auto r1 = M::apply(V::to_float(V::template loadq<Q>(q + W)), s, z, mid);
        if (stream) {
          V::storef_stream(y, r0);
          V::storef_stream(y + W, r1);
        } else {
          V::storef(y, r0);
          V::storef(y + W, r1);
        }
      }
      return false;
    }
  }
  for (int64_t i = 0; i < groups; ++i, q += g, y += g, k += k_step) {
    dequantize_run<V, D, Q>(q, y, g, sc, k, kc);
  }
  return false;
}

template <class V, DequantMode D, class Q>
bool dequantize_span_each(const Q* q, float* y, int64_t n, const ScaleColumns& sc_ref,
                          int64_t base, const KernelConsts& kc_ref) {
  using M = DequantizeMath<V, D>;
  constexpr int W = V::W;
  const ScaleColumns sc = sc_ref;
  const KernelConsts kc = kc_ref;
  const auto mid = V::set1(kc.mid);
  int64_t j = 0;
  for (; j + W <= n; j += W) {
    const auto s = V::load(sc.scale + base + j);
    const auto z = dequant_zero<V, D>(sc, base + j, V::W);
    V::storef(y + j, M::apply(V::to_float(V::template loadq<Q>(q + j)), s, z, mid));
  }
  if (j < n) {
    if constexpr (V::kMaskedTail) {
      const int m = int(n - j);
      const auto s = V::load_n(sc.scale + base + j, m);
      const auto z = dequant_zero<V, D>(sc, base + j, m);
      V::storef_n(y + j, M::apply(V::to_float(V::template loadq_n<Q>(q + j, m)), s, z, mid), m);
    } else if constexpr (W > 1) {
      dequantize_span_each<typename V::Scalar, D, Q>(q + j, y + j, n - j, sc, base + j, kc);
    }
  }
  return false;
}

// Several whole rows with one per-element scale row (see quantize_rows_each).
template <class V, DequantMode D, class Q>
void dequantize_rows_each(const Q* q, float* y, int64_t n, int64_t rows, int64_t stride,
                          const ScaleColumns& sc_ref, int64_t base, const KernelConsts& kc_ref) {
  using M = DequantizeMath<V, D>;
  constexpr int W = V::W;
  const ScaleColumns sc = sc_ref;
  const KernelConsts kc = kc_ref;
  const auto mid = V::set1(kc.mid);
  int64_t j = 0;
  for (; j + 4 * W <= n; j += 4 * W) {
    typename V::F s[4], z[4];
    for (int u = 0; u < 4; ++u) {
      s[u] = V::load(sc.scale + base + j + u * W);
      z[u] = dequant_zero<V, D>(sc, base + j + u * W, W);
    }
    for (int64_t r = 0; r < rows; ++r) {
      const Q* qr = q + r * stride + j;
      float* yr = y + r * stride + j;
      const bool stream = kc.stream_stores && aligned64(yr);
      for (int u = 0; u < 4; ++u) {
        const auto v = M::apply(V::to_float(V::template loadq<Q>(qr + u * W)), s[u], z[u], mid);
        if (stream) V::storef_stream(yr + u * W, v);
        else V::storef(yr + u * W, v);
      }
    }
  }
  for (int64_t r = 0; r < rows && j < n; ++r) {
    dequantize_span_each<V, D, Q>(q + r * stride + j, y + r * stride + j, n - j, sc, base + j, kc);
  }
}

// One row of a task (t.rows is ignored).
template <class V, DequantMode D, class Q>
__attribute__((always_inline)) inline void dequantize_one_row(const Q* q, float* y, const RowTask& t,
                                                              const ScaleColumns& sc,
                                                              const KernelConsts& kc) {
  drive_row(
      t, V::kTailDropWidth, kc.drop_tail,
      [&](int64_t b, int64_t e, int64_t k) {
        return dequantize_span_const<V, D, Q>(q + b, y + b, e - b, sc, k, kc);
      },
      [&](int64_t b, int64_t count, int64_t k) {
        return dequantize_span_groups<V, D, Q>(q + b, y + b, count, t.group, sc, k,
                                               t.group_stride, kc);
      },
      [&](int64_t b, int64_t e, int64_t base) {
        return dequantize_span_each<V, D, Q>(q + b, y + b, e - b, sc, base + b, kc);
      });
}

template <class V, DequantMode D, class Q>
bool dequantize_row(const RowTask& t, const ScaleColumns& sc, const KernelConsts& kc) {
  const Q* q = static_cast<const Q*>(t.in);
  float* y = static_cast<float*>(t.out);
  if (batch_is_per_element(t, kc.drop_tail)) {
    dequantize_rows_each<V, D, Q>(q + t.begin, y + t.begin, t.end - t.begin, t.rows,
                                  t.row_stride, sc, t.scale_offset + t.begin, kc);
    return false;
  }
  for (int64_t r = 0; r < t.rows; ++r) {
    dequantize_one_row<V, D, Q>(q + r * t.row_stride, y + r * t.row_stride, t, sc, kc);
  }
  return false;
}

// ---------------------------------------------------------- choose_qparams

// Folds x[0, n) into (mn, mx); returns true if an element is not finite.
// Only the values matter: which of -0.0 / +0.0 a block minimum keeps is
// settled by choose_qparams.cc where it can change an output.
template <class V>
bool min_max_span(const float* x, int64_t n, float& mn, float& mx) {
  constexpr int W = V::W;
  int64_t j = 0;
  bool bad = false;
  if (n >= W) {
    auto vmn = V::load(x), vmx = vmn;
    auto finite = V::sub(vmn, vmn);  // NaN iff some element was NaN or +-inf
    for (j = W; j + W <= n; j += W) {
      const auto v = V::load(x + j);
      vmn = V::min(v, vmn);
      vmx = V::max(v, vmx);
      finite = V::add(finite, V::sub(v, v));
    }
    bad = V::any_nan(finite);
    const float a = V::hmin(vmn), b = V::hmax(vmx);
    if (a < mn) mn = a;
    if (b > mx) mx = b;
  }
  for (; j < n; ++j) {
    const float v = x[j];
    bad |= !(v - v == 0.0f);
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  return bad;
}

template <class V>
bool min_max_each(const float* x, int64_t n, float* mn, float* mx) {
  constexpr int W = V::W;
  int64_t j = 0;
  bool bad = false;
  if (n >= W) {
    auto finite = V::set1(0.0f);
    for (; j + W <= n; j += W) {
      const auto v = V::load(x + j);
      finite = V::add(finite, V::sub(v, v));
      V::storef(mn + j, V::min(v, V::load(mn + j)));
      V::storef(mx + j, V::max(v, V::load(mx + j)));
    }
    bad = V::any_nan(finite);
  }
  for (; j < n; ++j) {
    const float v = x[j];
    bad |= !(v - v == 0.0f);
    if (v < mn[j]) mn[j] = v;
    if (v > mx[j]) mx[j] = v;
  }
  return bad;
}

// One row of a task (t.rows is ignored).
template <class V>
__attribute__((always_inline)) inline bool min_max_one_row(const float* x, const RowTask& t,
                                                           float* mn, float* mx) {
  return drive_row(
      t, V::kTailDropWidth, false,
      [&](int64_t b, int64_t e, int64_t k) { return min_max_span<V>(x + b, e - b, mn[k], mx[k]); },
      [&](int64_t b, int64_t count, int64_t k) {
        bool bad = false;
        for (int64_t i = 0; i < count; ++i, b += t.group, k += t.group_stride) {
          bad |= min_max_span<V>(x + b, t.group, mn[k], mx[k]);
        }
        return bad;
      },
      [&](int64_t b, int64_t e, int64_t base) {
        return min_max_each<V>(x + b, e - b, mn + base + b, mx + base + b);
      });
}

template <class V>
bool min_max_row(const RowTask& t, float* mn, float* mx) {
  const float* x = static_cast<const float*>(t.in);
  bool bad = false;
  for (int64_t r = 0; r < t.rows; ++r) bad |= min_max_one_row<V>(x + r * t.row_stride, t, mn, mx);
  return bad;
}

// ------------------------------------------------------------------ table

template <class V, QuantizeConfig C>
constexpr bool config_reachable() {
  // float_domain quantize never uses a zero point in the arithmetic.
  return C.scaling != Scaling::float_domain || C.zero_point == ZeroPointMode::none;
}

template <class V, int kIndex>
void fill_quantize(KernelTable& t) {
  constexpr QuantizeConfig C{Scaling(kIndex / 16), Rounding((kIndex / 8) % 2),
                             ZeroPointMode((kIndex / 2) % 4), RangeMode(kIndex % 2)};
  static_assert(quantize_config_index(C) == kIndex);
  if constexpr (config_reachable<V, C>()) {
    if constexpr (C.range == RangeMode::narrow) {
      t.quantize[int(QuantOutput::i8)][kIndex] = &quantize_row<V, C, int8_t>;
      t.quantize[int(QuantOutput::u8)][kIndex] = &quantize_row<V, C, uint8_t>;
      t.quantize[int(QuantOutput::i16)][kIndex] = &quantize_row<V, C, int16_t>;
      t.quantize[int(QuantOutput::u16)][kIndex] = &quantize_row<V, C, uint16_t>;
    }
    t.quantize[int(QuantOutput::i32)][kIndex] = &quantize_row<V, C, int32_t>;
    t.quantize[int(QuantOutput::f32)][kIndex] = &quantize_row<V, C, float>;
  }
}

template <class V, int... kIndex>
void fill_all_quantize(KernelTable& t, std::integer_sequence<int, kIndex...>) {
  (fill_quantize<V, kIndex>(t), ...);
}

template <class V, DequantMode D>
void fill_dequantize(KernelTable& t) {
  t.dequantize[0][int(D)] = &dequantize_row<V, D, int8_t>;
  t.dequantize[1][int(D)] = &dequantize_row<V, D, uint8_t>;
  t.dequantize[2][int(D)] = &dequantize_row<V, D, int16_t>;
  t.dequantize[3][int(D)] = &dequantize_row<V, D, uint16_t>;
  t.dequantize[4][int(D)] = &dequantize_row<V, D, int32_t>;
}

template <class V>
KernelTable make_kernel_table(Isa isa) {
  KernelTable t;
  t.isa = isa;
  t.vector_width = V::kTailDropWidth;
  fill_all_quantize<V>(t, std::make_integer_sequence<int, kQuantizeConfigs>{});
  fill_dequantize<V, DequantMode::scaled>(t);
  fill_dequantize<V, DequantMode::centered>(t);
  fill_dequantize<V, DequantMode::float_domain>(t);
  t.min_max = &min_max_row<V>;
  return t;
}

}  // namespace qdiff::impl::kernels
