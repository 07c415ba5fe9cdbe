// libFuzzer target "case_file": the case-file parser (fuzz/case_file_target.h).
#include "fuzz/case_file_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return qdiff::fuzz::case_file_fuzz_entry("case_file", data, size);
}
