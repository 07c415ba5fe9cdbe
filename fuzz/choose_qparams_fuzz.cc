// libFuzzer target "choose_qparams": choose_qparams_affine vs the reference; block coverage
// (properties listed in fuzz/fuzz_driver.cc).
#include "fuzz/custom_mutator.h"
#include "fuzz/fuzz_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return qdiff::fuzz::fuzz_entry("choose_qparams", data, size);
}

// Structure-aware mutation (fuzz/custom_mutator.h); QDIFF_MUTATOR=plain turns it off.
QDIFF_DEFINE_MUTATOR("choose_qparams");
