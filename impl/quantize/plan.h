// Planning a quantize-family call: done once per call, after validation.
//
// 1. Kernel path (plan_kernel_path): the layout class the call falls in,
//    reported to the harness.
// 2. Loop nest: the input dims with their blocks, size-1 dims dropped and
//    adjacent dims merged where one (size, block, count) triple describes
//    both, i.e.
//      outer dim with constant-scale inner dim:  (n_o n_i, b_o n_i, c_o)
//      per-element outer dim (b = 1, c = n) over an inner dim of whole
//      blocks (n_i = b_i c_i):                   (n_o n_i, b_i, n_o c_i)
//    so per-tensor becomes one flat run, per-channel outer one run of
//    slabs, per-channel middle [outer const][channel slabs], per-channel
//    inner [rows][per-element run], per-group with whole groups one run
//    of groups (partial last groups: [rows][runs of g]) and any
//    other layout an odometer over the outer dims with runs of blocks
//    inside. The innermost merged dim is the "row" a RowKernel processes.
// 3. Scale columns: 1/s, f32(z), min_val... per scale element, once.
// 4. Kernel configuration from contract, domain, range and fault points.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "core/contract.h"
#include "core/quant_params.h"
#include "impl/options.h"
#include "impl/quantize/affine.h"
#include "impl/quantize/kernels.h"
#include "impl/quantize/validate.h"

namespace qdiff::impl {

// Layout class from the implementation's own geometry (same rules as SPEC
// section 2), and the path it maps to.
KernelPath kernel_path_of(const BlockGeometry& g);

// One dim of the loop nest: element i of it uses block min(i / block,
// count - 1), at flat scale offset block * scale_stride.
struct LoopDim {
  int64_t size = 1;
  int64_t block = 1;
  int64_t count = 1;
  int64_t scale_stride = 0;
};

struct LoopNest {
  int64_t numel = 0;
  int outer_rank = 0;                       // dims before the row, outermost first
  std::array<LoopDim, kMaxRank> outer{};
  LoopDim row;                              // the innermost merged dim
  int64_t rows = 1;                         // product of outer sizes
  // Largest scale offset of a row start that keeps every group of the row
  // inside the scale (a guard that only the stride fault point can hit).
  int64_t max_row_offset = 0;
  // At most this many whole rows of one scale block of the innermost outer
  // dim go to the kernel as one task (loop_nest.h: row_batch_*; set by the
  // caller per op); 1 = row by row.
  int64_t batch_rows = 1;
};

// Builds the loop nest of a validated geometry; path and faults select the
// fault points that live in the loop structure.
LoopNest plan_loop_nest(const BlockGeometry& g, KernelPath path, FaultSet faults);

// Owns the per-scale-element arrays behind a ScaleColumns.
struct ScaleColumnStorage {
  std::vector<float> inverse, zero_f, min_val;
  std::vector<int32_t> zero_i;
  ScaleColumns columns;
};

// Arithmetic variant of a quantize-family call (faults applied).
QuantizeConfig plan_quantize_config(const QuantParams& p, Contract contract, FaultSet faults);
DequantMode plan_dequant_mode(const QuantParams& p);
KernelConsts plan_consts(const QuantParams& p, FaultSet faults);
// The reciprocal column is computed by the table's family (`reciprocals`).
void build_scale_columns(const QuantParams& p, AffineCall call, const QuantizeConfig& config,
                         FaultSet faults, const KernelTable& table, ScaleColumnStorage& storage);

}  // namespace qdiff::impl
