// The scalar GEMM family: plain C++ kernels over the same packing and
// blocking as the SIMD families (ruy's "standard C++" path), always built,
// so the blocking logic is tested on every machine.
#include "impl/ops/gemm_kernels_generic.h"

namespace qdiff::impl {

const GemmKernels& scalar_gemm_kernels() {
  static const GemmKernels table{
      Isa::scalar,
      &gemm_generic::run_tile_t<&gemm_generic::dot_plain, &gemm_generic::group_epilogue>,
      &gemm_generic::output_runs};
  return table;
}

}  // namespace qdiff::impl
