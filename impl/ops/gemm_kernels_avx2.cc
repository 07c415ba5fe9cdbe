// The AVX2 GEMM family (compiled with -mavx2 only; chosen at run time).
// vpmaddubsw would saturate (u8 * s8 pairs reach 2 * 255 * 128 > 2^15), so
// both operands are widened to int16 and multiplied with vpmaddwd, whose
// pair sums (at most 2 * 255 * 128) cannot saturate. One ymm of widened
// weights holds 4 channels x 4 depth positions; x's quad is broadcast as
// four int16 pairs; each int32 lane then holds half a quad of one channel,
// and the halves are added at the end (vphaddd + vpermq).
#include <immintrin.h>

#include <cstring>

#include "impl/ops/gemm_kernels_generic.h"

namespace qdiff::impl {
namespace {

inline __m256i broadcast_quad_i16(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof v);
  return _mm256_cvtepu8_epi16(_mm_set1_epi32(v));  // [x0 x1 x2 x3] x 4 as int16
}

// Channels 0..15 of lane group v as two 8-lane vectors, from the pair sums
// of four accumulators [c0 c0 c1 c1 | c2 c2 c3 c3] (4 channels each).
inline void finish_row(__m256i a0, __m256i a1, __m256i a2, __m256i a3, int32_t* d,
                       bool accumulate) {
  __m256i lo = _mm256_permute4x64_epi64(_mm256_hadd_epi32(a0, a1), 0xD8);
  __m256i hi = _mm256_permute4x64_epi64(_mm256_hadd_epi32(a2, a3), 0xD8);
  if (accumulate) {
    lo = _mm256_add_epi32(lo, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(d)));
    hi = _mm256_add_epi32(hi, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(d + 8)));
  }
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(d), lo);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + 8), hi);
}

// Rows r, r + 1 (kTwo) or r alone, channels 16 v .. 16 v + 15 of the panel:
// 8 accumulators, 2 broadcasts and one widened weight vector in 16 ymm
// (named variables: gcc keeps an array of vectors in memory).
template <bool kTwo>
void dot_16(const uint8_t* x, int64_t x_stride, const int8_t* w, int width, int v, int64_t quads,
            int32_t* d, bool accumulate) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  __m256i b0 = a0, b1 = a0, b2 = a0, b3 = a0;
  const int8_t* wv = w + v * kLaneGroup * kQuad;
  for (int64_t q = 0; q < quads; ++q) {
    const __m256i xa = broadcast_quad_i16(x + 4 * q);
    const __m256i xb = kTwo ? broadcast_quad_i16(x + x_stride + 4 * q) : xa;
    const int8_t* wq = wv + q * width * kQuad;
    const auto step = [&](__m256i& acc_a, __m256i& acc_b, int u) {
      const __m256i wu = _mm256_cvtepi8_epi16(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(wq + 16 * u)));
      acc_a = _mm256_add_epi32(acc_a, _mm256_madd_epi16(xa, wu));
      if (kTwo) acc_b = _mm256_add_epi32(acc_b, _mm256_madd_epi16(xb, wu));
    };
    step(a0, b0, 0);
    step(a1, b1, 1);
    step(a2, b2, 2);
    step(a3, b3, 3);
  }
  finish_row(a0, a1, a2, a3, d + v * kLaneGroup, accumulate);
  if (kTwo) finish_row(b0, b1, b2, b3, d + kPanelWidth + v * kLaneGroup, accumulate);
}

void dot_avx2(const uint8_t* x, int64_t x_stride, const int8_t* w, int nv, int64_t quads,
              int rows, int32_t* d, bool accumulate) {
  const int width = nv * kLaneGroup;
  for (int v = 0; v < nv; ++v) {
    int r = 0;
    for (; r + 2 <= rows; r += 2) {
      dot_16<true>(x + r * x_stride, x_stride, w, width, v, quads, d + r * kPanelWidth, accumulate);
    }
    if (r < rows) {
      dot_16<false>(x + r * x_stride, x_stride, w, width, v, quads, d + r * kPanelWidth, accumulate);
    }
  }
}

}  // namespace

const GemmKernels* avx2_gemm_kernels() {
  static const GemmKernels table{
      Isa::avx2, &gemm_generic::run_tile_t<&dot_avx2, &gemm_generic::group_epilogue>,
      &gemm_generic::output_runs};
  return &table;
}

}  // namespace qdiff::impl
