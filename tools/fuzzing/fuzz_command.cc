#include "tools/fuzzing/fuzz_command.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "fuzz/fuzz_driver.h"
#include "impl/fault_points.h"
#include "tools/flag_names.h"
#include "tools/fuzzing/fuzz_findings.h"
#include "tools/fuzzing/fuzz_process.h"
#include "tools/scratch_dir.h"

namespace qdiff::tools {
namespace fs = std::filesystem;
namespace {

const std::string kSource = QDIFF_SOURCE_DIR;

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

bool is_executable_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && access(p.c_str(), X_OK) == 0;
}

int count_files(const std::string& dir) {
  int n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) n += e.is_regular_file();
  return n;
}

std::string status_text(const FuzzStatus& s) {
  auto cell = [](int64_t v) { return v < 0 ? std::string("-") : std::to_string(v); };
  return fmt::format("{:>10} execs {:>7}/s  cov {:>5}  ft {:>6}  corpus {:>5}", cell(s.executions),
                     cell(s.exec_per_second), cell(s.coverage), cell(s.features), cell(s.corpus_units));
}

// Progress of one target: rewritten in place on a terminal, a line every
// 10 s otherwise (CI logs).
class ProgressLine {
 public:
  explicit ProgressLine(std::string label) : label_(std::move(label)), tty_(isatty(STDOUT_FILENO)) {}
  void update(const FuzzStatus& s, double elapsed) {
    if (!tty_ && elapsed < next_plain_) return;
    next_plain_ = elapsed + 10;
    const std::string text = fmt::format("{} {:>5.0f} s {}", label_, elapsed, status_text(s));
    if (tty_) {
      fmt::print("\r{}", text);
      shown_ = true;
    } else {
      fmt::print("{}\n", text);
    }
    std::fflush(stdout);
  }
  void finish(const std::string& text) {
    if (shown_) fmt::print("\r{}\r", std::string(110, ' '));
    fmt::print("{}\n", text);
    std::fflush(stdout);
  }

 private:
  std::string label_;
  bool tty_;
  bool shown_ = false;
  double next_plain_ = 10;
};

struct TargetOutcome {
  int findings = 0;
  bool failed_to_run = false;
};

// Re-runs an artifact through the target that produced it (same
// environment; artifacts of the rerun go to a scratch directory): whether it
// still fails, and the case file a property target saves for a qdiff
// finding. That case file is the fuzz build's own decoding of the input, so
// it is right even when this qdiff was built from other sources.
struct Reproduction {
  bool fails = false;
  std::string case_file;
  std::string reason;  // finding_reason() of the rerun's log
};
Reproduction reproduce(const FuzzRunRequest& run, const std::string& input, const std::string& scratch) {
  fs::remove_all(scratch);
  fs::create_directories(scratch);
  FuzzRunRequest r = run;
  r.seconds = 0;
  r.extra_args.clear();
  r.corpus_dirs = {input};  // a file: libFuzzer runs it once
  r.findings_dir = scratch;
  r.log_path = scratch + "/reproduce.log";
  r.on_status = nullptr;
  const FuzzRunResult fr = run_fuzzer(r);
  Reproduction out;
  out.fails = fr.launched && fr.exit_code != 0;
  out.reason = fr.reason;
  std::error_code ec;
  if (!fr.case_file.empty() && fs::exists(fr.case_file, ec)) out.case_file = fr.case_file;
  return out;
}

std::string relative_if_inside(const std::string& path) {
  const std::string cwd = fs::current_path().string() + "/";
  return path.rfind(cwd, 0) == 0 ? path.substr(cwd.size()) : path;
}

}  // namespace

void add_fuzz_arguments(CLI::App& c, FuzzOptions& o) {
  c.add_option("targets", o.targets, "fuzz targets (default: every target of the build)");
  c.add_option("--seconds", o.seconds, "seconds per target")->check(CLI::Range(1, 100000000));
  c.add_option("--jobs", o.jobs, "parallel libFuzzer workers per target (fork mode when > 1)")
      ->check(CLI::Range(1, 1024));
  c.add_option("--build-dir", o.build_dir,
               "fuzz build tree (default <source>/build/fuzzfast, else <source>/build/fuzz) or a directory "
               "of *_fuzz binaries");
  c.add_option("--corpus", o.corpus_dir, "corpus directory (default: the source tree's)");
  c.add_option("--findings", o.findings_dir, "where raw crash inputs and fuzzer logs go");
  c.add_option("--regressions", o.regressions_dir,
               "where findings are recorded as case files (default <corpus>/regressions/fuzz)");
  // Checked when given, even empty (the targets would ignore a typo).
  c.add_option("--fault", o.fault, "inject an impl/ fault point into the targets (to see findings)")
      ->check(CLI::Validator([](std::string& name) { return fault_name_problem(name); }, "FAULT"));
  c.add_flag_callback("--no-merge", [&o] { o.merge = false; }, "do not merge new coverage into corpus/<target>/");
}

