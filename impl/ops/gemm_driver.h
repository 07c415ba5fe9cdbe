// Running one quantized GEMM (gemm.h) for qlinear or one qconv2d group:
// the choice of path (packed / wide / float-domain weights), cache
// blocking, threads, the group epilogues and the output stage.
//
// Blocking of the packed path, per call:
//   for each block of rows (packed x of at most kXBlockBytes, all depth):
//     pack x rows (u8 x' = qx + ox, groups padded to quads) and row sums
//     for each panel of 64 channels              <- split across threads
//       for each depth block (<= kDepthBlockQuads quads, cut at groups)
//         for each tile of <= 6 rows (GemmKernels::run_tile)
//           for each segment (part of one group) of the depth block:
//             D (+)= dot(x tile, w panel)      (int32 tile, kept between
//                                               blocks while a group continues)
//             at a group's end: y (+)= f32(acc) * f32(s_x s_w)
//       output stage of the panel's rows (bias, activation, requantize)
// The weight panel's depth block (64 KiB) stays in L2 while every row tile
// of the block runs over it; the x block stays in L2 across panels.
#pragma once

#include <cstdint>

#include "core/quant_params.h"
#include "impl/fault_points.h"
#include "impl/ops/gemm.h"
#include "impl/ops/output_stage.h"
#include "impl/options.h"

namespace qdiff::impl {

inline constexpr int64_t kXBlockBytes = int64_t{1} << 20;
inline constexpr int64_t kDepthBlockQuads = 256;

// The x side: row r's reduction values in depth order, in x's storage type.
class RowSource {
 public:
  virtual ~RowSource() = default;
  // Row r when it is stored contiguously in depth order, else null.
  virtual const void* direct(int64_t r) const = 0;
  // Writes row r (depth values) to dst; used when direct() is null.
  virtual void gather(int64_t r, void* dst) const = 0;
  // Flat index of row r's scale / zero point in the x params.
  virtual int64_t param_index(int64_t r) const = 0;
};

// Where output (r, k) goes: element base(r) + k * channel_stride, k global.
struct GemmOutput {
  void* data = nullptr;
  DType dtype = DType::i8;
  int64_t channel_stride = 1;
  int64_t rows_per_image = 1;  // qconv2d: OH * OW; qlinear: 1
  int64_t image_stride = 0;    // qconv2d: O * OH * OW; qlinear: K
  int64_t base(int64_t r) const {
    return r / rows_per_image * image_stride + r % rows_per_image;
  }
};

// Output params expanded per global channel (OutputParams::of).
struct OutputParams {
  std::vector<float> s, lo, hi;
  std::vector<int32_t> z;
  bool narrow = true;  // lo, hi within +-2^22 (output_stage.h)
  bool per_channel = false;
  static OutputParams of(const QuantParams& p, int64_t channels, bool per_channel);
};

struct GemmCall {
  int64_t rows = 0;
  const RowSource* x = nullptr;
  DType x_dtype = DType::i8;
  const QuantParams* x_params = nullptr;
  bool x_per_tensor = false;         // every row has the same x params
  WeightMatrix w;
  const DepthGroups* groups = nullptr;
  int64_t total_channels = 0;        // K (qlinear) or O (qconv2d), for the params
  const float* bias = nullptr;       // indexed by global channel, or null
  GemmOutput out;
  const OutputParams* out_params = nullptr;
  OutputStage stage;
  FaultSet faults;
};

// Runs the call; `packed` (may be null) must come from pack_weights() of
// the same weights and groups, and is used only by the packed path.
void run_gemm(const GemmCall& call, const PackedWeights* packed, const GemmKernels& kernels,
              const ImplOptions& options);

// True if a call with these operands takes the packed path (8-bit, int32 exact).
bool takes_packed_path(DType x_dtype, const QuantParams& x_params, const QuantParams& w_params,
                       const DepthGroups& groups);

// Bytes the packed path allocates during a call of `rows` rows on
// `threads` threads (packed x block, row sums, row params, per-thread D and
// y tiles and per-panel t / s tables, the expanded output params of
// `total_channels`), beyond the packed weights and the output tensor.
int64_t packed_path_workspace_bytes(int64_t rows, const PackedWeights& pw, int threads,
                                    int64_t total_channels);

// The output stage variant of a qlinear / qconv2d call: the contract's
// zero-point placement, unless a fault point overrides it.
OutputVariant output_variant(FaultSet faults, OutputZeroPoint placement);

}  // namespace qdiff::impl
