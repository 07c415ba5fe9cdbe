// `qdiff fuzz [TARGET...]`: fuzzing at scale with the libFuzzer build. For
// each target (default: every *_fuzz binary of the build) it runs libFuzzer
// for --seconds with the target's options (fuzz/options/), dictionary
// (fuzz/dictionaries/) and --jobs fork workers, on a scratch corpus seeded
// read-only from corpus/<target>/; prints a progress line (execs, exec/s,
// coverage as libFuzzer reports them); merges what added coverage into
// corpus/<target>/ (-merge=1); and records every finding as a regression
// case file with a one-line summary (tools/fuzzing/fuzz_findings.h). Exit 0 when
// nothing was found, 1 on findings (or a failed run or merge), 2 on a usage
// error or a missing fuzz build. docs/fuzzing.md, "Running qdiff fuzz".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tools/fuzzing/fuzz_process.h"

namespace CLI {
class App;
}

namespace qdiff::tools {

struct FuzzOptions {
  std::vector<std::string> targets;  // empty: every target of the build
  int seconds = 60;                  // per target
  int jobs = 1;                      // > 1: libFuzzer fork mode, -fork=jobs
  std::string build_dir;             // default: default_fuzz_build_dir()
  std::string corpus_dir;            // default <source>/corpus
  std::string findings_dir = "qdiff-findings/fuzz";  // raw artifacts and logs
  std::string regressions_dir;       // default <corpus>/regressions/fuzz
  std::string fault;                 // QDIFF_FAULT for the targets (demonstrations); "" none
  bool merge = true;
};

// Adds the subcommand's arguments to `command` (main.cc; the tests parse
// with it too).
void add_fuzz_arguments(CLI::App& command, FuzzOptions& options);

int run_fuzz(const FuzzOptions& options);

// libFuzzer options of a target, from fuzz/options/<t>.options (else
// default.options): the [libfuzzer] section's `key = value` lines.
struct TargetFuzzOptions {
  int max_len = 8192;
  int timeout_seconds = 20;
  int rss_limit_mb = 2560;
  // -len_control: 0 lets inputs reach max_len at once (see default.options);
  // unset keeps libFuzzer's default (100).
  std::optional<int> len_control;
};
TargetFuzzOptions read_target_options(const std::string& options_dir, const std::string& target);
// Sets the request's libFuzzer options from <source>/fuzz/options/<target>.options
// (`qdiff fuzz`, `qdiff check` and `qdiff faults` run a target alike).
void apply_target_options(FuzzRunRequest& req, const std::string& target);

// The directory holding <t>_fuzz binaries under `build_dir` (a build tree's
// fuzz/, or the directory itself, e.g. ClusterFuzzLite's $OUT), and the
// targets found there, sorted; nullopt when there are none.
struct FuzzBuild {
  std::string binary_dir;
  std::vector<std::string> targets;
};
std::optional<FuzzBuild> find_fuzz_build(const std::string& build_dir);

// The fuzz build trees of the source tree (CMakePresets.json): the fast
// differential build (fuzzfast: -O2, no ASan) and the ASan + UBSan build
// (fuzz), which keeps a share of the time for memory errors.
std::string fast_fuzz_build_dir();  // <source>/build/fuzzfast
std::string asan_fuzz_build_dir();  // <source>/build/fuzz
// What `qdiff fuzz`, `qdiff check` and `qdiff faults` fuzz with when not
// told: the fast build when it has targets, else the ASan build.
std::string default_fuzz_build_dir();

}  // namespace qdiff::tools
