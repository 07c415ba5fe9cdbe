// `qdiff replay`: case files through impl/ at every ISA, or through a
// process backend, judged by the oracle (tools/commands.h).
#include "tools/commands.h"

#include <chrono>
#include <filesystem>

#include <fmt/format.h>

#include "adapters/optimized_backend.h"
#include "cases/printable_text.h"
#include "oracle/process_backend.h"
#include "tools/corpus_replay.h"
#include "tools/exit_codes.h"

namespace qdiff::tools {

namespace {

// Replays the case files through one backend; adds to the failure count.
ReplaySummary replay_through(const std::vector<std::string>& paths, const Backend& backend, double case_timeout,
                             int& failures) {
  const ReplaySummary s = replay_case_files(paths, backend, case_timeout);
  for (const auto& f : s.failures) {
    fmt::print("FAIL {} against {}\n{}\n\n", f.path, backend.name(), escape_control_chars(f.message, true));
  }
  failures += int(s.failures.size());
  fmt::print("{}: {} case files, {} failures\n", backend.name(), s.inputs, s.failures.size());
  return s;
}

}  // namespace

int run_replay(const std::vector<std::string>& paths, double case_timeout, const std::string& backend_command,
               double backend_timeout) {
  // A path given explicitly is never skipped: a typo is an error.
  for (const auto& p : paths) {
    std::error_code ec;
    if (!std::filesystem::exists(p, ec)) {
      fmt::print(stderr, "{}: no such file or directory\n", p);
      return kExitUsage;
    }
  }
  int failures = 0, inputs = 0;
  if (!backend_command.empty()) {
    // No forked deadline: the child would talk to the backend process
    // behind the parent's back; the process backend has its own per-request
    // timeout instead.
    const auto backend =
        start_process_backend({backend_command, std::chrono::milliseconds(int64_t(backend_timeout * 1000)), ""});
    inputs = replay_through(paths, *backend, 0, failures).inputs;
  }
  for (impl::Isa isa : impl::kAllIsas) {
    if (!backend_command.empty() || !impl::isa_supported(isa)) continue;
    impl::ImplOptions o;
    o.isa = isa;
    inputs = replay_through(paths, *make_optimized_backend(o), case_timeout, failures).inputs;
  }
  if (inputs == 0) {
    fmt::print(stderr, "no case files found\n");
    return 2;
  }
  return failures ? 1 : 0;
}

}  // namespace qdiff::tools
