// libFuzzer target "graph": random graphs through every pass and the
// optimized executor (properties listed in fuzz/fuzz_driver.cc; lowering has
// its own target, fuzz/lowering_fuzz.cc).
#include "fuzz/custom_mutator.h"
#include "fuzz/fuzz_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return qdiff::fuzz::fuzz_entry("graph", data, size);
}

// Structure-aware mutation (fuzz/custom_mutator.h); QDIFF_MUTATOR=plain turns it off.
QDIFF_DEFINE_MUTATOR("graph");
