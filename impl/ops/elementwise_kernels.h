// qadd / qmul: the interface of the kernel of one innermost output run
// ("row"); the kernel itself is elementwise_row.h, compiled once per ISA
// family (elementwise_kernels_{scalar,avx2,avx512}.cc).
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "core/fused_ops.h"
#include "impl/ops/output_stage.h"
#include "impl/options.h"

namespace qdiff::impl {

// One operand along a row: element j is q[j * stride] (stride 0 or 1) and
// uses scale element (j / block) * scale_step of `s` / `z` (scale_step 0:
// one scale for the row).
struct ElementwiseOperandRow {
  const void* q = nullptr;
  DType dtype = DType::i8;
  int64_t stride = 1;
  const float* s = nullptr;
  const int32_t* z = nullptr;  // null: no zero point
  int64_t block = 1, scale_step = 0;
};

struct ElementwiseOutputRow {
  void* q = nullptr;
  DType dtype = DType::i8;
  const float* s = nullptr;
  const int32_t* z = nullptr;    // per scale element (0 when absent)
  const float* lo = nullptr;     // qmin - z - 1, per scale element
  const float* hi = nullptr;     // qmax - z + 1
  int64_t block = 1, scale_step = 0;
};

struct ElementwiseRowArgs {
  ElementwiseOp op = ElementwiseOp::add;
  int64_t n = 0;
  ElementwiseOperandRow a, b;
  ElementwiseOutputRow out;
  OutputStage stage;
  bool narrow = true;  // the output stage's narrow form applies (no fault variant)
};

struct ElementwiseKernels {
  Isa isa = Isa::scalar;
  void (*row)(const ElementwiseRowArgs& args) = nullptr;
};

const ElementwiseKernels& scalar_elementwise_kernels();
const ElementwiseKernels* avx2_elementwise_kernels();
const ElementwiseKernels* avx512_elementwise_kernels();

}  // namespace qdiff::impl
