// The dequantize row kernels, written once over a vector-ops type V
// (impl/quantize/kernel_rows.h).
#pragma once

#include <cstdint>
#include <type_traits>

#include "impl/quantize/kernels.h"
#include "impl/quantize/row_driver.h"

namespace qdiff::impl::kernels {

template <class V, DequantMode D, class Q>
struct DequantizeMath {
  using F = typename V::F;
  using I = typename V::I;
  // centered with a storage type of at most 16 bits: q - z is exact in
  // int32 and at most 65535 in magnitude (z lies in [quant_min, quant_max],
  // inside the storage range), so f32(q - z) == f32(f32(q) - f32(z)) and
  // the subtraction runs on the integers, with no f32(z) per scale.
  static constexpr bool kIntCentered = D == DequantMode::centered && sizeof(Q) <= 2;
  using Z = std::conditional_t<kIntCentered, I, F>;  // the zero point term
  // q: the stored values widened to int32
  static F apply(I q, F s, Z z, F mid) {
    if constexpr (kIntCentered) {
      return V::mul(V::to_float(V::subi(q, z)), s);
    } else if constexpr (D == DequantMode::scaled) {
      return V::mul(V::to_float(q), s);
    } else if constexpr (D == DequantMode::centered) {
      return V::mul(V::sub(V::to_float(q), z), s);
    } else {
      return V::add(V::mul(V::sub(V::to_float(q), mid), s), z);
    }
  }
  // The zero point term of m (<= W) elements from flat scale element i on:
  // the int32 z (kIntCentered), f32(z) of the int domain, z of the float
  // domain, 0 when scaled.
  static Z zero(const ScaleColumns& sc, int64_t i, int m) {
    if constexpr (kIntCentered) {
      return m == V::W ? V::loadi(sc.zero_i + i) : V::loadi_n(sc.zero_i + i, m);
    } else if constexpr (D == DequantMode::scaled) {
      return V::set1(0.0f);
    } else if constexpr (D == DequantMode::centered) {
      return V::to_float(m == V::W ? V::loadi(sc.zero_i + i) : V::loadi_n(sc.zero_i + i, m));
    } else {
      return m == V::W ? V::load(sc.zero_f + i) : V::load_n(sc.zero_f + i, m);
    }
  }
  // The same term for the one flat scale element k, broadcast.
  static Z zero_at(const ScaleColumns& sc, int64_t k) {
    if constexpr (kIntCentered) {
      return V::set1i(sc.zero_i[k]);
    } else if constexpr (D == DequantMode::scaled) {
      return V::set1(0.0f);
    } else if constexpr (D == DequantMode::centered) {
      return V::set1(float(sc.zero_i[k]));
    } else {
      return V::set1(sc.zero_f[k]);
    }
  }
};

template <class V, DequantMode D, class Q>
bool dequantize_span_const(const Q* q, float* y, int64_t n, const ScaleColumns& sc, int64_t k,
                           const KernelConsts& kc);

template <class V, DequantMode D, class Q>
__attribute__((always_inline)) inline void dequantize_run(const Q* q, float* y, int64_t n,
                                                          const ScaleColumns& sc, int64_t k,
                                                          const KernelConsts& kc) {
  using M = DequantizeMath<V, D, Q>;
  constexpr int W = V::W;
  const auto s = V::set1(sc.scale[k]);
  const auto z = M::zero_at(sc, k);
  const auto mid = V::set1(kc.mid);
  int64_t j = 0;
  for (; j + 4 * W <= n; j += 4 * W) {
    const auto f0 = V::template loadq<Q>(q + j);
    const auto f1 = V::template loadq<Q>(q + j + W);
    const auto f2 = V::template loadq<Q>(q + j + 2 * W);
    const auto f3 = V::template loadq<Q>(q + j + 3 * W);
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
    const auto r = M::apply(V::template loadq<Q>(q + j), s, z, mid);
    if (kc.stream_stores && (reinterpret_cast<uintptr_t>(y + j) % (W * sizeof(float))) == 0) {  // whole-vector aligned
      V::storef_stream(y + j, r);
    } else {
      V::storef(y + j, r);
    }
  }
  if (j < n) {
    if constexpr (V::kMaskedTail) {
      const int m = int(n - j);
      V::storef_n(y + j, M::apply(V::template loadq_n<Q>(q + j, m), s, z, mid), m);
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
      using M = DequantizeMath<V, D, Q>;
      constexpr int W = V::W;
      const auto mid = V::set1(kc.mid);
      const bool stream = kc.stream_stores && aligned64(y);
      for (int64_t i = 0; i < groups; ++i, q += g, y += g, k += k_step) {
        const auto s = V::set1(sc.scale[k]);
        const auto z = M::zero_at(sc, k);
        const auto r0 = M::apply(V::template loadq<Q>(q), s, z, mid);
        const auto r1 = M::apply(V::template loadq<Q>(q + W), s, z, mid);
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
  using M = DequantizeMath<V, D, Q>;
  constexpr int W = V::W;
  const ScaleColumns sc = sc_ref;
  const KernelConsts kc = kc_ref;
  const auto mid = V::set1(kc.mid);
  int64_t j = 0;
  for (; j + W <= n; j += W) {
    const auto s = V::load(sc.scale + base + j);
    const auto z = M::zero(sc, base + j, V::W);
    V::storef(y + j, M::apply(V::template loadq<Q>(q + j), s, z, mid));
  }
  if (j < n) {
    if constexpr (V::kMaskedTail) {
      const int m = int(n - j);
      const auto s = V::load_n(sc.scale + base + j, m);
      const auto z = M::zero(sc, base + j, m);
      V::storef_n(y + j, M::apply(V::template loadq_n<Q>(q + j, m), s, z, mid), m);
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
  using M = DequantizeMath<V, D, Q>;
  constexpr int W = V::W;
  const ScaleColumns sc = sc_ref;
  const KernelConsts kc = kc_ref;
  const auto mid = V::set1(kc.mid);
  int64_t j = 0;
  for (; j + 4 * W <= n; j += 4 * W) {
    typename V::F s[4];
    typename M::Z z[4];
    for (int u = 0; u < 4; ++u) {
      s[u] = V::load(sc.scale + base + j + u * W);
      z[u] = M::zero(sc, base + j + u * W, W);
    }
    for (int64_t r = 0; r < rows; ++r) {
      const Q* qr = q + r * stride + j;
      float* yr = y + r * stride + j;
      const bool stream = kc.stream_stores && aligned64(yr);
      for (int u = 0; u < 4; ++u) {
        const auto v = M::apply(V::template loadq<Q>(qr + u * W), s[u], z[u], mid);
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

}  // namespace qdiff::impl::kernels
