#include "tools/commands.h"

#include <filesystem>

#include <fmt/format.h>

#include "cases/case_file.h"
#include "cases/fused_case.h"
#include "cases/input_file.h"
#include "cases/printable_text.h"
#include "oracle/case_oracle.h"
#include "tools/corpus_replay.h"
#include "tools/exit_codes.h"
#include "tools/flag_names.h"

namespace qdiff::tools {

int run_eval(const std::string& path, const std::string& which, const std::optional<std::string>& isa) {
  std::unique_ptr<Backend> backend;
  if (which == "reference") {
    backend = make_reference_backend();
  } else if (which == "optimized") {
    impl::ImplOptions o;
    if (isa) {
      const auto chosen = isa_from_flag(*isa);
      if (!chosen) return kExitUsage;
      o.isa = *chosen;
    }
    backend = make_optimized_backend(o);
  } else {
    fmt::print(stderr, "--impl must be reference or optimized, got '{}'\n", escape_control_chars(which));
    return kExitUsage;
  }
  Case c;
  try {
    c = parse_case(read_input_file(path));
  } catch (const ReadError& e) {
    fmt::print(stderr, "{}\n", e.what());
    return kExitUsage;
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::malformed_case) {
      fmt::print(stderr, "{}: malformed_case: {}\n", path, e.what());
      return kExitUsage;
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

int run_replay(const std::vector<std::string>& paths) {
  // A path given explicitly is never skipped: a typo is an error.
  for (const auto& p : paths) {
    std::error_code ec;
    if (!std::filesystem::exists(p, ec)) {
      fmt::print(stderr, "{}: no such file or directory\n", p);
      return kExitUsage;
    }
  }
  int failures = 0, inputs = 0;
  for (impl::Isa isa : impl::kAllIsas) {
    if (!impl::isa_supported(isa)) continue;
    impl::ImplOptions o;
    o.isa = isa;
    const auto backend = make_optimized_backend(o);
    const ReplaySummary s = replay_case_files(paths, *backend);
    inputs = s.inputs;
    for (const auto& f : s.failures) {
      fmt::print("FAIL {} against {}\n{}\n\n", f.path, backend->name(), escape_control_chars(f.message, true));
    }
    failures += int(s.failures.size());
    fmt::print("{}: {} case files, {} failures\n", backend->name(), s.inputs, s.failures.size());
  }
  if (inputs == 0) {
    fmt::print(stderr, "no case files found\n");
    return 2;
  }
  return failures ? 1 : 0;
}

}  // namespace qdiff::tools
