// `qdiff check`: the main job. Runs every property family under RapidCheck
// against the optimized implementation (differential families at every
// supported ISA), replays corpus/, fuzzes each target for a few seconds
// when a fuzz build exists, and prints a summary table. Exit 0 when
// nothing failed, 1 on any finding (each saved as a case file).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/case_deadline.h"

namespace qdiff::tools {

struct CheckOptions {
  int cases = 10000;
  uint64_t seed = 1;
  int fuzz_seconds = 10;
  std::string junit;                // JUnit XML output path (optional)
  std::string findings_dir = "qdiff-findings";
  std::string corpus_dir;           // default: <source>/corpus
  std::string fuzz_build_dir;       // default: tools/fuzzing/fuzz_command.h's default_fuzz_build_dir()
  // The ASan + UBSan fuzz build's share, per target, after the differential
  // rows (memory errors; skipped when that build is absent or is the one
  // fuzzed above).
  int asan_fuzz_seconds = 3;
  std::string asan_fuzz_build_dir;  // default: <source>/build/fuzz, unless fuzz_build_dir is given
  std::vector<std::string> only;    // property name filter (substring)
  std::optional<std::string> isa;   // only this ISA
  std::optional<std::string> fault; // inject a fault point (demonstrations)
  bool skip_corpus = false;
  double case_timeout = kDefaultCaseTimeoutSeconds;  // per corpus input (tools/case_deadline.h)
  std::string backend_library;      // a plug-in backend (include/qdiff/backend.h) to check instead
  std::string backend_command;      // a process backend (docs/process-protocol.md) to check instead
  double backend_timeout_seconds = 10;  // per request of the process backend
};

int run_check(const CheckOptions& options);

}  // namespace qdiff::tools
