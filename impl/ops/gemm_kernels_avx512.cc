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

inline __m512i broadcast_quad(const uint8_t* p) {
  int32_t quad;
  std::memcpy(&quad, p, sizeof quad);
  return _mm512_set1_epi32(quad);
}

// The accumulators are named variables, not an array: gcc keeps an array of
// 24 zmm in memory (a store per update), named ones live in registers.
// Variables of rows >= R or vectors >= NV are dead and vanish.
#define QDIFF_ACC_ROW(r)                                                                      \
  __m512i c##r##0 = load_or_zero(R > r && NV > 0, d + (r) * kPanelWidth + 0 * kLaneGroup);  \
  __m512i c##r##1 = load_or_zero(R > r && NV > 1, d + (r) * kPanelWidth + 1 * kLaneGroup);  \
  __m512i c##r##2 = load_or_zero(R > r && NV > 2, d + (r) * kPanelWidth + 2 * kLaneGroup);  \
  __m512i c##r##3 = load_or_zero(R > r && NV > 3, d + (r) * kPanelWidth + 3 * kLaneGroup)
#define QDIFF_DOT_ROW(r)                                                     \
  if constexpr (R > r) {                                                     \
    const __m512i xb = broadcast_quad(x + (r) * x_stride + 4 * q);           \
    c##r##0 = _mm512_dpbusd_epi32(c##r##0, xb, w0);                          \
    if constexpr (NV > 1) c##r##1 = _mm512_dpbusd_epi32(c##r##1, xb, w1);    \
    if constexpr (NV > 2) c##r##2 = _mm512_dpbusd_epi32(c##r##2, xb, w2);    \
    if constexpr (NV > 3) c##r##3 = _mm512_dpbusd_epi32(c##r##3, xb, w3);    \
  }
