// libFuzzer target "case_file": the case-file parser (fuzz/case_file_target.h).
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "fuzz/case_file_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto optimized = qdiff::make_optimized_backend();
  if (const auto finding = qdiff::fuzz::check_case_file_bytes(data, size, *optimized)) {
    fmt::print(stderr, "\n== qdiff finding in fuzz target case_file\n{}\n", *finding);
    std::fflush(stderr);
    std::abort();
  }
  return 0;
}
