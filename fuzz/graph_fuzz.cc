// libFuzzer target "graph": random graphs through every pass, the optimized
// executor, lowering and the integer executor (properties listed in
// fuzz/fuzz_driver.cc).
#include "fuzz/fuzz_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return qdiff::fuzz::fuzz_entry("graph", data, size);
}
