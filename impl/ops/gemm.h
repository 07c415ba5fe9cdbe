// The quantized GEMM under qlinear and qconv2d (integer path of the
// arithmetic contract in impl/ops/fused_ops.h):
//
//   out[r, k] = output_stage( sum_g f32(acc[r, k, g]) * f32(s_x[r] * s_w[k, g]) )
//   acc[r, k, g] = sum_{p in group g} (qx[r, p] - zx[r]) * (qw[k, p] - zw[k, g])
//
// r: rows (qlinear: the flattened leading dims of x; qconv2d: output
// pixels of every image, x gathered im2col-style), k: output channels,
// p: the reduction ("depth") in DEPTH ORDER, in which every weight-scale
// block g is one contiguous range [start[g], start[g + 1]) (qlinear: the
// natural order; qconv2d: blocks of [C/groups, kh, kw] enumerated
// row-major, so a 2-D or 3-D weight block is contiguous too).
//
// Three ways to compute acc, chosen per call (docs/impl-fused.md):
//  - packed ("narrow"): 8-bit x and w and |acc| < 2^31 guaranteed by the
//    ranges (max group length * max|qx - zx| * max|qw - zw| <= 2^31 - 1).
//    Operands are shifted to u8 x' = qx + ox, s8 w' = qw + ow (ox = 128
//    for i8 x, ow = -128 for u8 w) and the micro-kernels compute the pure
//    dot product D = sum x' w' (int32, wrapping); then, with Zx = zx + ox,
//    Zw = zw + ow, rs = sum_p x', cs = sum_p w' over the group's n terms:
//      acc = D - Zx * (cs - n Zw) - Zw * rs          (mod 2^32, exact
//    because the true acc fits in int32). The weights are packed once per
//    call (or kept in a PackedWeights) into panels of 64 channels x
//    quads of 4 depth positions, each group padded to whole quads.
//  - wide: 16-bit operands or longer groups: int64 accumulation of the
//    centered products, no packing.
//  - float-domain weights (tinygemm): a separate f32 path (gemm_float.cc).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/quant_params.h"
#include "core/tensor.h"
#include "impl/ops/output_stage.h"
#include "impl/options.h"

namespace qdiff::impl {

inline constexpr int kPanelWidth = 64;     // channels per packed panel (4 x 16 int32 lanes)
inline constexpr int kLaneGroup = 16;      // channels per vector of the kernels
inline constexpr int kMaxTileRows = 6;     // rows per micro-kernel call
inline constexpr int kQuad = 4;            // depth positions per vpdpbusd lane

// The reduction in depth order, cut into the weight-scale blocks.
struct DepthGroups {
  int64_t depth = 0;              // reduction length
  int64_t count = 0;              // G, scale blocks along the reduction
  std::vector<int64_t> start;     // count + 1 entries
  std::vector<int32_t> order;     // depth position -> original column; empty: identity
  int64_t length(int64_t g) const { return start[size_t(g) + 1] - start[size_t(g)]; }
  int64_t max_length() const;
  int64_t column(int64_t p) const { return order.empty() ? p : order[size_t(p)]; }
};

// The weight side of one GEMM: channel c < channels is global channel
// channel_offset + c (qconv2d groups), stored at row c of `data` (row
// length row_stride, original column order). Its params use scale element
// (k / channel_block) * groups.count + g for global channel k and group g.
struct WeightMatrix {
  const void* data = nullptr;
  DType dtype = DType::i8;
  int64_t row_stride = 0;
  int64_t channels = 0;
  int64_t channel_offset = 0;
  int64_t channel_block = 1;
  const QuantParams* params = nullptr;
  int64_t scale_index(int64_t global_channel, int64_t g, int64_t groups) const {
    return global_channel / channel_block * groups + g;
  }
};

// Weights packed for the micro-kernels (the "narrow" path).
//   data: panel p (channels 64p .. 64p + width(p)) holds quads[q][width][4]
//   int8 w' = qw + ow for depth quads q of every group (padded with 0).
//   Per panel, group and lane (stride 64): a = cs - n Zw (int32, wrapping),
//   zw = Zw (all zero: left empty), sw = s_w.
struct PackedWeights {
  int64_t channels = 0, depth = 0, groups = 0;
  int64_t quads = 0;                      // padded depth / 4
  std::vector<int64_t> quad_start;        // groups + 1 entries
  std::vector<int64_t> group_length;      // real depth positions per group
  int64_t panels = 0;
  int32_t ow = 0;                         // weight shift (u8 weights: -128)
  DType w_dtype = DType::i8;
  int64_t channel_offset = 0;
  std::shared_ptr<int8_t> data;           // 64-byte aligned
  int64_t data_bytes = 0;
  std::vector<int32_t> a, zw;
  std::vector<float> sw;