TargetFuzzOptions read_target_options(const std::string& options_dir, const std::string& target) {
  TargetFuzzOptions o;
  std::string path = options_dir + "/" + target + ".options";
  if (!fs::exists(path)) path = options_dir + "/default.options";
  std::ifstream in(path);
  std::string line;
  bool in_libfuzzer = false;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      in_libfuzzer = line == "[libfuzzer]";
      continue;
    }
    const auto eq = line.find('=');
    if (!in_libfuzzer || eq == std::string::npos) continue;
    const std::string key = trim(line.substr(0, eq));
    const std::string value = trim(line.substr(eq + 1));
    // Positive values that fit an int (len_control: 0 too); anything else
    // keeps the default.
    int v = 0;
    try {
      const long parsed = std::stol(value);
      if (parsed < (key == "len_control" ? 0 : 1) || parsed > 1 << 30) continue;
      v = int(parsed);
    } catch (const std::exception&) {
      continue;
    }
    if (key == "max_len") o.max_len = v;
    if (key == "timeout") o.timeout_seconds = v;
    if (key == "rss_limit_mb") o.rss_limit_mb = v;
    if (key == "len_control") o.len_control = v;
  }
  return o;
}

void apply_target_options(FuzzRunRequest& req, const std::string& target) {
  const TargetFuzzOptions o = read_target_options(std::string(QDIFF_SOURCE_DIR) + "/fuzz/options", target);
  req.max_len = o.max_len;
  req.timeout_seconds = o.timeout_seconds;
  req.rss_limit_mb = o.rss_limit_mb;
  req.len_control = o.len_control;
}

std::optional<FuzzBuild> find_fuzz_build(const std::string& build_dir) {
  for (const fs::path& dir : {fs::path(build_dir) / "fuzz", fs::path(build_dir)}) {
    FuzzBuild b;
    b.binary_dir = dir.string();
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      const std::string name = e.path().filename().string();
      if (name.size() > 5 && name.ends_with("_fuzz") && is_executable_file(e.path())) {
        b.targets.push_back(name.substr(0, name.size() - 5));
      }
    }
    if (!b.targets.empty()) {
      std::sort(b.targets.begin(), b.targets.end());
      return b;
    }
  }
  return std::nullopt;
}

std::string fast_fuzz_build_dir() { return kSource + "/build/fuzzfast"; }
std::string asan_fuzz_build_dir() { return kSource + "/build/fuzz"; }

std::string default_fuzz_build_dir() {
  return find_fuzz_build(fast_fuzz_build_dir()) ? fast_fuzz_build_dir() : asan_fuzz_build_dir();
}