#define QDIFF_STORE_ROW(r)                                                                    \
  if constexpr (R > r) {                                                                      \
    _mm512_storeu_si512(d + (r) * kPanelWidth + 0 * kLaneGroup, c##r##0);                     \
    if constexpr (NV > 1) _mm512_storeu_si512(d + (r) * kPanelWidth + 1 * kLaneGroup, c##r##1); \
    if constexpr (NV > 2) _mm512_storeu_si512(d + (r) * kPanelWidth + 2 * kLaneGroup, c##r##2); \
    if constexpr (NV > 3) _mm512_storeu_si512(d + (r) * kPanelWidth + 3 * kLaneGroup, c##r##3); \
  }

template <int R, int NV>
void dot_tile(const uint8_t* x, int64_t x_stride, const int8_t* w, int64_t quads, int32_t* d,
              bool accumulate) {
  const auto load_or_zero = [accumulate](bool live, const int32_t* p) {
    return live && accumulate ? _mm512_loadu_si512(p) : _mm512_setzero_si512();
  };
  QDIFF_ACC_ROW(0);
  QDIFF_ACC_ROW(1);
  QDIFF_ACC_ROW(2);
  QDIFF_ACC_ROW(3);
  QDIFF_ACC_ROW(4);
  QDIFF_ACC_ROW(5);
  for (int64_t q = 0; q < quads; ++q) {
    const int8_t* wq = w + q * NV * 64;
    const __m512i w0 = _mm512_loadu_si512(wq);
    const __m512i w1 = NV > 1 ? _mm512_loadu_si512(wq + 64) : _mm512_setzero_si512();
    const __m512i w2 = NV > 2 ? _mm512_loadu_si512(wq + 128) : _mm512_setzero_si512();
    const __m512i w3 = NV > 3 ? _mm512_loadu_si512(wq + 192) : _mm512_setzero_si512();
    QDIFF_DOT_ROW(0)
    QDIFF_DOT_ROW(1)
    QDIFF_DOT_ROW(2)
    QDIFF_DOT_ROW(3)
    QDIFF_DOT_ROW(4)
    QDIFF_DOT_ROW(5)
  }
  QDIFF_STORE_ROW(0)
  QDIFF_STORE_ROW(1)
  QDIFF_STORE_ROW(2)
  QDIFF_STORE_ROW(3)
  QDIFF_STORE_ROW(4)
  QDIFF_STORE_ROW(5)
}

// The tile over a depth block's segments with the group epilogue in
// registers (full panels: NV = 4): D never leaves the accumulators unless a
// group continues into the next depth block. Per group and vector:
//   acc = D - Zx a - Zw rs     (per-tensor x: the accumulators start from
//                               the table -(Zx a) instead of 0; per-row x:
//                               Zx[r] * a is subtracted at the group's end)
//   y   = f32(acc) * s (+ y)   (s = f32(s_x s_w): a table, else sx[r] * sw)
// the generic group_epilogue's values (integer steps modulo 2^32, then the
// same f32 operations in the same order).
template <int R, bool kPerRow, bool kHasZw>
void run_tile_fused(const TileArgs& t) {
  constexpr int NV = 4;
  int32_t* d = t.d;
  const uint8_t* x = t.x;
  const int64_t x_stride = t.x_stride;
  bool accumulate = false;
  const auto load_or_zero = [&accumulate](bool live, const int32_t* p) {
    return live && accumulate ? _mm512_loadu_si512(p) : _mm512_setzero_si512();
  };
  // A group's first segment starts from -(Zx a) (per-tensor x) or 0.
  const int32_t* start = nullptr;
  const auto start_or_partial = [&accumulate, &start](const int32_t* partial, int v) {
    if (accumulate) return _mm512_loadu_si512(partial);
    return start ? _mm512_loadu_si512(start + v * kLaneGroup) : _mm512_setzero_si512();
  };
  // Local copies: the stores to y would otherwise force reloads through `t`.
  const int32_t* const a_table = t.a;
  const int32_t* const zw_table = t.zw;
  const float* const sw_table = t.sw;
  const float* const s_table = t.s;
  float* const y_tile = t.y;
  const auto epilogue = [=](__m512i acc, int r, int v, int64_t g, __m512i zx, __m512 sx,
                            __m512i rs) {
    const int64_t off = g * kPanelWidth + v * kLaneGroup;
    if constexpr (kPerRow) {
      acc = _mm512_sub_epi32(acc, _mm512_mullo_epi32(zx, _mm512_loadu_si512(a_table + off)));
    }
    if constexpr (kHasZw) {
      acc = _mm512_sub_epi32(acc, _mm512_mullo_epi32(_mm512_loadu_si512(zw_table + off), rs));
    }
    const __m512 s = kPerRow ? _mm512_mul_ps(sx, _mm512_loadu_ps(sw_table + off))
                             : _mm512_loadu_ps(s_table + off);
    // (the maskz form: gcc 12 warns falsely on _mm512_cvtepi32_ps's undefined source)
    const __m512 prod = _mm512_mul_ps(_mm512_maskz_cvtepi32_ps(0xFFFF, acc), s);
    float* y = y_tile + r * kPanelWidth + v * kLaneGroup;
    _mm512_storeu_ps(y, g == 0 ? prod : _mm512_add_ps(_mm512_loadu_ps(y), prod));
  };
  QDIFF_ACC_ROW(0);
  QDIFF_ACC_ROW(1);
  QDIFF_ACC_ROW(2);
  QDIFF_ACC_ROW(3);
  QDIFF_ACC_ROW(4);
  QDIFF_ACC_ROW(5);
#define QDIFF_RESET_ROW(r)                                                    \
  if constexpr (R > r) {                                                      \
    c##r##0 = start_or_partial(d + (r) * kPanelWidth + 0 * kLaneGroup, 0);    \
    c##r##1 = start_or_partial(d + (r) * kPanelWidth + 1 * kLaneGroup, 1);    \
    c##r##2 = start_or_partial(d + (r) * kPanelWidth + 2 * kLaneGroup, 2);    \
    c##r##3 = start_or_partial(d + (r) * kPanelWidth + 3 * kLaneGroup, 3);    \
  }
#define QDIFF_EPILOGUE_ROW(r)                                                               \
  if constexpr (R > r) {                                                                    \
    const __m512i zx = kPerRow ? _mm512_set1_epi32(t.zx[r]) : _mm512_setzero_si512();       \
    const __m512 sx = kPerRow ? _mm512_set1_ps(t.sx[r]) : _mm512_setzero_ps();              \
    const __m512i rs = kHasZw ? _mm512_set1_epi32(t.rs[(r) * t.rs_stride + g]) : _mm512_setzero_si512(); \
    epilogue(c##r##0, r, 0, g, zx, sx, rs);                                                 \
    epilogue(c##r##1, r, 1, g, zx, sx, rs);                                                 \
    epilogue(c##r##2, r, 2, g, zx, sx, rs);                                                 \
    epilogue(c##r##3, r, 3, g, zx, sx, rs);                                                 \
  }
  for (int64_t i = 0; i < t.segment_count; ++i) {
    const Segment& sg = t.segments[i];
    accumulate = !sg.first;
    start = kPerRow ? nullptr : t.neg_t + sg.g * kPanelWidth;
    QDIFF_RESET_ROW(0)
    QDIFF_RESET_ROW(1)
    QDIFF_RESET_ROW(2)
    QDIFF_RESET_ROW(3)
    QDIFF_RESET_ROW(4)
    QDIFF_RESET_ROW(5)
    const int8_t* w = t.w;
    for (int64_t q = sg.q0; q < sg.q1; ++q) {
      const int8_t* wq = w + q * NV * 64;
      const __m512i w0 = _mm512_loadu_si512(wq);
      const __m512i w1 = _mm512_loadu_si512(wq + 64);
      const __m512i w2 = _mm512_loadu_si512(wq + 128);
      const __m512i w3 = _mm512_loadu_si512(wq + 192);
      QDIFF_DOT_ROW(0)
      QDIFF_DOT_ROW(1)
      QDIFF_DOT_ROW(2)
      QDIFF_DOT_ROW(3)
      QDIFF_DOT_ROW(4)
      QDIFF_DOT_ROW(5)
    }
    if (!sg.last) {
      QDIFF_STORE_ROW(0)
      QDIFF_STORE_ROW(1)
      QDIFF_STORE_ROW(2)
      QDIFF_STORE_ROW(3)
      QDIFF_STORE_ROW(4)
      QDIFF_STORE_ROW(5)
      continue;
    }
    const int64_t g = sg.g;
    QDIFF_EPILOGUE_ROW(0)
    QDIFF_EPILOGUE_ROW(1)
    QDIFF_EPILOGUE_ROW(2)
    QDIFF_EPILOGUE_ROW(3)
    QDIFF_EPILOGUE_ROW(4)
    QDIFF_EPILOGUE_ROW(5)
  }
#undef QDIFF_RESET_ROW
#undef QDIFF_EPILOGUE_ROW
}

#undef QDIFF_ACC_ROW
#undef QDIFF_DOT_ROW
#undef QDIFF_STORE_ROW

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

using RunTileFn = void (*)(const TileArgs&);

template <bool kPerRow, bool kHasZw>
RunTileFn fused_for(int rows) {
  switch (rows) {
    case 1: return &run_tile_fused<1, kPerRow, kHasZw>;
    case 2: return &run_tile_fused<2, kPerRow, kHasZw>;
    case 3: return &run_tile_fused<3, kPerRow, kHasZw>;
    case 4: return &run_tile_fused<4, kPerRow, kHasZw>;
    case 5: return &run_tile_fused<5, kPerRow, kHasZw>;
    default: return &run_tile_fused<6, kPerRow, kHasZw>;
  }
}

void run_tile_vnni(const TileArgs& t) {
  if (t.nv != 4 || t.wrap16) {
    // Partial panels and the int16 fault point: the unfused kernels.
    return gemm_generic::run_tile_t<&dot_vnni, &gemm_generic::group_epilogue>(t);
  }
  const bool per_row = t.neg_t == nullptr, zw = t.zw != nullptr;
  RunTileFn f = per_row ? (zw ? fused_for<true, true>(t.rows) : fused_for<true, false>(t.rows))
                        : (zw ? fused_for<false, true>(t.rows) : fused_for<false, false>(t.rows));
  f(t);
}

}  // namespace

const GemmKernels* avx512_gemm_kernels() {
  static const GemmKernels table{Isa::avx512, &run_tile_vnni, &gemm_generic::output_runs};
  return &table;
}

}  // namespace qdiff::impl
