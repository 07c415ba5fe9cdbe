// Runs one libFuzzer binary as a child process and reads back what it did:
// executions, exec/s, coverage (while it runs, for progress lines, and at
// the end), and any finding (the crash input libFuzzer wrote and the qdiff
// case file the target saved). Used by `qdiff check` (a few seconds per
// target) and `qdiff fuzz` (long runs, fork mode, corpus merges).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qdiff::tools {

// One libFuzzer status line, as libFuzzer prints it. Plain mode:
//   #4096	pulse  cov: 1530 ft: 4471 corp: 112/9643b lim: 163 exec/s: 1365 rss: 71Mb
// Fork mode (-fork=N), from the parent:
//   #53217: cov: 1655 ft: 5302 corp: 229 exec/s 5321 oom/timeout/crash: 0/0/0 time: 11s job: 4 dft_time: 0
// A field the line lacks stays -1.
struct FuzzStatus {
  int64_t executions = -1;
  int64_t exec_per_second = -1;
  int64_t coverage = -1;  // "cov": coverage counters (edges) reached
  int64_t features = -1;  // "ft": libFuzzer's finer features
  int64_t corpus_units = -1;
};
std::optional<FuzzStatus> parse_fuzz_status_line(std::string_view line);

// The most telling line of a fuzzer log about why it stopped: the qdiff
// finding line, else the sanitizer's SUMMARY, else libFuzzer's ERROR or
// timeout ALARM; empty when the log shows none.
std::string finding_reason(const std::vector<std::string>& log_lines);

struct FuzzRunRequest {
  std::string binary;                // .../quantize_fuzz
  std::vector<std::string> corpus_dirs;  // first one receives new inputs
  int seconds = 10;                  // -max_total_time; 0: none (merges)
  int max_len = 8192;
  int timeout_seconds = 20;          // -timeout (per input)
  int rss_limit_mb = 4096;
  std::optional<int> len_control;    // -len_control when set
  std::string findings_dir;          // artifact_prefix and QDIFF_FINDINGS_DIR
  std::vector<std::string> extra_args;
  std::vector<std::string> env;      // NAME=value added to the child's environment
  std::string log_path;              // where the child's output goes; empty: a
                                     // temporary file, removed unless a finding
  // Called about every `status_interval` seconds while the fuzzer runs,
  // with its latest status line.
  std::function<void(const FuzzStatus&, double elapsed_seconds)> on_status;
  double status_interval = 1.0;
  // The watchdog (watchdog_seconds()) allows this much beyond the time cap
  // and one input's -timeout: libFuzzer's own exit work (final stats,
  // LeakSanitizer's leak check, writing an artifact) takes about a second
  // on these targets; 10 s covers that on a loaded 2-core CI runner.
  double watchdog_slack_seconds = 10.0;
};

// How long a timed run (seconds > 0) may take before run_fuzzer kills it:
// seconds + timeout_seconds + watchdog_slack_seconds. libFuzzer checks
// -max_total_time only between inputs, so a run may overrun its cap by one
// input, and libFuzzer's own -timeout ends an input that runs longer (a
// better report than a kill: the input is saved), hence the per-input
// timeout is part of the margin. nullopt: no watchdog (seconds == 0:
// merges and reruns of one input, bounded by -timeout instead).
std::optional<double> watchdog_seconds(const FuzzRunRequest& req);

struct FuzzRunResult {
  bool launched = false;
  int exit_code = 0;
  int64_t executions = 0;
  int64_t exec_per_second = 0;
  FuzzStatus last_status;    // the last status line (coverage, features, corpus)
  bool finding = false;      // a crash, a watchdog kill or no executions
  bool watchdog_killed = false;  // still running at watchdog_seconds(): killed
  bool no_executions = false;    // a timed plain-mode run that executed nothing
  std::string crash_input;   // libFuzzer's artifact
  std::string case_file;     // the qdiff case file the target saved
  std::string report;        // the finding's report lines (stderr tail)
  std::string reason;        // finding_reason() of the log
  std::string log_path;      // kept when given, or when there is a finding
  double seconds = 0;
};

// libFuzzer's flags for req, without the time cap and the corpus:
// -max_len, -print_final_stats, -timeout, -rss_limit_mb, -artifact_prefix
// and -len_control when set (shared by run_fuzzer and `qdiff faults`).
std::vector<std::string> engine_flags(const FuzzRunRequest& req);

FuzzRunResult run_fuzzer(const FuzzRunRequest& request);

// Starts args[0] with args and this process's environment plus extra_env
// (NAME=value entries), its stdout and stderr going to log_path (created or
// truncated). Returns the child's pid, or nullopt with `error` set. The
// caller waits for it (run_fuzzer; `qdiff faults`' CPU-capped runner).
std::optional<pid_t> spawn_logged(const std::vector<std::string>& args, const std::vector<std::string>& extra_env,
                                  const std::string& log_path, std::string& error);

}  // namespace qdiff::tools