namespace {

// What run_fuzz resolved from its options before the first target.
struct FuzzPlan {
  FuzzBuild build;
  std::vector<std::string> targets;
  std::string corpus, regressions, findings_root;
};

// The build, the targets and the directories; prints why on a usage error.
std::optional<FuzzPlan> plan_fuzz(const FuzzOptions& o) {
  const std::string build_dir = o.build_dir.empty() ? default_fuzz_build_dir() : o.build_dir;
  const auto build = find_fuzz_build(build_dir);
  if (!build) {
    fmt::print(stderr,
               "qdiff fuzz: no fuzz build in {} (no *_fuzz binaries there or in its fuzz/).\n"
               "Build the libFuzzer targets first (clang 14):\n"
               "  scripts/build.sh fuzzfast    (the fast differential build; or: cmake --preset fuzzfast &&\n"
               "                                cmake --build --preset fuzzfast)\n"
               "  scripts/build.sh fuzz        (ASan + UBSan, for memory errors: --build-dir build/fuzz)\n"
               "or pass --build-dir DIR: a fuzz build tree, or a directory of *_fuzz binaries\n"
               "such as the $OUT of .clusterfuzzlite/build.sh (scripts/test-clusterfuzzlite --keep).\n",
               build_dir);
    return std::nullopt;
  }
  FuzzPlan plan{*build, o.targets.empty() ? build->targets : o.targets, {}, {}, {}};
  for (const auto& t : plan.targets) {
    if (std::find(build->targets.begin(), build->targets.end(), t) == build->targets.end()) {
      fmt::print(stderr, "qdiff fuzz: unknown fuzz target '{}'; {} has: {}\n", t, build->binary_dir,
                 fmt::join(build->targets, ", "));
      return std::nullopt;
    }
  }
  if (!o.fault.empty() && !fault_from_flag(o.fault)) return std::nullopt;
  plan.corpus = fs::absolute(o.corpus_dir.empty() ? kSource + "/corpus" : o.corpus_dir).string();
  plan.regressions =
      fs::absolute(o.regressions_dir.empty() ? plan.corpus + "/regressions/fuzz" : o.regressions_dir).string();
  plan.findings_root = fs::absolute(o.findings_dir).string();
  return plan;
}

void print_fuzz_header(const FuzzOptions& o, const FuzzPlan& p) {
  fmt::print("qdiff fuzz: {} target(s), {} s each, {} job(s){}; binaries {}\n", p.targets.size(), o.seconds,
             o.jobs, o.fault.empty() ? "" : ", fault " + o.fault, p.build.binary_dir);
  fmt::print("  corpus {} ({}), case files of findings {}, raw inputs and logs {}/<target>/\n",
             relative_if_inside(p.corpus), o.merge ? "new coverage merged in" : "read only",
             relative_if_inside(p.regressions), relative_if_inside(p.findings_root));
  fmt::print("  rerun: qdiff fuzz {} --seconds {} --jobs {}{}{}\n\n", fmt::join(p.targets, " "), o.seconds, o.jobs,
             o.build_dir.empty() ? "" : " --build-dir " + o.build_dir, o.fault.empty() ? "" : " --fault " + o.fault);
}

// One target's run: its binary, corpus (a scratch directory for new inputs
// first), options, dictionary, fork jobs and fault.
FuzzRunRequest target_request(const FuzzOptions& o, const FuzzPlan& p, const std::string& t,
                              const std::string& scratch) {
  const bool case_file_target = fuzz::find_fuzz_target(t) == nullptr;
  const std::string findings = p.findings_root + "/" + t;
  FuzzRunRequest req;
  req.binary = p.build.binary_dir + "/" + t + "_fuzz";
  req.corpus_dirs = {scratch, p.corpus + "/" + t};
  if (case_file_target && fs::is_directory(p.corpus + "/regressions")) {
    req.corpus_dirs.push_back(p.corpus + "/regressions");  // every case file is a seed
  }
  req.seconds = o.seconds;
  apply_target_options(req, t);
  req.findings_dir = findings;
  req.log_path = findings + "/fuzz.log";
  const std::string dict = kSource + "/fuzz/dictionaries/" + t + ".dict";
  if (fs::exists(dict)) req.extra_args.push_back("-dict=" + dict);
  if (o.jobs > 1) req.extra_args.push_back(fmt::format("-fork={}", o.jobs));
  if (!o.fault.empty()) req.env.push_back("QDIFF_FAULT=" + o.fault);
  return req;
}

// Merges the scratch directory's new inputs into the target's corpus;
// returns the note for the target's line and adds to `merged`.
std::string merge_new_coverage(const FuzzRunRequest& req, const std::string& corpus_t,
                               const std::string& scratch, TargetOutcome& outcome, int& merged) {
  const int before = count_files(corpus_t);
  FuzzRunRequest m = req;
  m.seconds = 0;
  m.extra_args = {"-merge=1"};
  m.corpus_dirs = {corpus_t, scratch};
  m.log_path = req.findings_dir + "/merge.log";
  m.on_status = nullptr;
  const FuzzRunResult mr = run_fuzzer(m);
  if (mr.exit_code != 0) {
    outcome.failed_to_run = true;
    return fmt::format(", merge FAILED (exit {}; log {})", mr.exit_code, relative_if_inside(m.log_path));
  }
  const int added = count_files(corpus_t) - before;
  merged += added;
  return fmt::format(", corpus +{}", added);
}

// The findings of one run, grouped: one finding usually leaves two
// artifacts (the target's case file and libFuzzer's crash input), which
// name the same case file.
struct TargetFindings {
  std::map<std::string, std::vector<RecordedFinding>> by_case_file;
  std::vector<RecordedFinding> without_case_file;
  int count() const { return int(by_case_file.size() + without_case_file.size()); }
};

// Every new artifact (the run's and the merge's) becomes a case file.
TargetFindings record_new_artifacts(const std::string& t, const FuzzRunRequest& req,
                                    const std::set<std::string>& known, const FuzzPlan& p,
                                    const std::string& rerun_dir) {
  const std::string corpus_t = p.corpus + "/" + t;
  TargetFindings out;
  for (const auto& a : list_artifacts(req.findings_dir)) {
    if (known.count(a.path)) continue;
    RecordedFinding r;
    // Crashes and leaks run again in a moment; timeouts and OOMs would
    // take their full limit, so those are decoded by qdiff without running.
    const bool rerun = a.kind == ArtifactKind::crash || a.kind == ArtifactKind::leak;
    const Reproduction again = rerun ? reproduce(req, a.path, rerun_dir) : Reproduction{};
    if (!again.case_file.empty()) {
      r = record_finding(t, {ArtifactKind::qdiff_finding, again.case_file}, p.regressions, corpus_t);
      r.artifact = a;
    } else {
      r = record_finding(t, a, p.regressions, corpus_t);
    }
    if (rerun) r.reproduced = again.fails ? "reproduces" : "does not reproduce on a rerun";
    r.reason = again.reason;
    if (r.case_file.empty()) {
      out.without_case_file.push_back(std::move(r));
    } else {
      out.by_case_file[r.case_file].push_back(std::move(r));
    }
  }
  return out;
}

// The reason of a finding: its own rerun's, else the run's (in fork mode
// the run's log shows the first crash only).
std::string reason_of(const std::vector<RecordedFinding>& group, const FuzzRunResult& fr) {
  for (const auto& f : group) {
    if (!f.reason.empty()) return f.reason;
  }
  return fr.reason;
}

void print_case_file_finding(const std::string& t, const std::string& path,
                             const std::vector<RecordedFinding>& group, const FuzzRunResult& fr) {
  const RecordedFinding& r = group.front();
  const std::string reason = reason_of(group, fr);
  std::vector<std::string> inputs;
  for (const auto& g : group) inputs.push_back(relative_if_inside(g.artifact.path));
  // libFuzzer's kind (crash, timeout, ...) when the group has one.
  ArtifactKind kind = ArtifactKind::qdiff_finding;
  for (const auto& g : group) {
    if (g.artifact.kind != ArtifactKind::qdiff_finding) kind = g.artifact.kind;
  }
  fmt::print("  FINDING {} {}: {}{}\n", t, artifact_kind_name(kind), reason.empty() ? "" : reason + "; ",
             r.summary);
  std::string reproduced;
  for (const auto& g : group) {
    if (!g.reproduced.empty()) reproduced = "; the input " + g.reproduced;
  }
  fmt::print("    case file {} ({}){}{}\n", relative_if_inside(path),
             r.already_recorded ? "already recorded" : "new",
             r.property.empty() ? "" : ", property " + r.property, reproduced);
  if (!r.seed_file.empty()) fmt::print("    seed      {}\n", relative_if_inside(r.seed_file));
  fmt::print("    raw input {}\n", fmt::join(inputs, ", "));
  fmt::print("    explain   qdiff explain {}\n", relative_if_inside(path));
}

void print_findings(const std::string& t, const TargetFindings& found, const FuzzRunResult& fr,
                    const FuzzRunRequest& req) {
  if (fr.watchdog_killed || fr.no_executions) fmt::print("  {}\n", fr.reason);
  for (const auto& [path, group] : found.by_case_file) print_case_file_finding(t, path, group, fr);
  for (const auto& r : found.without_case_file) {
    const std::string reason = reason_of({r}, fr);
    fmt::print("  FINDING {} {}: {}{}{}\n", t, artifact_kind_name(r.artifact.kind),
               reason.empty() ? "" : reason + "; ", r.problem,
               r.reproduced.empty() ? "" : "; the input " + r.reproduced);
    if (!r.seed_file.empty()) fmt::print("    seed      {}\n", relative_if_inside(r.seed_file));
    fmt::print("    raw input {}\n    reproduce {} {}\n", relative_if_inside(r.artifact.path), req.binary,
               relative_if_inside(r.artifact.path));
  }
  if (found.count() == 0) {
    fmt::print("  {} exited with {}{}; log {}\n", t, fr.exit_code, fr.reason.empty() ? "" : " (" + fr.reason + ")",
               fr.log_path.empty() ? "(none)" : relative_if_inside(fr.log_path));
    if (!fr.launched) fmt::print("  {}\n", fr.report);
  } else {
    fmt::print("    log       {}\n", relative_if_inside(fr.log_path));
  }
}

// Runs target `i` of the plan, merges its new coverage, records and prints
// its findings.
TargetOutcome fuzz_target(const FuzzOptions& o, const FuzzPlan& p, size_t i, int& merged) {
  const std::string& t = p.targets[i];
  const std::string findings = p.findings_root + "/" + t;
  const std::string corpus_t = p.corpus + "/" + t;
  fs::create_directories(findings);
  fs::create_directories(corpus_t);
  std::set<std::string> known_artifacts;
  for (const auto& a : list_artifacts(findings)) known_artifacts.insert(a.path);
  const ScopedScratchDir scratch_dir(corpus_scratch_root() / fmt::format("qdiff-fuzz-{}-{}", getpid(), t));
  const std::string scratch = scratch_dir.str();

  FuzzRunRequest req = target_request(o, p, t, scratch);
  ProgressLine progress(fmt::format("[{:>2}/{}] {:<16}", i + 1, p.targets.size(), t));
  req.on_status = [&](const FuzzStatus& s, double elapsed) { progress.update(s, elapsed); };
  const FuzzRunResult fr = run_fuzzer(req);

  TargetOutcome outcome;
  std::string merge_note;
  if (o.merge && count_files(scratch) > 0 && fr.launched) {
    merge_note = merge_new_coverage(req, corpus_t, scratch, outcome, merged);
  }
  fs::remove_all(scratch);

  const ScopedScratchDir rerun_scratch(scratch + "-rerun");
  const TargetFindings found = record_new_artifacts(t, req, known_artifacts, p, rerun_scratch.str());
  outcome.findings = found.count();
  if (!fr.launched) outcome.failed_to_run = true;
  // A non-zero exit with nothing left behind is still a problem to report.
  if (fr.launched && fr.exit_code != 0 && outcome.findings == 0) outcome.failed_to_run = true;
  // A run the watchdog killed, or one that executed nothing (its reason
  // is printed below the line).
  if (fr.watchdog_killed || fr.no_executions) outcome.failed_to_run = true;

  const std::string head = fmt::format("[{:>2}/{}] {:<16} {:>5.0f} s {}", i + 1, p.targets.size(), t, fr.seconds,
                                       status_text(fr.last_status));
  if (outcome.findings == 0 && !outcome.failed_to_run) {
    progress.finish(fmt::format("{}{}  ok", head, merge_note));
  } else {
    progress.finish(fmt::format("{}{}  {} finding(s){}", head, merge_note, outcome.findings,
                                outcome.failed_to_run ? ", FAILED to run cleanly" : ""));
    print_findings(t, found, fr, req);
  }
  return outcome;
}

}  // namespace

int run_fuzz(const FuzzOptions& o) {
  const std::optional<FuzzPlan> plan = plan_fuzz(o);
  if (!plan) return 2;
  print_fuzz_header(o, *plan);
  int total_findings = 0, failures = 0, merged_total = 0;
  for (size_t i = 0; i < plan->targets.size(); ++i) {
    const TargetOutcome outcome = fuzz_target(o, *plan, i, merged_total);
    total_findings += outcome.findings;
    failures += outcome.failed_to_run;
  }
  fmt::print("\nqdiff fuzz: {} target(s), {} finding(s){}{}\n", plan->targets.size(), total_findings,
             failures ? fmt::format(", {} target(s) did not run cleanly", failures) : "",
             o.merge ? fmt::format(", {} input(s) merged into the corpus", merged_total) : "");
  return total_findings > 0 || failures > 0 ? 1 : 0;
}

}  // namespace qdiff::tools
