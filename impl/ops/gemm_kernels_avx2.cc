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

// Rows r0 .. r0 + R - 1, channels 16 v .. 16 v + 15 of the panel.
template <int R>
void dot_16(const uint8_t* x, int64_t x_stride, const int8_t* w, int width, int v,
            int64_t quads, int32_t* d, bool accumulate) {
  __m256i acc[R][4];
  for (int r = 0; r < R; ++r) {
    for (int u = 0; u < 4; ++u) acc[r][u] = _mm256_setzero_si256();
  }
  const int8_t* wv = w + v * kLaneGroup * kQuad;
  for (int64_t q = 0; q < quads; ++q) {
    __m256i xb[R];
    for (int r = 0; r < R; ++r) xb[r] = broadcast_quad_i16(x + r * x_stride + 4 * q);
    const int8_t* wq = wv + q * width * kQuad;
    for (int u = 0; u < 4; ++u) {
      const __m256i wu = _mm256_cvtepi8_epi16(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(wq + 16 * u)));
      for (int r = 0; r < R; ++r) {
        acc[r][u] = _mm256_add_epi32(acc[r][u], _mm256_madd_epi16(xb[r], wu));
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    // lanes [c0 c0 c1 c1 | c2 c2 c3 c3] per u -> channels 0..7 and 8..15 in order
    const __m256i h01 = _mm256_permute4x64_epi64(_mm256_hadd_epi32(acc[r][0], acc[r][1]), 0xD8);
    const __m256i h23 = _mm256_permute4x64_epi64(_mm256_hadd_epi32(acc[r][2], acc[r][3]), 0xD8);
    int32_t* dr = d + r * kPanelWidth + v * kLaneGroup;
    __m256i lo = h01, hi = h23;
    if (accumulate) {
      lo = _mm256_add_epi32(lo, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(dr)));
      hi = _mm256_add_epi32(hi, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(dr + 8)));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dr), lo);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dr + 8), hi);
  }
}

void dot_avx2(const uint8_t* x, int64_t x_stride, const int8_t* w, int nv, int64_t quads,
              int rows, int32_t* d, bool accumulate) {
  const int width = nv * kLaneGroup;
  for (int v = 0; v < nv; ++v) {
    int r = 0;
    for (; r + 3 <= rows; r += 3) {
      dot_16<3>(x + r * x_stride, x_stride, w, width, v, quads, d + r * kPanelWidth, accumulate);
    }
    if (rows - r == 2) {
      dot_16<2>(x + r * x_stride, x_stride, w, width, v, quads, d + r * kPanelWidth, accumulate);
    } else if (rows - r == 1) {
      dot_16<1>(x + r * x_stride, x_stride, w, width, v, quads, d + r * kPanelWidth, accumulate);
    }
  }
}

}  // namespace

const GemmKernels* avx2_gemm_kernels() {
  static const GemmKernels table{Isa::avx2, &dot_avx2, &gemm_generic::group_epilogue,
                                 &gemm_generic::output_runs};
  return &table;
}

}  // namespace qdiff::impl
