// The GEMM kernel pieces written once in plain C++ (gemm.h, GemmKernels):
// the scalar family's dot product, and the group epilogue and output runs
// of every family. Included by gemm_kernels_{scalar,avx2,avx512}.cc, each
// compiled with its own -m flags, so the loops below are vectorized by the
// compiler for that ISA (elementwise f32 and int32 operations only, in the
// written order: the results do not depend on the ISA).
#pragma once

#include <cstdint>
#include <cstring>

#include "impl/ops/gemm.h"
#include "impl/ops/output_stage.h"

namespace qdiff::impl::gemm_generic {
// Internal linkage: each ISA translation unit keeps its own copy.
namespace {

// D[r][c] (+)= sum over quads of x'[r] . w'[c], in uint32 (wrapping, no UB).
inline void dot_plain(const uint8_t* x, int64_t x_stride, const int8_t* w, int nv, int64_t quads,
                      int rows, int32_t* d, bool accumulate) {
  const int width = nv * kLaneGroup;
  for (int r = 0; r < rows; ++r) {
    uint32_t acc[kPanelWidth];
    for (int c = 0; c < width; ++c) acc[c] = accumulate ? uint32_t(d[r * kPanelWidth + c]) : 0u;
    const uint8_t* xr = x + r * x_stride;
    for (int64_t q = 0; q < quads; ++q) {
      const uint32_t x0 = xr[4 * q], x1 = xr[4 * q + 1], x2 = xr[4 * q + 2], x3 = xr[4 * q + 3];
      const int8_t* wq = w + q * width * kQuad;
      for (int c = 0; c < width; ++c) {
        acc[c] += x0 * uint32_t(int32_t(wq[4 * c])) + x1 * uint32_t(int32_t(wq[4 * c + 1])) +
                  x2 * uint32_t(int32_t(wq[4 * c + 2])) + x3 * uint32_t(int32_t(wq[4 * c + 3]));
      }
    }
    for (int c = 0; c < width; ++c) d[r * kPanelWidth + c] = int32_t(acc[c]);
  }
}

// acc = D - Zx a - Zw rs (mod 2^32), then t = f32(acc) * f32(sx * sw), y = t or y + t.
template <bool kFirst, bool kHasZw, bool kWrap16>
void group_epilogue_t(const GroupEpilogueArgs& e) {
  const int width = e.width;
  for (int r = 0; r < e.rows; ++r) {
    const int32_t* __restrict d = e.d + r * kPanelWidth;
    float* __restrict y = e.y + r * kPanelWidth;
    const uint32_t zx = uint32_t(e.zx[r]);
    const uint32_t rs = uint32_t(e.rs[r * e.rs_stride]);
    const float sx = e.sx[r];
    const int32_t* __restrict a = e.a;
    const int32_t* __restrict zw = e.zw;
    const float* __restrict sw = e.sw;
    for (int c = 0; c < width; ++c) {
      uint32_t acc = uint32_t(d[c]) - zx * uint32_t(a[c]);
      if (kHasZw) acc -= uint32_t(zw[c]) * rs;
      int32_t v = int32_t(acc);  // modular (C++20); the true value fits in int32
      if (kWrap16) {
        // FAULT POINT int16_accumulation_overflow: replaces the int32 accumulator
        // by an int16 one that wraps (two's complement, through the conversion).
        v = int16_t(v);
      }
      const float t = float(v) * (sx * sw[c]);
      y[c] = kFirst ? t : y[c] + t;
    }
  }
}

inline void group_epilogue(const GroupEpilogueArgs& e) {
  const bool zw = e.zw != nullptr;
  if (e.wrap16) {
    if (e.first) return zw ? group_epilogue_t<true, true, true>(e) : group_epilogue_t<true, false, true>(e);
    return zw ? group_epilogue_t<false, true, true>(e) : group_epilogue_t<false, false, true>(e);
  }
  if (e.first) return zw ? group_epilogue_t<true, true, false>(e) : group_epilogue_t<true, false, false>(e);
  return zw ? group_epilogue_t<false, true, false>(e) : group_epilogue_t<false, false, false>(e);
}

// A tile over the segments of a depth block through the family's dot and
// group_epilogue (the scalar and AVX2 families; AVX-512 under the fault).
template <auto kDot, auto kEpilogue>
void run_tile_t(const TileArgs& t) {
  for (int64_t i = 0; i < t.segment_count; ++i) {
    const Segment& sg = t.segments[i];
    kDot(t.x + sg.q0 * kQuad, t.x_stride, t.w + sg.q0 * t.nv * kLaneGroup * kQuad, t.nv,
         sg.q1 - sg.q0, t.rows, t.d, !sg.first);
    if (!sg.last) continue;
    GroupEpilogueArgs e;
    e.d = t.d;
    e.y = t.y;
    e.rows = t.rows;
    e.width = t.nv * kLaneGroup;
    e.first = sg.g == 0;
    e.a = t.a + sg.g * kPanelWidth;
    e.zw = t.zw ? t.zw + sg.g * kPanelWidth : nullptr;
    e.sw = t.sw + sg.g * kPanelWidth;
    e.zx = t.zx;
    e.sx = t.sx;
    e.rs = t.rs + sg.g;
    e.rs_stride = t.rs_stride;
    e.wrap16 = t.wrap16;
    kEpilogue(e);
  }
}

template <typename OutT>
void output_runs_t(const OutputRunArgs& o) {
  OutT* out = static_cast<OutT*>(o.out);
  for (int r = 0; r < o.rows; ++r) {
    float* y = o.y + r * kPanelWidth;
    bias_and_activation_run(y, o.width, o.bias, o.activation);
    quantize_run_narrow<false>(y, o.width, o.s, o.z, o.lo, o.hi, o.qmin, o.qmax,
                               out + r * o.row_stride);
  }
}

inline void output_runs(const OutputRunArgs& o) {
  switch (o.dtype) {
    case DType::i8: return output_runs_t<int8_t>(o);
    case DType::u8: return output_runs_t<uint8_t>(o);
    case DType::i16: return output_runs_t<int16_t>(o);
    case DType::u16: return output_runs_t<uint16_t>(o);
    case DType::i32: return output_runs_t<int32_t>(o);
    case DType::f32: break;
  }
}

}  // namespace
}  // namespace qdiff::impl::gemm_generic
