// Picks the kernel table for a call: ImplOptions::isa, or the widest ISA
// the CPU supports. The AVX2 / AVX-512 tables are only touched after
// isa_supported() said yes.
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "core/error.h"
#include "impl/quantize/kernels.h"

namespace qdiff::impl {

#if !defined(QDIFF_HAVE_AVX2)
const KernelTable* avx2_kernels() { return nullptr; }
#endif
#if !defined(QDIFF_HAVE_AVX512)
const KernelTable* avx512_kernels() { return nullptr; }
#endif

void store_fence() {
#if defined(__x86_64__)
  _mm_sfence();  // SSE, part of the x86-64 baseline
#endif
}

const KernelTable& select_kernels(const ImplOptions& options) {
  const Isa isa = options.isa ? *options.isa : best_isa();
  if (!isa_supported(isa)) {
    fail(ErrorKind::unsupported, "ISA {} is not supported by this CPU or build", isa_name(isa));
  }
  switch (isa) {
    case Isa::scalar: return scalar_kernels();
    case Isa::avx2: return *avx2_kernels();
    case Isa::avx512: return *avx512_kernels();
  }
  return scalar_kernels();
}

}  // namespace qdiff::impl
