// qdiff: differential verification of affine quantization.
//   qdiff check    run the verification campaign (the main job)
//   qdiff eval     evaluate one case file
//   qdiff replay   replay case files through every implementation
//   qdiff explain  explain a case file or fuzzer input; print a regression test
//   qdiff fuzz     run the libFuzzer targets at scale; record findings as case files
//   qdiff coverage clang source-based coverage of impl/ and reference/
//   qdiff faults   measured detection power of the fault catalogue
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "tools/check_command.h"
#include "tools/commands.h"
#include "tools/coverage_command.h"
#include "tools/detection_power.h"
#include "tools/fuzz_command.h"

int main(int argc, char** argv) {
  CLI::App app{"qdiff: differential verification and fuzzing of affine quantization"};
  app.require_subcommand(1);

  qdiff::tools::CheckOptions check;
  std::vector<std::string> only;
  std::string isa, fault;
  auto* c = app.add_subcommand("check", "run every property, replay corpus/, fuzz each target");
  c->add_option("--cases", check.cases, "cases per property (RapidCheck)")->check(CLI::PositiveNumber);
  c->add_option("--seed", check.seed, "RapidCheck seed (printed; reruns are identical)");
  c->add_option("--fuzz-seconds", check.fuzz_seconds, "seconds per fuzz target (0: no fuzzing)")
      ->check(CLI::NonNegativeNumber);
  c->add_option("--junit", check.junit, "write a JUnit XML report");
  c->add_option("--findings", check.findings_dir, "directory for case files of findings");
  c->add_option("--corpus", check.corpus_dir, "corpus directory (default: the source tree's)");
  c->add_option("--fuzz-build", check.fuzz_build_dir, "directory holding the *_fuzz binaries");
  c->add_option("--property", only, "only properties whose name contains this (repeatable)");
  c->add_option("--isa", isa, "only this ISA: scalar, avx2, avx512");
  c->add_option("--fault", fault, "inject an impl/ fault point (to see a failure report)");
  c->add_flag("--no-corpus", check.skip_corpus, "skip corpus replay");
  c->add_option("--backend", check.backend_library,
                "check a plug-in backend (shared library implementing include/qdiff/backend.h)")
      ->check(CLI::ExistingFile);
  c->add_option("--backend-cmd", check.backend_command,
                "check a process backend: /bin/sh -c CMD speaking docs/process-protocol.md");
  c->add_option("--backend-timeout", check.backend_timeout_seconds,
                "seconds per request of --backend-cmd before it is killed (a finding)")
      ->check(CLI::PositiveNumber);

  std::string eval_path, eval_impl = "optimized", eval_isa;
  auto* e = app.add_subcommand("eval", "evaluate one case file; print the result JSON");
  e->add_option("case", eval_path, "case file")->required();
  e->add_option("--impl", eval_impl, "reference or optimized");
  e->add_option("--isa", eval_isa, "optimized ISA");

  std::vector<std::string> replay_paths;
  auto* r = app.add_subcommand("replay", "run case files through every implementation and the oracle");
  r->add_option("paths", replay_paths, "case files or directories")->required();
  std::string replay_backend_cmd;
  r->add_option("--backend-cmd", replay_backend_cmd, "replay through this process backend instead of impl/");

  std::string explain_path, explain_target;
  auto* x = app.add_subcommand("explain", "explain a case file or fuzzer input; print a regression test");
  x->add_option("file", explain_path, "case file or fuzzer crash input")->required();
  x->add_option("--target", explain_target, "fuzz target of a raw input");
  std::string explain_backend_cmd;
  x->add_option("--backend-cmd", explain_backend_cmd, "also say whether this process backend passes the case");

  qdiff::tools::FuzzOptions fuzz;
  auto* f = app.add_subcommand("fuzz", "run libFuzzer targets; merge new coverage; record findings as case files");
  qdiff::tools::add_fuzz_arguments(*f, fuzz);

  qdiff::tools::CoverageOptions coverage;
  auto* cov = app.add_subcommand("coverage", "clang source-based coverage of the property suite and corpus replay");
  cov->add_option("--out", coverage.out_dir, "HTML report directory (default build/coverage/html)");
  cov->add_option("--cases", coverage.cases, "QDIFF_CASES for the property suite")->check(CLI::PositiveNumber);
  cov->add_option("--build-dir", coverage.build_dir, "clang coverage build tree (default build/coverage)");

  qdiff::tools::FaultsOptions faults;
  auto* fl = app.add_subcommand("faults", "measure detection power: each fault point vs the property suite and the fuzzers");
  fl->add_option("--seeds", faults.seeds, "seeds 1..N per fault")->check(CLI::PositiveNumber);
  fl->add_option("--cases", faults.cases, "RapidCheck cases per property")->check(CLI::PositiveNumber);
  fl->add_option("--fuzz-seconds", faults.fuzz_seconds, "libFuzzer cap per run (0: no fuzzing)")->check(CLI::NonNegativeNumber);
  fl->add_option("--fuzz-build", faults.fuzz_build_dir, "directory holding the *_fuzz binaries (or its build tree)");
  fl->add_option("--only", faults.only, "only these fault points (repeatable)");
  fl->add_option("--markdown", faults.markdown, "also write the report as Markdown");

  CLI11_PARSE(app, argc, argv);
  try {
    if (*c) {
      check.only = only;
      if (!isa.empty()) check.isa = isa;
      if (!fault.empty()) check.fault = fault;
      return qdiff::tools::run_check(check);
    }
    if (*e) {
      return qdiff::tools::run_eval(eval_path, eval_impl,
                                    eval_isa.empty() ? std::nullopt : std::optional(eval_isa));
    }
    if (*r && !replay_backend_cmd.empty()) return qdiff::tools::run_replay(replay_paths, replay_backend_cmd);
    if (*r) return qdiff::tools::run_replay(replay_paths);
    if (*f) return qdiff::tools::run_fuzz(fuzz);
    if (*cov) return qdiff::tools::run_coverage(coverage);
    if (*fl) return qdiff::tools::run_faults(faults);
    if (*x && !explain_backend_cmd.empty()) {
      return qdiff::tools::run_explain(explain_path, explain_target.empty() ? std::nullopt : std::optional(explain_target),
                                       explain_backend_cmd);
    }
    if (*x) {
      return qdiff::tools::run_explain(
          explain_path, explain_target.empty() ? std::nullopt : std::optional(explain_target));
    }
  } catch (const std::exception& ex) {
    fmt::print(stderr, "qdiff: {}\n", ex.what());
    return 2;
  }
  return 0;
}
