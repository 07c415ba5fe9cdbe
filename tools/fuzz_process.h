// Runs one libFuzzer binary for a fixed time as a child process and reads
// back what it did: executions, exec/s, and any finding (the crash input
// libFuzzer wrote and the qdiff case file the target saved).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace qdiff::tools {

struct FuzzRunRequest {
  std::string binary;                // .../quantize_fuzz
  std::vector<std::string> corpus_dirs;  // first one receives new inputs
  int seconds = 10;
  int max_len = 8192;
  std::string findings_dir;          // artifact_prefix and QDIFF_FINDINGS_DIR
  std::vector<std::string> extra_args;
  std::vector<std::string> env;      // NAME=value added to the child's environment
};

struct FuzzRunResult {
  bool launched = false;
  int exit_code = 0;
  int64_t executions = 0;
  int64_t exec_per_second = 0;
  bool finding = false;
  std::string crash_input;   // libFuzzer's artifact
  std::string case_file;     // the qdiff case file the target saved
  std::string report;        // the finding's report lines (stderr tail)
  double seconds = 0;
};

FuzzRunResult run_fuzzer(const FuzzRunRequest& request);

}  // namespace qdiff::tools
