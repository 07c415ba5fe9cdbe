#include "tools/commands.h"

#include <fmt/format.h>

#include "cases/case_file.h"
#include "cases/fused_case.h"
#include "oracle/case_oracle.h"
#include "oracle/process_backend.h"
#include "tools/corpus_replay.h"

namespace qdiff::tools {

int run_eval(const std::string& path, const std::string& which, const std::optional<std::string>& isa) {
  std::unique_ptr<Backend> backend;
  if (which == "reference") {
    backend = make_reference_backend();
  } else if (which == "optimized") {
    impl::ImplOptions o;
    if (isa) o.isa = impl::parse_isa(*isa);
    backend = make_optimized_backend(o);
  } else {
    fmt::print(stderr, "--impl must be reference or optimized, got '{}'\n", which);
    return 2;
  }
  Case c;
  try {
    c = parse_case(read_file(path));
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::malformed_case) {
      fmt::print(stderr, "{}: malformed_case: {}\n", path, e.what());
      return 2;
    }
    CaseResult r;
    r.error_kind = e.kind();
    r.error_message = e.what();
    fmt::print("{}\n", write_result(r));
    return 3;
  }
  const CaseResult r = evaluate_case(c, *backend);
  fmt::print("{}\n", write_result(r));
  return r.error_kind ? 3 : 0;
}

namespace {

// Replays the case files through one backend; adds to the failure count.
ReplaySummary replay_through(const std::vector<std::string>& paths, const Backend& backend, int& failures) {
  const ReplaySummary s = replay_case_files(paths, backend);
  for (const auto& f : s.failures) {
    fmt::print("FAIL {} against {}\n{}\n\n", f.path, backend.name(), f.message);
  }
  failures += int(s.failures.size());
  fmt::print("{}: {} case files, {} failures\n", backend.name(), s.inputs, s.failures.size());
  return s;
}

}  // namespace

int run_replay(const std::vector<std::string>& paths, const std::string& backend_command) {
  int failures = 0, inputs = 0;
  if (!backend_command.empty()) {
    inputs = replay_through(paths, *start_process_backend({backend_command, kDefaultProcessTimeout, ""}), failures).inputs;
  }
  for (impl::Isa isa : impl::kAllIsas) {
    if (!backend_command.empty() || !impl::isa_supported(isa)) continue;
    impl::ImplOptions o;
    o.isa = isa;
    inputs = replay_through(paths, *make_optimized_backend(o), failures).inputs;
  }
  if (inputs == 0) {
    fmt::print(stderr, "no case files found\n");
    return 2;
  }
  return failures ? 1 : 0;
}

}  // namespace qdiff::tools
