// The AVX-512 kernel family (F, BW, DQ, VL; this file alone is compiled
// with -mavx512f -mavx512bw -mavx512dq -mavx512vl). 16 f32 lanes; tails
// use masked loads and stores, so no element is read or written past the
// run. Never FMA: only separately rounded mul / add / div.
#include <immintrin.h>

#include "impl/quantize/kernel_rows.h"

namespace qdiff::impl {
namespace {

struct Avx512Tag {};

struct Avx512Ops {
  static constexpr int W = 16;
  static constexpr int kTailDropWidth = 16;
  static constexpr bool kMaskedTail = true;
  static constexpr bool kHasRoundToInt = true;
  static constexpr bool kHasBytePacks = true;
  using F = __m512;
  using I = __m512i;
  using NanAcc = __mmask16;
  using Scalar = kernels::ScalarOps<Avx512Tag>;

  static __mmask16 lanes(int n) { return __mmask16((1u << n) - 1u); }
  static F load(const float* p) { return _mm512_loadu_ps(p); }
  static F load_n(const float* p, int n) { return _mm512_maskz_loadu_ps(lanes(n), p); }
  static I loadi(const int32_t* p) { return _mm512_loadu_si512(p); }
  static I loadi_n(const int32_t* p, int n) { return _mm512_maskz_loadu_epi32(lanes(n), p); }
  static F set1(float v) { return _mm512_set1_ps(v); }
  static I set1i(int32_t v) { return _mm512_set1_epi32(v); }
  static F add(F a, F b) { return _mm512_add_ps(a, b); }
  static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F div(F a, F b) { return _mm512_div_ps(a, b); }
  // vmaxps / vminps return the second operand when either is NaN.
  static F max(F a, F lo) { return _mm512_max_ps(a, lo); }
  static F min(F a, F hi) { return _mm512_min_ps(a, hi); }
  // v, with its NaN lanes replaced by `replacement`
  static F nan_to(F v, F replacement) {
    return _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), replacement);
  }
  static F round_even(F v) {
    return _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  // std::round: t = trunc(v); v - t is exact; step away from zero if |v - t| >= 0.5.
  static F round_away(F v) {
    const F t = _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __mmask16 up =
        _mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_sub_ps(v, t)), set1(0.5f), _CMP_GE_OQ);
    const F one = _mm512_castsi512_ps(_mm512_or_si512(
        _mm512_and_si512(_mm512_castps_si512(v), _mm512_set1_epi32(int32_t(0x80000000u))),
        _mm512_castps_si512(set1(1.0f))));
    return _mm512_mask_add_ps(t, up, t, one);
  }
  static I to_int(F v) { return _mm512_cvttps_epi32(v); }
  static I round_to_int_even(F v) {
    return _mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  static F to_float(I v) { return _mm512_cvtepi32_ps(v); }  // rounds to nearest even
  static I addi(I a, I b) { return _mm512_add_epi32(a, b); }
  static I subi(I a, I b) { return _mm512_sub_epi32(a, b); }
  template <bool kAddZero>
  static I wide_clamp(F r, I z, double lo, double hi) {
    __m512d a = _mm512_cvtps_pd(_mm512_castps512_ps256(r));
    __m512d b = _mm512_cvtps_pd(_mm512_extractf32x8_ps(r, 1));
    if constexpr (kAddZero) {
      a = _mm512_add_pd(a, _mm512_cvtepi32_pd(_mm512_castsi512_si256(z)));
      b = _mm512_add_pd(b, _mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(z, 1)));
    }
    const __m512d vlo = _mm512_set1_pd(lo), vhi = _mm512_set1_pd(hi);
    a = _mm512_min_pd(_mm512_max_pd(a, vlo), vhi);
    b = _mm512_min_pd(_mm512_max_pd(b, vlo), vhi);
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvttpd_epi32(a)),
                              _mm512_cvttpd_epi32(b), 1);
  }
  static NanAcc nan_init() { return 0; }
  static NanAcc nan_update(NanAcc acc, F a, F b) {
    return NanAcc(acc | _mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q));
  }
  static bool nan_any(NanAcc acc) { return acc != 0; }

  // Narrowing stores truncate (vpmovdb / vpmovdw), like a C++ cast.
  template <class Q>
  static void store(Q* p, I v) {
    if constexpr (sizeof(Q) == 1) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm512_cvtepi32_epi8(v));
    } else if constexpr (sizeof(Q) == 2) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtepi32_epi16(v));
    } else {
      _mm512_storeu_si512(p, v);
    }
  }
  // sign(v) * min(|v|, bound) in one vrangeps (imm 0b0010: smaller
  // magnitude, sign of the first operand).
  static F clamp_abs(F v, F bound) { return _mm512_range_ps(v, bound, 0x02); }
  static I set1_i16(int16_t v) { return _mm512_set1_epi16(v); }
  // int32 a and b saturated to int16 in packs order: the z16 operand of
  // store4_saturated for per-lane zero points (the data packs the same way).
  static I pack_i16(I a, I b) { return _mm512_packs_epi32(a, b); }
  // Byte fast path (quantize_rows.h): four vectors of int32 r, saturated to
  // int16, plus z16 with int16 saturation, saturated to Q's byte range,
  // stored as 64 bytes in element order. The packs interleave per 128-bit
  // lane (lane L holds dword L of each source); the permute undoes that.
  // packs_epi32(a, b) holds exactly the elements of a and b, so a and b may
  // take one zero point and c and d another (two groups of 2W elements).
  template <class Q>
  static void store4_saturated(Q* p, I a, I b, I c, I d, I z16_ab, I z16_cd, bool stream) {
    const I ab = _mm512_adds_epi16(_mm512_packs_epi32(a, b), z16_ab);
    const I cd = _mm512_adds_epi16(_mm512_packs_epi32(c, d), z16_cd);
    const I bytes = std::is_signed_v<Q> ? _mm512_packs_epi16(ab, cd) : _mm512_packus_epi16(ab, cd);
    const I order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    const I out = _mm512_permutexvar_epi32(order, bytes);
    if (stream) {
      _mm512_stream_si512(reinterpret_cast<__m512i*>(p), out);  // p is 64-byte aligned
    } else {
      _mm512_storeu_si512(p, out);
    }
  }
  template <class Q>
  static void store2_saturated(Q* p, I a, I b, I z16) {
    const I ab = _mm512_adds_epi16(_mm512_packs_epi32(a, b), z16);
    const I bytes = std::is_signed_v<Q> ? _mm512_packs_epi16(ab, ab) : _mm512_packus_epi16(ab, ab);
    const I order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p),
                        _mm512_castsi512_si256(_mm512_permutexvar_epi32(order, bytes)));
  }
  static void storef_stream(float* p, F v) { _mm512_stream_ps(p, v); }  // p 64-byte aligned
  // A hint only: prefetching past the end of a buffer never faults. The
  // address is formed as an integer (no out-of-range pointer arithmetic).
  // always_inline: GCC 12 deletes the call, prefetch and all, when it is
  // made from an always_inline caller (quantize_run) and not inlined first.
  __attribute__((always_inline)) static void prefetch(const float* p, int64_t ahead) {
    const uintptr_t a = reinterpret_cast<uintptr_t>(p) + uintptr_t(ahead) * sizeof(float);
    _mm_prefetch(reinterpret_cast<const char*>(a), _MM_HINT_T0);
  }
  template <class Q>
  static void store_n(Q* p, I v, int n) {
    if constexpr (sizeof(Q) == 1) {
      _mm512_mask_cvtepi32_storeu_epi8(p, lanes(n), v);
    } else if constexpr (sizeof(Q) == 2) {
      _mm512_mask_cvtepi32_storeu_epi16(p, lanes(n), v);
    } else {
      _mm512_mask_storeu_epi32(p, lanes(n), v);
    }
  }
  static void storef(float* p, F v) { _mm512_storeu_ps(p, v); }
  static void storef_n(float* p, F v, int n) { _mm512_mask_storeu_ps(p, lanes(n), v); }

  template <class Q>
  static I loadq(const Q* p) {
    if constexpr (std::is_same_v<Q, int8_t>) {
      return _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    } else if constexpr (std::is_same_v<Q, uint8_t>) {
      return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    } else if constexpr (std::is_same_v<Q, int16_t>) {
      return _mm512_cvtepi16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    } else if constexpr (std::is_same_v<Q, uint16_t>) {
      return _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    } else {
      return _mm512_loadu_si512(p);
    }
  }
  template <class Q>
  static I loadq_n(const Q* p, int n) {
    if constexpr (std::is_same_v<Q, int8_t>) {
      return _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(lanes(n), p));
    } else if constexpr (std::is_same_v<Q, uint8_t>) {
      return _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(lanes(n), p));
    } else if constexpr (std::is_same_v<Q, int16_t>) {
      return _mm512_cvtepi16_epi32(_mm256_maskz_loadu_epi16(lanes(n), p));
    } else if constexpr (std::is_same_v<Q, uint16_t>) {
      return _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(lanes(n), p));
    } else {
      return _mm512_maskz_loadu_epi32(lanes(n), p);
    }
  }

  static float hmin(F v) { return _mm512_reduce_min_ps(v); }
  static float hmax(F v) { return _mm512_reduce_max_ps(v); }
  static bool any_nan(F v) { return _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q) != 0; }
};

}  // namespace

const KernelTable* avx512_kernels() {
  static const KernelTable table = kernels::make_kernel_table<Avx512Ops>(Isa::avx512);
  return &table;
}

}  // namespace qdiff::impl
