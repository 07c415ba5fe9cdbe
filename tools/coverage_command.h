// `qdiff coverage [--out DIR] [--cases N]`: clang source-based coverage of
// the property suite plus corpus replay, per file of impl/ and reference/.
// The work is scripts/coverage (a clang build, instrumented runs,
// llvm-profdata and llvm-cov); the command runs it with these arguments
// and returns its exit status. docs/fuzzing.md, "Coverage".
#pragma once

#include <string>
#include <vector>

namespace qdiff::tools {

struct CoverageOptions {
  std::string out_dir;    // HTML report; default build/coverage/html
  int cases = 1000;       // QDIFF_CASES for the property suite
  std::string build_dir;  // default <source>/build/coverage
};

// The script's command line for these options (argv[0] is the script).
std::vector<std::string> coverage_command_line(const CoverageOptions& options);
int run_coverage(const CoverageOptions& options);

}  // namespace qdiff::tools
