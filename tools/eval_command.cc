#include "adapters/optimized_backend.h"
#include "tools/commands.h"

#include <filesystem>

#include <fmt/format.h>

#include "cases/case_file.h"
#include "cases/case.h"
#include "cases/input_file.h"
#include "cases/printable_text.h"
#include "oracle/case_oracle.h"
#include "tools/case_deadline.h"
#include "tools/exit_codes.h"
#include "tools/flag_names.h"

namespace qdiff::tools {
namespace {

// What `qdiff eval` prints and returns for one case.
struct EvalOutcome {
  int exit_code = 0;
  std::string out;  // the result JSON
  std::string err;  // a malformed case's message
};

EvalOutcome evaluate_file(const std::string& path, const Backend& backend) {
  Case c;
  try {
    c = parse_case(read_input_file(path));
  } catch (const ReadError& e) {  // a file problem, named as one (not "invalid JSON")
    return {kExitUsage, "", fmt::format("{}\n", e.what())};
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::malformed_case) {
      return {kExitUsage, "", fmt::format("{}: malformed_case: {}\n", path, e.what())};
    }
    CaseResult r;
    r.error_kind = e.kind();
    r.error_message = e.what();
    return {kExitRejected, fmt::format("{}\n", write_result(r)), ""};
  }
  const CaseResult r = evaluate_case(c, backend);
  return {r.error_kind ? kExitRejected : kExitOk, fmt::format("{}\n", write_result(r)), ""};
}

// Across the deadline's pipe: the exit code's byte, stderr's text, a NUL,
// stdout's text (neither text holds a NUL: JSON and messages).
std::string encode(const EvalOutcome& o) { return char(o.exit_code) + o.err + '\0' + o.out; }
EvalOutcome decode(const std::string& bytes) {
  const size_t nul = bytes.find('\0', 1);
  return {int(bytes[0]), bytes.substr(1, nul - 1), bytes.substr(nul + 1)};
}

}  // namespace

int run_eval(const std::string& path, const std::string& which, const std::optional<std::string>& isa,
             double case_timeout) {
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
  const BoundedRun run = run_with_deadline(case_timeout, [&] { return encode(evaluate_file(path, *backend)); });
  if (!run.finished()) {
    fmt::print(stderr, "{}: {}\n", path, run.problem);
    return 1;
  }
  const EvalOutcome o = decode(run.output);
  fmt::print("{}", o.out);
  fmt::print(stderr, "{}", o.err);
  return o.exit_code;
}

}  // namespace qdiff::tools