  int panel_width(int64_t p) const {
    const int64_t rest = channels - p * kPanelWidth;
    const int64_t w = rest < kPanelWidth ? rest : kPanelWidth;
    return int((w + kLaneGroup - 1) / kLaneGroup * kLaneGroup);
  }
  const int8_t* panel(int64_t p) const { return data.get() + p * kPanelWidth * quads * kQuad; }
  int64_t table_offset(int64_t p, int64_t g) const { return (p * groups + g) * kPanelWidth; }
  // Bytes held beyond the caller's tensors (packed data and tables).
  int64_t extra_bytes() const;
};

// True if the packed (narrow) path can take weights of this dtype/domain.
bool packable_weights(const QuantParams& w_params);
PackedWeights pack_weights(const WeightMatrix& w, const DepthGroups& groups);

// One group's epilogue for a tile (see GemmKernels::group_epilogue).
struct GroupEpilogueArgs {
  const int32_t* d = nullptr;   // [rows][64] dot products D
  float* y = nullptr;           // [rows][64] f32 sums over groups
  int rows = 0, width = 0;      // width: a multiple of 16
  bool first = false;           // first group: y = t instead of y + t
  const int32_t* a = nullptr;   // [width] cs - n Zw
  const int32_t* zw = nullptr;  // [width] Zw, or null when all zero
  const float* sw = nullptr;    // [width]
  const int32_t* zx = nullptr;  // [rows] Zx
  const float* sx = nullptr;    // [rows]
  const int32_t* rs = nullptr;  // row sums of this group: rs[r * rs_stride]
  int64_t rs_stride = 0;
  bool wrap16 = false;          // FAULT POINT int16_accumulation_overflow
};

// A part of one group's depth range inside a depth block (gemm_driver.cc).
struct Segment {
  int64_t q0 = 0, q1 = 0, g = 0;  // quads [q0, q1) of group g
  bool first = false, last = false;  // first / last part of group g
};

// One tile (<= 6 rows x one panel) over the segments of one depth block:
// for each segment, D (+)= dot (kept in `d` while a group continues into
// the next block); at a group's end, the group epilogue into y.
struct TileArgs {
  const uint8_t* x = nullptr;     // the tile's first row, quad 0
  int64_t x_stride = 0;
  const int8_t* w = nullptr;      // the panel, quad 0
  int nv = 0, rows = 0;
  const Segment* segments = nullptr;
  int64_t segment_count = 0;
  int32_t* d = nullptr;           // [rows][64]
  float* y = nullptr;             // [rows][64]
  // Panel tables, group g at + 64 g: a, zw (null when all zero), sw.
  const int32_t* a = nullptr;
  const int32_t* zw = nullptr;
  const float* sw = nullptr;
  // Per-tensor x: neg_t = -(Zx a) (mod 2^32) and s = f32(s_x s_w), group g
  // at + 64 g (null: per-row x, computed from zx[r] and sx[r]).
  const int32_t* neg_t = nullptr;
  const float* s = nullptr;
  const int32_t* zx = nullptr;    // [rows]
  const float* sx = nullptr;      // [rows]
  const int32_t* rs = nullptr;    // row sums, group g of row r at rs[r * rs_stride + g]
  int64_t rs_stride = 0;
  bool wrap16 = false;            // FAULT POINT int16_accumulation_overflow
};

// The row-contiguous output runs of a panel (qlinear; exact variant only).
struct OutputRunArgs {
  float* y = nullptr;            // [rows][64], modified in place
  int rows = 0, width = 0;       // width: valid channels
  const float* bias = nullptr;   // [width] or null
  const float* s = nullptr;      // [width] per channel
  const int32_t* z = nullptr;
  const float* lo = nullptr;
  const float* hi = nullptr;
  int32_t qmin = 0, qmax = 0;
  Activation activation;
  void* out = nullptr;           // element (r, c) at out + (r * row_stride + c) * esize
  int64_t row_stride = 0;
  DType dtype = DType::i8;
};

// One ISA family's GEMM kernels. All families compute identical values.
// Each is built from two steps (gemm_kernels_generic.h, run_tile_t):
//  dot:      D[r][c] (+)= sum_{q} sum_{b < 4} x[r * x_stride + 4q + b] * w[(q * width + c) * 4 + b]
//            for r < rows (<= kMaxTileRows), c < width = 16 nv; int32 wrapping
//  epilogue: acc = D - Zx[r] a[c] - Zw[c] rs[r]   (wrapping; int16 wrap under the fault)
//            t   = f32(acc) * f32(sx[r] * sw[c]);  y = first group ? t : f32(y + t)
// AVX-512 fuses them, keeping D in registers (the same values).
struct GemmKernels {
  Isa isa = Isa::scalar;
  // One tile over the segments of a depth block.
  void (*run_tile)(const TileArgs& args) = nullptr;
  // Contract steps 3-4 for row-contiguous output, narrow ranges.
  void (*output_runs)(const OutputRunArgs& args) = nullptr;
};

const GemmKernels& scalar_gemm_kernels();
const GemmKernels* avx2_gemm_kernels();    // null when not compiled in
const GemmKernels* avx512_gemm_kernels();  // null when not compiled in or no VNNI
const GemmKernels& select_gemm_kernels(const ImplOptions& options);

}  // namespace qdiff::impl
