// libFuzzer target "lowering": random graphs optimized and lowered, through the
// compact scales and the integer executor (properties listed in
// fuzz/fuzz_driver.cc).
#include "fuzz/custom_mutator.h"
#include "fuzz/fuzz_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return qdiff::fuzz::fuzz_entry("lowering", data, size);
}

// Structure-aware mutation (fuzz/custom_mutator.h); QDIFF_MUTATOR=plain turns it off.
QDIFF_DEFINE_MUTATOR("lowering");
