// The scalar qadd / qmul row kernel (portable C++, always built).
// The loops are those of elementwise_row.h; only the -m flags differ.
#include "impl/ops/elementwise_row.h"

namespace qdiff::impl {

const ElementwiseKernels& scalar_elementwise_kernels() {
  static const ElementwiseKernels table{Isa::scalar, &elementwise_generic::row};
  return table;
}

}  // namespace qdiff::impl
