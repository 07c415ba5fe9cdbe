// The AVX2 kernel family (this file alone is compiled with -mavx2, without
// -mfma). 8 f32 lanes; the tail of a run (fewer than 8 elements) runs the
// same formula through the one-lane ScalarOps, so no element is read or
// written past the run.
#include <immintrin.h>

#include "impl/quantize/kernel_rows.h"

namespace qdiff::impl {
namespace {

struct Avx2Tag {};

struct Avx2Ops {
  static constexpr int W = 8;
  static constexpr int kTailDropWidth = 8;
  static constexpr bool kMaskedTail = false;
  static constexpr bool kHasRoundToInt = false;
  static constexpr bool kHasBytePacks = false;
  using F = __m256;
  using I = __m256i;
  using NanAcc = __m256;
  using Scalar = kernels::ScalarOps<Avx2Tag>;

  static F load(const float* p) { return _mm256_loadu_ps(p); }
  static I loadi(const int32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  // Never called with a partial vector (kMaskedTail is false).
  static F load_n(const float* p, int) { return load(p); }
  static I loadi_n(const int32_t* p, int) { return loadi(p); }
  static F set1(float v) { return _mm256_set1_ps(v); }
  static I set1i(int32_t v) { return _mm256_set1_epi32(v); }
  static F add(F a, F b) { return _mm256_add_ps(a, b); }
  static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F div(F a, F b) { return _mm256_div_ps(a, b); }
  // vmaxps / vminps return the second operand when either is NaN.
  static F max(F a, F lo) { return _mm256_max_ps(a, lo); }
  static F min(F a, F hi) { return _mm256_min_ps(a, hi); }
  // v, with its NaN lanes replaced by `replacement`
  static F nan_to(F v, F replacement) {
    return _mm256_blendv_ps(v, replacement, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
  }
  static F round_even(F v) { return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // std::round: t = trunc(v); v - t is exact; step away from zero if |v - t| >= 0.5.
  static F round_away(F v) {
    const F t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const F sign = _mm256_castsi256_ps(_mm256_set1_epi32(int32_t(0x80000000u)));
    const F frac = _mm256_andnot_ps(sign, _mm256_sub_ps(v, t));
    const F up = _mm256_cmp_ps(frac, set1(0.5f), _CMP_GE_OQ);
    const F one = _mm256_or_ps(_mm256_and_ps(v, sign), set1(1.0f));
    return _mm256_blendv_ps(t, _mm256_add_ps(t, one), up);
  }
  static I to_int(F v) { return _mm256_cvttps_epi32(v); }
  static F to_float(I v) { return _mm256_cvtepi32_ps(v); }  // rounds to nearest even
  static I addi(I a, I b) { return _mm256_add_epi32(a, b); }
  static I subi(I a, I b) { return _mm256_sub_epi32(a, b); }
  template <bool kAddZero>
  static I wide_clamp(F r, I z, double lo, double hi) {
    __m256d a = _mm256_cvtps_pd(_mm256_castps256_ps128(r));
    __m256d b = _mm256_cvtps_pd(_mm256_extractf128_ps(r, 1));
    if constexpr (kAddZero) {
      a = _mm256_add_pd(a, _mm256_cvtepi32_pd(_mm256_castsi256_si128(z)));
      b = _mm256_add_pd(b, _mm256_cvtepi32_pd(_mm256_extracti128_si256(z, 1)));
    }
    const __m256d vlo = _mm256_set1_pd(lo), vhi = _mm256_set1_pd(hi);
    a = _mm256_min_pd(_mm256_max_pd(a, vlo), vhi);
    b = _mm256_min_pd(_mm256_max_pd(b, vlo), vhi);
    return _mm256_set_m128i(_mm256_cvttpd_epi32(b), _mm256_cvttpd_epi32(a));
  }
  static NanAcc nan_init() { return _mm256_setzero_ps(); }
  static NanAcc nan_update(NanAcc acc, F a, F b) {
    return _mm256_or_ps(acc, _mm256_cmp_ps(a, b, _CMP_UNORD_Q));
  }
  static bool nan_any(NanAcc acc) { return _mm256_movemask_ps(acc) != 0; }

  // Narrowing stores truncate like a C++ cast: mask to the low bits, then
  // unsigned-saturating packs, which are exact on the masked values.
  template <class Q>
  static void store(Q* p, I v) {
    if constexpr (sizeof(Q) == 1) {
      const I m = _mm256_and_si256(v, _mm256_set1_epi32(0xFF));
      const __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm_packus_epi16(w, w));
    } else if constexpr (sizeof(Q) == 2) {
      const I m = _mm256_and_si256(v, _mm256_set1_epi32(0xFFFF));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p),
                       _mm_packus_epi32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1)));
    } else {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v);
    }
  }
  template <class Q>
  static void store_n(Q*, I, int) {}  // unused (kMaskedTail is false)
  static void storef(float* p, F v) { _mm256_storeu_ps(p, v); }
  static void storef_n(float*, F, int) {}  // unused
  static void storef_stream(float* p, F v) {
    if ((reinterpret_cast<uintptr_t>(p) & 31) == 0) _mm256_stream_ps(p, v);
    else _mm256_storeu_ps(p, v);
  }

  template <class Q>
  static I loadq(const Q* p) {
    if constexpr (std::is_same_v<Q, int8_t>) {
      return _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
    } else if constexpr (std::is_same_v<Q, uint8_t>) {
      return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
    } else if constexpr (std::is_same_v<Q, int16_t>) {
      return _mm256_cvtepi16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    } else if constexpr (std::is_same_v<Q, uint16_t>) {
      return _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    } else {
      return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    }
  }
  template <class Q>
  static I loadq_n(const Q* p, int) { return loadq<Q>(p); }  // unused

  static float hmin(F v) {
    __m128 m = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_min_ps(m, _mm_movehl_ps(m, m));
    m = _mm_min_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
  }
  static float hmax(F v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
  }
  static bool any_nan(F v) { return _mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q)) != 0; }
};

}  // namespace

const KernelTable* avx2_kernels() {
  static const KernelTable table = kernels::make_kernel_table<Avx2Ops>(Isa::avx2);
  return &table;
}

}  // namespace qdiff::impl
