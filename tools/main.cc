// qdiff: differential verification of affine quantization.
//   qdiff check    run the verification campaign (the main job)
//   qdiff eval     evaluate one case file
//   qdiff replay   replay case files through every implementation
//   qdiff explain  explain a case file or fuzzer input; print a regression test
//   qdiff fuzz     run the libFuzzer targets at scale; record findings as case files
//   qdiff coverage clang source-based coverage of impl/ and reference/
//   qdiff faults   measured detection power of the fault catalogue
#include <climits>
#include <optional>
#include <string_view>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tools/case_deadline.h"
#include "tools/check_command.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/coverage_command.h"
#include "tools/detection_power.h"
#include "tools/fuzzing/fuzz_command.h"

namespace {

// Readable bounds (CLI::PositiveNumber and NonNegativeNumber print
// DBL_MAX in full) for int flags.
const CLI::Range kPositiveInt(1, INT_MAX);
const CLI::Range kNonNegativeInt(0, INT_MAX);
const CLI::Range kCaseTimeoutSeconds(0.0, 86400.0);  // a day: no case may need more

constexpr const char* kCaseTimeoutHelp =
    "seconds one case may take before it is killed and reported as a timeout (default 10; 0: no deadline)";
constexpr const char* kBackendTimeoutHelp =
    "seconds per request of --backend-cmd before it is killed (a finding; default 10, the hello at least 10)";

// CLI11 reads "-1" into a uint64 as 2^64 - 1.
const CLI::Validator kUnsignedInt(
    [](std::string& s) {
      return s.find_first_not_of("0123456789") == std::string::npos && !s.empty()
                 ? std::string()
                 : "must be a non-negative integer (0 to 18446744073709551615), got " + s;
    },
    "UINT64");

// CLI11 says "A subcommand is required" for `qdiff frobnicate`.
bool known_subcommand(const CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return true;
  std::vector<std::string> names;
  for (const auto* sub : app.get_subcommands({})) {
    if (sub->get_name() == argv[1]) return true;
    names.push_back(sub->get_name());
  }
  fmt::print(stderr, "qdiff: unknown subcommand '{}'; subcommands: {}\n", argv[1], fmt::join(names, ", "));
  return false;
}

CLI::App* add_faults_subcommand(CLI::App& app, qdiff::tools::FaultsOptions& faults) {
  auto* fl = app.add_subcommand("faults", "measure detection power: each fault point vs the property suite and the fuzzers");
  fl->add_option("--seeds", faults.seeds, "seeds 1..N per fault")->check(kPositiveInt);
  fl->add_option("--cases", faults.cases, "RapidCheck cases per property")->check(kPositiveInt);
  fl->add_option("--fuzz-seconds", faults.fuzz_seconds, "libFuzzer cap per run (0: no fuzzing)")->check(kNonNegativeInt);
  fl->add_option("--fuzz-build", faults.fuzz_build_dir,
                 "directory holding the *_fuzz binaries, or its build tree (default build/fuzzfast, else build/fuzz)");
  fl->add_option("--only", faults.only, "only these fault points (repeatable)");
  fl->add_option("--markdown", faults.markdown, "also write the report as Markdown");
  return fl;
}

CLI::App* add_check_subcommand(CLI::App& app, qdiff::tools::CheckOptions& check) {
  auto* c = app.add_subcommand("check", "run every property, replay corpus/, fuzz each target");
  c->add_option("--cases", check.cases, "cases per property (RapidCheck)")->check(kPositiveInt);
  c->add_option("--seed", check.seed, "RapidCheck seed (printed; reruns are identical)")->check(kUnsignedInt);
  c->add_option("--fuzz-seconds", check.fuzz_seconds, "seconds per fuzz target (0: no fuzzing)")
      ->check(kNonNegativeInt);
  c->add_option("--junit", check.junit, "write a JUnit XML report");
  c->add_option("--findings", check.findings_dir, "directory for case files of findings");
  c->add_option("--corpus", check.corpus_dir,
                "corpus directory (default: an installed qdiff's share/qdiff/corpus, else the source tree's)");
  c->add_option("--fuzz-build", check.fuzz_build_dir,
                "fuzz build tree or directory of *_fuzz binaries (default build/fuzzfast, else build/fuzz)");
  c->add_option("--asan-fuzz-seconds", check.asan_fuzz_seconds,
                "seconds per target in the ASan + UBSan fuzz build, after the fast build's (0: none)")
      ->check(kNonNegativeInt);
  c->add_option("--asan-fuzz-build", check.asan_fuzz_build_dir, "the ASan + UBSan fuzz build (default build/fuzz; none when --fuzz-build is given)");
  c->add_option("--property", check.only, "only properties whose name contains this (repeatable)");
  // Given means checked, even when empty: `--isa ""` is a typo, not "every ISA".
  c->add_option_function<std::string>("--isa", [&](const std::string& v) { check.isa = v; },
                                      "only this ISA: scalar, avx2, avx512");
  c->add_option_function<std::string>("--fault", [&](const std::string& v) { check.fault = v; },
                                      "inject an impl/ fault point (to see a failure report)");
  c->add_flag("--no-corpus", check.skip_corpus, "skip corpus replay");
  c->add_option("--case-timeout", check.case_timeout, kCaseTimeoutHelp)->check(kCaseTimeoutSeconds);
  c->add_option("--backend", check.backend_library,
                "check a plug-in backend (shared library implementing include/qdiff/backend.h)")
      ->check(CLI::ExistingFile);
  c->add_option("--backend-cmd", check.backend_command,
                "check a process backend: /bin/sh -c CMD speaking docs/process-protocol.md");
  c->add_option("--backend-timeout", check.backend_timeout_seconds, kBackendTimeoutHelp)->check(CLI::PositiveNumber);
  return c;
}

// The exit code when the command line does not run a subcommand.
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
  if (!known_subcommand(app, argc, argv)) return qdiff::tools::kExitUsage;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help prints and exits 0; every other parse error is a usage error.
    return app.exit(error) == 0 ? 0 : qdiff::tools::kExitUsage;
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"qdiff: differential verification and fuzzing of affine quantization"};
  app.require_subcommand(1);

  qdiff::tools::CheckOptions check;
  auto* c = add_check_subcommand(app, check);

  std::string eval_path, eval_impl = "optimized";
  std::optional<std::string> eval_isa;
  auto* e = app.add_subcommand("eval", "evaluate one case file; print the result JSON");
  e->add_option("case", eval_path, "case file")->required();
  e->add_option("--impl", eval_impl, "reference or optimized");
  e->add_option_function<std::string>("--isa", [&](const std::string& v) { eval_isa = v; }, "optimized ISA");
  double eval_timeout = qdiff::tools::kDefaultCaseTimeoutSeconds;
  e->add_option("--case-timeout", eval_timeout, kCaseTimeoutHelp)->check(kCaseTimeoutSeconds);

  std::vector<std::string> replay_paths;
  auto* r = app.add_subcommand("replay", "run case files through every implementation and the oracle");
  r->add_option("paths", replay_paths, "case files or directories")->required();
  double replay_timeout = qdiff::tools::kDefaultCaseTimeoutSeconds;
  r->add_option("--case-timeout", replay_timeout, kCaseTimeoutHelp)->check(kCaseTimeoutSeconds);
  std::string replay_backend_cmd;
  r->add_option("--backend-cmd", replay_backend_cmd, "replay through this process backend instead of impl/");
  double replay_backend_timeout = 10;
  r->add_option("--backend-timeout", replay_backend_timeout, kBackendTimeoutHelp)->check(CLI::PositiveNumber);

  std::string explain_path, explain_target;
  auto* x = app.add_subcommand("explain", "explain a case file or fuzzer input; print a regression test");
  x->add_option("file", explain_path, "case file or fuzzer crash input")->required();
  x->add_option("--target", explain_target, "fuzz target of a raw input");
  std::string explain_backend_cmd;
  x->add_option("--backend-cmd", explain_backend_cmd, "also say whether this process backend passes the case");
  double explain_backend_timeout = 10;
  x->add_option("--backend-timeout", explain_backend_timeout, kBackendTimeoutHelp)->check(CLI::PositiveNumber);
  std::string explain_backend_library;
  x->add_option("--backend", explain_backend_library, "also say whether this plug-in backend passes the case")
      ->check(CLI::ExistingFile);

  qdiff::tools::FuzzOptions fuzz;
  auto* f = app.add_subcommand("fuzz", "run libFuzzer targets; merge new coverage; record findings as case files");
  qdiff::tools::add_fuzz_arguments(*f, fuzz);

  qdiff::tools::CoverageOptions coverage;
  auto* cov = app.add_subcommand("coverage", "clang source-based coverage of the property suite and corpus replay");
  cov->add_option("--out", coverage.out_dir, "HTML report directory (default build/coverage/html)");
  cov->add_option("--cases", coverage.cases, "QDIFF_CASES for the property suite")->check(kPositiveInt);
  cov->add_option("--build-dir", coverage.build_dir, "clang coverage build tree (default build/coverage)");

  qdiff::tools::FaultsOptions faults;
  auto* fl = add_faults_subcommand(app, faults);

  if (const auto exit_code = parse_command_line(app, argc, argv)) return *exit_code;
  try {
    if (*c) return qdiff::tools::run_check(check);
    if (*e) return qdiff::tools::run_eval(eval_path, eval_impl, eval_isa, eval_timeout);
    if (*r) return qdiff::tools::run_replay(replay_paths, replay_timeout, replay_backend_cmd, replay_backend_timeout);
    if (*f) return qdiff::tools::run_fuzz(fuzz);
    if (*cov) return qdiff::tools::run_coverage(coverage);
    if (*fl) return qdiff::tools::run_faults(faults);
    if (*x) {
      return qdiff::tools::run_explain(explain_path, explain_target.empty() ? std::nullopt : std::optional(explain_target),
                                       explain_backend_cmd, explain_backend_timeout, explain_backend_library);
    }
  } catch (const std::exception& ex) {
    fmt::print(stderr, "qdiff: {}\n", ex.what());
    return qdiff::tools::kExitUsage;
  }
  return 0;
}
