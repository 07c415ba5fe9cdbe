// The AVX-512 GEMM family (this file alone is compiled with -mavx512f
// -mavx512bw -mavx512dq -mavx512vl -mavx512vnni; chosen at run time, and
// only on CPUs with VNNI). The micro-kernel holds a tile of up to 6 rows x
// 64 channels in 24 zmm accumulators: per depth quad it loads 4 zmm of
// packed weights (16 channels x 4 s8 each), broadcasts each row's 4 u8
// values and issues one vpdpbusd per accumulator (u8 x s8 products, summed
// in fours into int32 lanes; the non-saturating form wraps, as the other
// families do).
#include <immintrin.h>

#include <cstring>

#include "impl/ops/gemm_kernels_generic.h"

namespace qdiff::impl {
namespace {

template <int R, int NV>
void dot_tile(const uint8_t* x, int64_t x_stride, const int8_t* w, int64_t quads, int32_t* d,
              bool accumulate) {
  __m512i acc[R][NV];
  for (int r = 0; r < R; ++r) {
    for (int v = 0; v < NV; ++v) {
      acc[r][v] = accumulate ? _mm512_loadu_si512(d + r * kPanelWidth + v * kLaneGroup)
                             : _mm512_setzero_si512();
    }
  }
  const uint8_t* xr[R];
  for (int r = 0; r < R; ++r) xr[r] = x + r * x_stride;
  for (int64_t q = 0; q < quads; ++q) {
    __m512i wv[NV];
    for (int v = 0; v < NV; ++v) wv[v] = _mm512_loadu_si512(w + (q * NV + v) * 64);
    for (int r = 0; r < R; ++r) {
      int32_t quad;
      std::memcpy(&quad, xr[r] + 4 * q, sizeof quad);
      const __m512i xb = _mm512_set1_epi32(quad);
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], xb, wv[v]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int v = 0; v < NV; ++v) {
      _mm512_storeu_si512(d + r * kPanelWidth + v * kLaneGroup, acc[r][v]);
    }
  }
}

using TileFn = void (*)(const uint8_t*, int64_t, const int8_t*, int64_t, int32_t*, bool);

template <int R>
constexpr TileFn tile_for(int nv) {
  switch (nv) {
    case 1: return &dot_tile<R, 1>;
    case 2: return &dot_tile<R, 2>;
    case 3: return &dot_tile<R, 3>;
    default: return &dot_tile<R, 4>;
  }
}

void dot_vnni(const uint8_t* x, int64_t x_stride, const int8_t* w, int nv, int64_t quads,
              int rows, int32_t* d, bool accumulate) {
  TileFn f = nullptr;
  switch (rows) {
    case 1: f = tile_for<1>(nv); break;
    case 2: f = tile_for<2>(nv); break;
    case 3: f = tile_for<3>(nv); break;
    case 4: f = tile_for<4>(nv); break;
    case 5: f = tile_for<5>(nv); break;
    default: f = tile_for<6>(nv); break;
  }
  f(x, x_stride, w, quads, d, accumulate);
}

}  // namespace

const GemmKernels* avx512_gemm_kernels() {
  static const GemmKernels table{Isa::avx512, &dot_vnni, &gemm_generic::group_epilogue,
                                 &gemm_generic::output_runs};
  return &table;
}

}  // namespace qdiff::impl
