// The quantize (and fake_quantize) row kernels, written once over a
// vector-ops type V (impl/quantize/kernel_rows.h says how V is chosen per
// ISA). The formulas are those of kernels.h; docs/impl-quantize.md has the
// exactness argument.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "impl/quantize/kernels.h"
#include "impl/quantize/row_driver.h"

namespace qdiff::impl::kernels {

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
// bound); the zero point is added after the first pack, with saturating
// int16 adds; the saturating packs to bytes then ARE the clamp to the full
// storage range: sat8(sat16(r) + z) == clamp(r + z) because a saturated
// sat16(r) is beyond +-32767 - 255, far outside the byte range. NaN is
// looked for in v = pre_rounding(x), already in registers (the clamp
// would hide it): v is NaN exactly when x is (scales are normal, and the
// float domain turns inf - inf back into x).
template <class V, QuantizeConfig C, class O>
inline constexpr bool kByteFastPath =
    V::kHasBytePacks && sizeof(O) == 1 && !kIsFake<V, O> && C.range == RangeMode::narrow &&
    C.rounding == Rounding::half_even &&
    (C.zero_point == ZeroPointMode::none || C.zero_point == ZeroPointMode::add_after);

// Software prefetch distance of the per-element byte loop
// (quantize_span_each), in f32 elements (32 KiB; measured best of 2, 8 and
// 32 KiB at the DRAM size).
inline constexpr int64_t kPrefetchAhead = 8192;

// The byte fast path's step after the scaling (kByteFastPath).
template <class V>
[[gnu::always_inline]] inline typename V::I byte_round(typename V::F v) {
  return V::round_to_int_even(V::clamp_abs(v, V::set1(1073741824.0f)));  // 2^30
}

// 4W elements through the byte fast path: vector u with parameters pu,
// vectors 0-1 with the int16 zero points z_ab, 2-3 with z_cd.
template <class V, QuantizeConfig C, class O>
[[gnu::always_inline]] inline void byte_block4(const float* x, O* out, const Params<V>& p0,
                                               const Params<V>& p1, const Params<V>& p2,
                                               const Params<V>& p3, typename V::I z_ab,
                                               typename V::I z_cd, bool stream,
                                               typename V::NanAcc& nan) {
  using M = QuantizeMath<V, C, O, true>;
  constexpr int W = V::W;
  const auto v0 = M::pre_rounding(V::load(x), p0), v1 = M::pre_rounding(V::load(x + W), p1);
  const auto v2 = M::pre_rounding(V::load(x + 2 * W), p2);
  const auto v3 = M::pre_rounding(V::load(x + 3 * W), p3);
  nan = V::nan_update(nan, v0, v1);
  nan = V::nan_update(nan, v2, v3);
  V::template store4_saturated<O>(out, byte_round<V>(v0), byte_round<V>(v1), byte_round<V>(v2),
                                  byte_round<V>(v3), z_ab, z_cd, stream);
}

// 2W elements through the byte fast path with one scale.
template <class V, QuantizeConfig C, class O>
[[gnu::always_inline]] inline void byte_block2(const float* x, O* out, const Params<V>& p,
                                               typename V::I z16, typename V::NanAcc& nan) {
  using M = QuantizeMath<V, C, O, true>;
  const auto v0 = M::pre_rounding(V::load(x), p), v1 = M::pre_rounding(V::load(x + V::W), p);
  nan = V::nan_update(nan, v0, v1);
  V::template store2_saturated<O>(out, byte_round<V>(v0), byte_round<V>(v1), z16);
}

// The int16 zero points of elements [i, i + 2W) of a per-element scale row,
// in the order store4_saturated packs the data.
template <class V>
inline typename V::I packed_zero16(const ScaleColumns& sc, int64_t i) {
  return V::pack_i16(V::loadi(sc.zero_i + i), V::loadi(sc.zero_i + i + V::W));
}

// Only the parameters the byte fast path needs, broadcast, of a group
// with flat scale element k; and its zero point for store4_saturated.
template <class V, QuantizeConfig C>
inline Params<V> byte_group_params(const ScaleColumns& sc, int64_t k) {
  Params<V> p;
  if constexpr (C.scaling == Scaling::reciprocal) p.inv = V::set1(sc.inverse[k]);
  if constexpr (C.scaling != Scaling::reciprocal) p.s = V::set1(sc.scale[k]);
  if constexpr (C.scaling == Scaling::float_domain) p.mv = V::set1(sc.min_val[k]);
  return p;
}
template <class V, QuantizeConfig C>
inline typename V::I byte_group_z16(const ScaleColumns& sc, int64_t k) {
  return V::set1_i16(C.zero_point == ZeroPointMode::none ? int16_t(0) : int16_t(sc.zero_i[k]));
}

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
      const auto z16 = V::set1_i16(int16_t(p.z));
      // No software prefetch here: it measured slower in cache and at the
      // DRAM size (docs/benchmarks.md); the hardware prefetchers follow
      // this one sequential stream.
      for (; j + 4 * W <= n; j += 4 * W) {
        byte_block4<V, C, O>(x + j, out + j, p, p, p, p, z16, z16,
                             kc.stream_stores && aligned64(out + j), nan);
      }
      for (; j + 2 * W <= n; j += 2 * W) byte_block2<V, C, O>(x + j, out + j, p, z16, nan);
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
      constexpr int W = V::W;
      auto acc = V::nan_init();
      const auto group_params = [&sc](int64_t kk) { return byte_group_params<V, C>(sc, kk); };
      const auto group_z16 = [&sc](int64_t kk) { return byte_group_z16<V, C>(sc, kk); };
      int64_t i = 0;
      if (g == 2 * W) {
        // Groups of 2W (g = 32): two groups per four vectors and one 64-byte
        // store, streamed past the cache like the longer groups' stores.
        for (; i + 1 < groups; i += 2, x += 2 * g, out += 2 * g, k += 2 * k_step) {
          const Params<V> pa = group_params(k), pb = group_params(k + k_step);
          byte_block4<V, C, O>(x, out, pa, pa, pb, pb, group_z16(k), group_z16(k + k_step),
                               kc.stream_stores && aligned64(out), acc);
        }
      }
      for (; i < groups; ++i, x += g, out += g, k += k_step) {
        const Params<V> p = group_params(k);
        const auto z16 = group_z16(k);
        int64_t j = 0;
        for (; j + 4 * W <= g; j += 4 * W) {
          byte_block4<V, C, O>(x + j, out + j, p, p, p, p, z16, z16,
                               kc.stream_stores && aligned64(out + j), acc);
        }
        for (; j < g; j += 2 * W) byte_block2<V, C, O>(x + j, out + j, p, z16, acc);
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
      // as in quantize_run, with per-element parameters and zero points
      for (; j + 4 * W <= n; j += 4 * W) {
        V::prefetch(x + j, kPrefetchAhead);
        const int64_t i = base + j;
        auto z_ab = V::set1_i16(0), z_cd = V::set1_i16(0);
        if constexpr (C.zero_point == ZeroPointMode::add_after) {
          z_ab = packed_zero16<V>(sc, i);
          z_cd = packed_zero16<V>(sc, i + 2 * W);
        }
        byte_block4<V, C, O>(x + j, out + j, each_params<V, C, O>(sc, i, W),
                             each_params<V, C, O>(sc, i + W, W),
                             each_params<V, C, O>(sc, i + 2 * W, W),
                             each_params<V, C, O>(sc, i + 3 * W, W), z_ab, z_cd,
                             kc.stream_stores && aligned64(out + j), nan);
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

// Several whole rows with one per-element scale row: each 4W-column slice
// of parameters is loaded once and applied to every row of the batch (the
// parameter rows of a wide tensor no longer fit in L1 next to the input).
template <class V, QuantizeConfig C, class O>
bool quantize_rows_each(const float* x, O* out, int64_t n, int64_t rows, int64_t stride,
                        const ScaleColumns& sc_ref, int64_t base, const KernelConsts& kc_ref) {
  constexpr int W = V::W;
  const ScaleColumns sc = sc_ref;
  const KernelConsts kc = kc_ref;
  auto acc = V::nan_init();
  int64_t j = 0;
  for (; j + 4 * W <= n; j += 4 * W) {
    Params<V> p[4];
    for (int u = 0; u < 4; ++u) p[u] = each_params<V, C, O>(sc, base + j + u * W, W);
    // The zero points packed to int16 once per column chunk: the rows add
    // them after the first pack, as the per-tensor path adds its z16.
    auto z_ab = V::set1_i16(0), z_cd = V::set1_i16(0);
    if constexpr (C.zero_point == ZeroPointMode::add_after) {
      z_ab = packed_zero16<V>(sc, base + j);
      z_cd = packed_zero16<V>(sc, base + j + 2 * W);
    }
    for (int64_t r = 0; r < rows; ++r) {
      O* o = out + r * stride + j;
      byte_block4<V, C, O>(x + r * stride + j, o, p[0], p[1], p[2], p[3], z_ab, z_cd,
                           kc.stream_stores && aligned64(o), acc);
    }
  }
  bool nan = V::nan_any(acc);
  for (int64_t r = 0; r < rows && j < n; ++r) {
    nan |= quantize_span_each<V, C, O>(x + r * stride + j, out + r * stride + j, n - j, sc,
                                       base + j, kc);
  }
  return nan;
}

// Several whole rows of whole groups of a multiple of 4W elements, all
// with the task's scale offset (the rows of one scale block of a blockwise
// layout): the rows in turn, each group's parameters broadcast from the
// columns, with no per-row call, copies or run splitting (drive_row).
template <class V, QuantizeConfig C, class O>
bool quantize_rows_groups(const float* x, O* out, const RowTask& t, const ScaleColumns& sc_ref,
                          const KernelConsts& kc_ref) {
  constexpr int W = V::W;
  const ScaleColumns sc = sc_ref;
  const KernelConsts kc = kc_ref;
  auto acc = V::nan_init();
  for (int64_t r = 0; r < t.rows; ++r) {
    const float* xr = x + r * t.row_stride;
    O* o = out + r * t.row_stride;
    int64_t k = t.scale_offset;
    for (int64_t b = 0; b < t.end; b += t.group, k += t.group_stride) {
      const Params<V> p = byte_group_params<V, C>(sc, k);
      const auto z16 = byte_group_z16<V, C>(sc, k);
      for (int64_t j = b; j < b + t.group; j += 4 * W) {
        byte_block4<V, C, O>(xr + j, o + j, p, p, p, p, z16, z16,
                             kc.stream_stores && aligned64(o + j), acc);
      }
    }
  }
  return V::nan_any(acc);
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
    // whole rows of whole groups, the groups a multiple of 4W (drive_row
    // would cut each row into exactly these groups)
    if (kc.full_byte_range && t.rows > 1 && !kc.drop_tail && t.begin == 0 && t.group > 1 &&
        t.group % (4 * V::W) == 0 && t.end == t.groups * t.group) {
      return quantize_rows_groups<V, C, O>(x, out, t, sc, kc);
    }
  }
  bool nan = false;
  for (int64_t r = 0; r < t.rows; ++r) {
    nan |= quantize_one_row<V, C, O>(x + r * t.row_stride, out + r * t.row_stride, t, sc, kc);
  }
  return nan;
}

}  // namespace qdiff::impl::kernels
