// Picks the GEMM kernel family for a call: ImplOptions::isa, or the widest
// the CPU supports. The AVX-512 family needs VNNI (vpdpbusd) on top of the
// F/BW/DQ/VL that isa_supported() checks; without it, a call that asks for
// avx512 runs the AVX2 kernels (the results are identical either way).
#include "core/error.h"
#include "impl/ops/gemm.h"

namespace qdiff::impl {

#if !defined(QDIFF_HAVE_AVX2)
const GemmKernels* avx2_gemm_kernels() { return nullptr; }
#endif
#if !defined(QDIFF_HAVE_AVX512)
const GemmKernels* avx512_gemm_kernels() { return nullptr; }
#endif

namespace {
bool cpu_has_vnni() {
#if defined(QDIFF_HAVE_AVX512)
  return __builtin_cpu_supports("avx512vnni");
#else
  return false;
#endif
}
}  // namespace

const GemmKernels& select_gemm_kernels(const ImplOptions& options) {
  const Isa isa = options.isa ? *options.isa : best_isa();
  if (!isa_supported(isa)) {
    fail(ErrorKind::unsupported, "ISA {} is not supported by this CPU or build", isa_name(isa));
  }
  switch (isa) {
    case Isa::scalar:
      return scalar_gemm_kernels();
    case Isa::avx2:
      return *avx2_gemm_kernels();
    case Isa::avx512:
      return cpu_has_vnni() ? *avx512_gemm_kernels() : *avx2_gemm_kernels();
  }
  return scalar_gemm_kernels();
}

}  // namespace qdiff::impl
