// libFuzzer target "case_file": the case-file parser (fuzz/case_file_target.h).
#include "fuzz/case_file_target.h"
#include "fuzz/custom_mutator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return qdiff::fuzz::case_file_fuzz_entry("case_file", data, size);
}

// Structure-aware mutation (fuzz/custom_mutator.h); QDIFF_MUTATOR=plain turns it off.
QDIFF_DEFINE_MUTATOR("case_file");
