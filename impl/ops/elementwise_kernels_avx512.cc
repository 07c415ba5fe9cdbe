// The qadd / qmul row kernel compiled with the AVX-512 flags (chosen at run time).
// The loops are those of elementwise_row.h; only the -m flags differ.
#include "impl/ops/elementwise_row.h"

namespace qdiff::impl {

const ElementwiseKernels* avx512_elementwise_kernels() {
  static const ElementwiseKernels table{Isa::avx512, &elementwise_generic::row};
  return &table;
}

}  // namespace qdiff::impl
