// The portable kernel family: the row kernels of kernel_rows.h with one
// lane. Always built; the reference point for "SIMD makes no difference".
#include "impl/quantize/kernel_rows.h"

namespace qdiff::impl {
namespace {
struct ScalarTag {};
using Ops = kernels::ScalarOps<ScalarTag>;
}  // namespace

const KernelTable& scalar_kernels() {
  static const KernelTable table = kernels::make_kernel_table<Ops>(Isa::scalar);
  return table;
}

}  // namespace qdiff::impl
