// libFuzzer target "qconv2d": qconv2d vs the ideal result; qlinear as a 1x1 conv
// (properties listed in fuzz/fuzz_driver.cc).
#include "fuzz/custom_mutator.h"
#include "fuzz/fuzz_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return qdiff::fuzz::fuzz_entry("qconv2d", data, size);
}

// Structure-aware mutation (fuzz/custom_mutator.h); QDIFF_MUTATOR=plain turns it off.
QDIFF_DEFINE_MUTATOR("qconv2d");
