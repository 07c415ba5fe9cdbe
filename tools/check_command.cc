#include "tools/check_command.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "cases/durable_file.h"
#include "cases/finding_file.h"
#include "cases/case.h"
#include "fuzz/fuzz_driver.h"
#include "impl/options.h"
#include "adapters/optimized_backend.h"
#include "oracle/backend_interface.h"
#include "oracle/plugin_backend.h"
#include "oracle/process_backend.h"
#include "properties/property.h"
#include "properties/rc_runner.h"
#include "properties/source.h"
#include "tools/corpus_replay.h"
#include "tools/data_dirs.h"
#include "tools/exit_codes.h"
#include "tools/flag_names.h"
#include "tools/fuzzing/fuzz_command.h"
#include "tools/fuzzing/fuzz_process.h"
#include "tools/junit.h"
#include "tools/scratch_dir.h"
#include "tools/stop_signal.h"
#include "tools/table.h"

namespace qdiff::tools {
namespace fs = std::filesystem;
namespace {

// Whether a plug-in accepts any of the first kApplicabilityProbe draws of
// a property (seeded like the run); stops at the first (a process backend
// may take its whole timeout on each).
constexpr int kApplicabilityProbe = 300;
bool applicable(const props::Property& p, const Backend& backend, uint64_t seed) {
  for (int i = 0; i < kApplicabilityProbe; ++i) {
    props::PrngSource src(seed * 0x9E3779B97F4A7C15ull + uint64_t(i));
    if (!props::run_property(p, src, backend).result.discarded) return true;
  }
  return false;
}

bool is_differential(const props::Property& p) {
  return p.kind == props::PropertyKind::differential;
}

std::string seconds_cell(double s) { return fmt::format("{:.1f}s", s); }

class Progress {
 public:
  Progress() : tty_(isatty(STDERR_FILENO)) {}
  void update(const std::string& label, int done, int total) {
    if (!tty_) return;
    fmt::print(stderr, "\r  {:<60} {:>6}/{:<6}", label, done, total);
    std::fflush(stderr);
  }
  void finish(const std::string& line) {
    if (tty_) fmt::print(stderr, "\r{}\r", std::string(80, ' '));
    fmt::print("{}\n", line);
    std::fflush(stdout);
  }

 private:
  bool tty_;
};

struct Row {
  std::string family, name, engine;
  std::string cases, failures, layouts, ranks, time;
  bool failed = false;
  std::string failure_text = {};
};

// One `qdiff check` run, as named steps: choose the backends, a quick
// round, the full property budget, corpus replay, fuzzing, the report.
class CheckRun {
 public:
  explicit CheckRun(const CheckOptions& o)
      : o_(o),
        corpus_(o.corpus_dir.empty() ? default_corpus_dir() : o.corpus_dir),
        fuzz_dir_(o.fuzz_build_dir.empty() ? default_fuzz_build_dir() : o.fuzz_build_dir),
        // An explicit --fuzz-build names the binaries to fuzz: the ASan share
        // then runs only with an explicit --asan-fuzz-build too.
        asan_fuzz_dir_(!o.asan_fuzz_build_dir.empty() ? o.asan_fuzz_build_dir
                       : o.fuzz_build_dir.empty()     ? asan_fuzz_build_dir()
                                                      : std::string()) {}

  int run() {
    if (!start_junit()) return kExitOutputNotWritten;
    if (!usable_corpus() || !property_filters_match(o_.only)) return kExitUsage;
    // Not created here: the durable writer creates it when a finding is
    // saved. Set before the backends: a process backend saves there too.
    findings_ = fs::absolute(o_.findings_dir).string();
    if (const int usage = choose_backends(); usage != 0) return usage;
    select_properties();
    const StopSignals stop_signals;
    print_header();
    run_quick_round();
    run_full_budget();
    if (!o_.skip_corpus && !stop_signal()) replay_corpus();
    if (o_.fuzz_seconds > 0 && !stop_signal()) fuzz_targets();
    return print_report();
  }

 private:
  // A plug-in library or a process backend: an outside implementation.
  bool plugin() const { return !o_.backend_library.empty() || !o_.backend_command.empty(); }

  ProcessBackendOptions process_options() const {
    return {o_.backend_command,
            std::chrono::milliseconds(int64_t(o_.backend_timeout_seconds * 1000)), findings_};
  }

  // A --corpus that names no directory would replay nothing and pass.
  bool usable_corpus() const {
    std::error_code ec;
    if (o_.corpus_dir.empty() || fs::is_directory(o_.corpus_dir, ec)) return true;
    fmt::print(stderr, "--corpus {}: {}\n", o_.corpus_dir,
               fs::exists(o_.corpus_dir, ec) ? "not a directory" : "no such directory");
    return false;
  }

  // Replaces any earlier report with an "incomplete" one before anything
  // else, so a killed (or mistyped) run never leaves a stale green report.
  bool start_junit() const {
    if (o_.junit.empty()) return true;
    try {
      JUnitReport::write_incomplete(o_.junit);
      return true;
    } catch (const WriteError& e) {
      fmt::print(stderr, "--junit: {}\n", e.what());
      return false;
    }
  }

  // The ISAs to check: one when --isa names it, else every supported one,
  // best first. Non-differential properties run at the first only.
  std::optional<std::vector<impl::Isa>> choose_isas() const {
    if (o_.isa) {
      const auto isa = isa_from_flag(*o_.isa);
      if (!isa) return std::nullopt;
      return std::vector{*isa};
    }
    std::vector<impl::Isa> isas{impl::best_isa()};
    for (impl::Isa isa : impl::kAllIsas) {
      if (isa != impl::best_isa() && impl::isa_supported(isa)) isas.push_back(isa);
    }
    return isas;
  }

  // A plug-in replaces qdiff's own implementation; otherwise one optimized
  // backend per ISA ("SIMD must make no difference"). Non-zero: usage error.
  int choose_backends() {
    if (!o_.backend_command.empty()) {
      backends_.push_back(start_process_backend(process_options()));
      return 0;
    }
    if (plugin()) {
      backends_.push_back(load_plugin_backend(o_.backend_library));
      return 0;
    }
    const auto isas = choose_isas();
    if (!isas) return kExitUsage;
    impl::FaultSet faults;
    if (o_.fault) {
      const auto f = fault_from_flag(*o_.fault);
      if (!f) return kExitUsage;
      faults = faults.with(*f);
    }
    for (impl::Isa isa : *isas) {
      impl::ImplOptions opt;
      opt.isa = isa;
      opt.threads = 1;
      opt.faults = faults;
      backends_.push_back(make_optimized_backend(opt));
    }
    return 0;
  }

  void select_properties() {
    for (const auto& p : props::all_properties()) {
      bool keep = o_.only.empty();
      for (const auto& f : o_.only) keep |= p.name.find(f) != std::string::npos;
      if (keep) selected_.push_back(&p);
    }
    for (const auto* p : selected_) jobs_ += int(backends_for(*p));
  }

  size_t backends_for(const props::Property& p) const { return is_differential(p) ? backends_.size() : 1; }

  void print_header() const {
    std::vector<std::string> names;
    for (const auto& b : backends_) names.push_back(b->name());
    fmt::print("qdiff check: seed {}, {} cases per property, backends {}\n", o_.seed, o_.cases,
               fmt::join(names, ", "));
    fmt::print("reproduce this run: qdiff check --seed {} --cases {}{}{}\n\n", o_.seed, o_.cases,
               o_.fault ? " --fault " + *o_.fault : "",
               o_.backend_command.empty() ? "" : fmt::format(" --backend-cmd '{}'", o_.backend_command));
  }

  // A row's name: the property, plus the backend when it runs at several.
  std::string row_name(const props::Property& p, size_t bi) const {
    return backends_for(p) > 1 ? fmt::format("{} @ {}", p.name, backends_[bi]->name()) : p.name;
  }

  // Quick round (properties/rc_runner.h): every property for a few cases
  // at the best ISA first, so a broken implementation fails within seconds
  // whichever family finds it, instead of after every earlier property's
  // full budget. A property that fails here is not run again.
  void run_quick_round() {
    const int quick = props::quick_round_cases(o_.cases);
    if (quick == 0 || plugin()) return;
    for (const auto* p : selected_) {
      if (stop_signal()) return;
      if (run_property(*p, 0, quick, true)) failed_quick_.insert(p);
    }
    progress_.finish(fmt::format("quick round: {} properties x {} cases, {} ({} cases, {})\n", selected_.size(),
                                 quick, failed_quick_.empty() ? "ok" : fmt::format("{} FAILED", failed_quick_.size()),
                                 quick_cases_, seconds_cell(quick_seconds_)));
  }

  void run_full_budget() {
    int job = 0;
    for (const auto* p : selected_) {
      for (size_t bi = 0; bi < backends_for(*p); ++bi) {
        job_ = ++job;
        if (stop_signal()) return;
        if (failed_quick_.count(p)) continue;
        if (plugin() && !applicable(*p, *backends_[bi], o_.seed)) {
          skip_not_applicable(*p);
          continue;
        }
        run_property(*p, bi, bi == 0 ? o_.cases : std::max(1, o_.cases / 4), false);
      }
    }
  }

  // A plug-in that declines every probe case would make RapidCheck draw
  // cases x max_discard_ratio times for nothing.
  void skip_not_applicable(const props::Property& p) {
    Row row{p.family, p.name, "rapidcheck", "0 (not applicable)", "0", "", "", seconds_cell(0)};
    progress_.finish(fmt::format("[{:>2}/{}] {}  not applicable to this backend (declined {} probe cases)", job_,
                                 jobs_, p.name, kApplicabilityProbe));
    add_row(std::move(row), 0);
  }

  // Runs property p against backend bi for `cases` cases; records its row
  // (and prints its failure) unless it passed the quick round. True: failed.
  bool run_property(const props::Property& p, size_t bi, int cases, bool quick) {
    const std::string name = row_name(p, bi);
    const std::string label =
        quick ? fmt::format("quick round: {}", p.name) : fmt::format("[{:>2}/{}] {}", job_, jobs_, name);
    props::RcConfig config;
    config.seed = o_.seed;
    config.cases = cases;
    // A plug-in implements a subset (XNNPACK: per-tensor 8-bit, one
    // contract): allow many declined draws per judged case. 400: the
    // accumulation contract's two settings (core/qlinear_contract.h) make a
    // one-contract backend decline 3 in 4 bias cases (measured: torch's
    // onednn engine, which follows output_zero_point before_rounding, gave
    // up after 252 judged qconv2d cases at 200).
    if (plugin()) config.max_discard_ratio = 400;
    config.on_case = [&](int done) {
      if (done % 16 == 0) progress_.update(label, done, cases);
    };
    config.stop = [] { return stop_signal() != 0; };
    const props::RcReport r = props::run_rapidcheck(p, *backends_[bi], config);
    if (quick && !r.failed) {
      quick_cases_ += r.cases;
      quick_seconds_ += r.seconds;
      return false;
    }
    coverage_.merge(r.coverage);
    Row row{p.family, name, "rapidcheck", std::to_string(r.cases), r.failed ? "1" : "0",
            r.coverage.layouts_cell(), r.coverage.ranks_cell(), seconds_cell(r.seconds)};
    if (r.failed) {
      row.failed = true;
      row.failure_text = describe_failure(p, r, *backends_[bi], cases, quick);
      progress_.finish(fmt::format("{}  FAILED ({} cases, {})\n{}\n", label, r.cases, seconds_cell(r.seconds),
                                   row.failure_text));
    } else if (r.stopped) {
      row.cases = fmt::format("{} (interrupted)", r.cases);
      progress_.finish(fmt::format("{}  interrupted ({} cases, {})", label, r.cases, seconds_cell(r.seconds)));
    } else if (r.gave_up) {
      row.cases = fmt::format("{} (not applicable)", r.cases);
      progress_.finish(fmt::format("{}  not applicable to this backend ({} judged, {} declined)", label, r.cases,
                                   r.discarded));
    } else {
      progress_.finish(fmt::format("{}  ok ({} cases{}, {})", label, r.cases,
                                   r.discarded ? fmt::format(", {} discarded", r.discarded) : "",
                                   seconds_cell(r.seconds)));
    }
    add_row(std::move(row), r.seconds);
    return r.failed;
  }

  // The failure's verdict, its saved case file and how to rerun it.
  std::string describe_failure(const props::Property& p, const props::RcReport& r, const Backend& backend, int cases,
                               bool quick) {
    std::string text = r.failure ? r.failure->describe() : r.rapidcheck_message;
    if (r.counterexample) {
      text += save_counterexample({*r.counterexample, p.name});
      text += fresh_process_opinion(p, *r.counterexample, backend);
    }
    text += fmt::format("\n  found after {} cases{} ({} shrink + {} reduction steps); rerun: qdiff check "
                        "--seed {} --cases {} --property {}{}",
                        r.cases, quick ? " of the quick round" : "", r.shrinks, r.reductions, o_.seed, cases,
                        p.name, o_.backend_command.empty() ? "" : fmt::format(" --backend-cmd '{}'", o_.backend_command));
    return text;
  }

  // "saved: PATH" only once the file is complete at PATH; a finding that
  // cannot be saved is printed in full instead, and fails the run.
  std::string save_counterexample(const CaseFile& finding) {
    const std::string shrunk = fmt::format("\n  shrunk case: {}", case_summary(finding.c));
    try {
      const std::string saved = save_finding(findings_, finding);
      return fmt::format("{}\n  saved: {}\n  explain: qdiff explain {}", shrunk, saved, saved);
    } catch (const WriteError& e) {
      unsaved_.push_back(e.what());
      return fmt::format("{}\n  NOT SAVED: {}\n  the case file in full:\n{}", shrunk, e.what(),
                         write_case_file(finding));
    }
  }

  // A process backend may keep state between cases: the shrunk case alone
  // in a fresh process tells a deterministic failure from one that needs
  // the cases before it.
  std::string fresh_process_opinion(const props::Property& p, const Case& c, const Backend& stateful) const {
    if (o_.backend_command.empty()) return "";
    const auto fresh = start_process_backend(process_options());
    if (props::check_property(p, c, *fresh).failed()) {
      return "\n  fresh process: fails on the shrunk case alone too (deterministic)";
    }
    return "\n  fresh process: passes the shrunk case alone (the failure depends on earlier cases)" +
           earlier_requests_that_reproduce(p, c, stateful);
  }

  // An order-dependent failure made reproducible: the backend that failed
  // judges the shrunk case once more; then each of its last requests before
  // that, the latest first, is sent to a fresh process ahead of the case,
  // and at last all of them. The first setting that fails again is saved
  // as a request sequence that replays it outside qdiff.
  std::string earlier_requests_that_reproduce(const props::Property& p, const Case& c, const Backend& stateful) const {
    const size_t before = requests_sent(stateful);
    if (!props::check_property(p, c, stateful).failed()) return "; the backend that failed passes it now too";
    const std::vector<std::string> recent = recent_requests(stateful);
    const size_t own = std::min(recent.size(), requests_sent(stateful) - before);  // the case's own requests
    const std::vector<std::string> earlier(recent.begin(), recent.end() - ptrdiff_t(own));
    const std::vector<std::string> case_requests(recent.end() - ptrdiff_t(own), recent.end());
    std::vector<std::vector<std::string>> tries;
    for (auto it = earlier.rbegin(); it != earlier.rend(); ++it) tries.push_back({*it});
    if (earlier.size() > 1) tries.push_back(earlier);
    for (const auto& prefix : tries) {
      const auto fresh = start_process_backend(process_options());
      send_requests(*fresh, prefix);
      if (!props::check_property(p, c, *fresh).failed()) continue;
      std::vector<std::string> sequence = prefix;
      sequence.insert(sequence.end(), case_requests.begin(), case_requests.end());
      return fmt::format("\n  reproduced in a fresh process after {} earlier request{}{}", prefix.size(),
                         prefix.size() == 1 ? "" : "s",
                         save_request_sequence(stateful, sequence, p.name + "-process-sequence.jsonl"));
    }
    return fmt::format("; the last {} requests before it do not reproduce it in a fresh process", earlier.size());
  }

  void add_row(Row row, double seconds) {
    junit_.add(row.family, row.name + " [" + row.engine + "]", seconds, row.failed ? row.failure_text : "");
    rows_.push_back(std::move(row));
  }

  void replay_corpus() {
    rows_.push_back({});
    std::vector<ReplaySummary> replays;
    // A process backend is not replayed in forked children (they would
    // talk to its process behind this one's back); its own per-request
    // timeout bounds each case instead.
    const double timeout = o_.backend_command.empty() ? o_.case_timeout : 0;
    replays.push_back(replay_case_files({corpus_ + "/regressions"}, *backends_.front(), timeout));
    for (auto& s : replay_seed_corpora(corpus_, *backends_.front(), timeout)) replays.push_back(std::move(s));
    for (const auto& s : replays) {
      Row row{"corpus", s.what, "replay", std::to_string(s.inputs),
              std::to_string(s.failures.size()), "", "", seconds_cell(s.seconds)};
      for (const auto& f : s.failures) row.failure_text += fmt::format("{}\n{}\n", f.path, f.message);
      row.failed = !s.failures.empty();
      progress_.finish(fmt::format("replay {:<24} {} inputs{}", s.what, s.inputs,
                                   row.failed ? "  FAILED\n" + row.failure_text : ", ok"));
      junit_.add("corpus", s.what, s.seconds, row.failure_text);
      rows_.push_back(std::move(row));
    }
  }

  // One fuzz run of every target: its binaries, seconds and table label.
  struct FuzzPass {
    std::string binary_dir;
    int seconds = 0;
    std::string engine;
  };

  // The differential rows with the fast build (or the ASan build when it is
  // the only one), then the ASan build's share for memory errors.
  void fuzz_targets() {
    rows_.push_back({});
    std::vector<std::string> targets;
    for (const auto& t : fuzz::property_fuzz_targets()) targets.emplace_back(t.name);
    targets.emplace_back("case_file");  // the parsers: malformed input must be malformed_case
    targets.emplace_back("graph_case_file");
    const auto build = find_fuzz_build(fuzz_dir_);
    if (!build) {
      fmt::print("fuzz: no fuzz build at {} (scripts/build.sh fuzzfast fuzz); fuzzing skipped\n", fuzz_dir_);
      rows_.push_back({"fuzz", "(no fuzz build: skipped)", "libFuzzer", "-", "-", "", "", ""});
      return;
    }
    std::vector<FuzzPass> passes = {{build->binary_dir, o_.fuzz_seconds, engine_label(*build)}};
    const auto asan = asan_fuzz_dir_.empty() ? std::nullopt : find_fuzz_build(asan_fuzz_dir_);
    if (o_.asan_fuzz_seconds > 0 && asan && !same_dir(asan->binary_dir, build->binary_dir)) {
      passes.push_back({asan->binary_dir, o_.asan_fuzz_seconds, "libFuzzer+ASan"});
    }
    // libFuzzer writes its artifacts into the findings directory: it must
    // exist while the fuzzers run, and is removed again if nothing came.
    std::error_code ec;
    const bool created = fs::create_directories(findings_, ec);
    if (ec) {
      unsaved_.push_back(fmt::format("fuzz artifacts: cannot create directory {}: {}", findings_, ec.message()));
      fmt::print(stderr, "{}\n", unsaved_.back());
    }
    for (const auto& pass : passes) {
      for (const auto& t : targets) {
        if (stop_signal()) break;
        fuzz_one(t, pass);
      }
    }
    if (created && fs::is_empty(findings_, ec)) fs::remove(findings_, ec);
  }

  // "libFuzzer" for the fast build, "libFuzzer+ASan" for the ASan one (the
  // table shows whose rates it reports).
  std::string engine_label(const FuzzBuild& build) const {
    const auto asan = asan_fuzz_dir_.empty() ? std::nullopt : find_fuzz_build(asan_fuzz_dir_);
    return asan && same_dir(asan->binary_dir, build.binary_dir) ? "libFuzzer+ASan" : "libFuzzer";
  }

  static bool same_dir(const std::string& a, const std::string& b) {
    std::error_code ec;
    return fs::equivalent(a, b, ec);
  }

  void fuzz_one(const std::string& t, const FuzzPass& pass) {
    const ScopedScratchDir scratch(corpus_scratch_root() / fmt::format("qdiff-corpus-{}-{}", getpid(), t));
    FuzzRunRequest req;
    req.binary = pass.binary_dir + "/" + t + "_fuzz";
    req.corpus_dirs = {scratch.str(), corpus_ + "/" + t};
    req.seconds = pass.seconds;
    apply_target_options(req, t);
    req.findings_dir = findings_;
    if (o_.fault) req.env.push_back("QDIFF_FAULT=" + *o_.fault);
    if (!o_.backend_library.empty()) req.env.push_back("QDIFF_BACKEND=" + fs::absolute(o_.backend_library).string());
    if (!o_.backend_command.empty()) req.env.push_back("QDIFF_BACKEND_CMD=" + o_.backend_command);
    progress_.update(fmt::format("fuzzing {} for {} s ({})", t, pass.seconds, pass.engine), 0, 1);
    const FuzzRunResult fr = run_fuzzer(req);
    Row row{"fuzz", t, pass.engine, fmt::format("{} ({}/s)", fr.executions, fr.exec_per_second),
            fr.finding ? "1" : "0", "", "", seconds_cell(fr.seconds)};
    if (!fr.launched || fr.finding) {
      row.failed = true;
      row.failure_text = fr.report;
      if (!fr.crash_input.empty()) row.failure_text += "\n  crash input: " + fr.crash_input;
      if (!fr.case_file.empty()) row.failure_text += "\n  explain: qdiff explain " + fr.case_file;
      else if (!fr.crash_input.empty())
        row.failure_text += fmt::format("\n  explain: qdiff explain --target {} {}", t, fr.crash_input);
    }
    const std::string stage = pass.engine == "libFuzzer" ? "fuzz" : "fuzz-asan";
    progress_.finish(fmt::format("{} {:<16} {} execs, {}/s{}", stage, t, fr.executions, fr.exec_per_second,
                                 row.failed ? "  FAILED\n" + row.failure_text : ", ok"));
    junit_.add(stage, t, fr.seconds, row.failure_text);
    rows_.push_back(std::move(row));
  }

  // The table of rows run so far, the coverage, the JUnit report, and the
  // verdict as the exit code (tools/exit_codes.h).
  int print_report() {
    print_table();
    if (const int sig = stop_signal()) {
      const auto ran = std::count_if(rows_.begin(), rows_.end(), [](const Row& r) { return !r.family.empty(); });
      fmt::print("\ninterrupted by {} after {} row(s): the table shows the rows run so far\n", strsignal(sig), ran);
      junit_.add_error("qdiff check", "run", fmt::format("interrupted by {}", strsignal(sig)));
    }
    write_junit();
    int failures = 0;
    for (const auto& r : rows_) failures += r.failed;
    if (!unsaved_.empty()) {
      fmt::print(stderr, "\n{} output(s) NOT SAVED (any finding among them is printed in full above):\n  {}\n",
                 unsaved_.size(), fmt::join(unsaved_, "\n  "));
    }
    if (failures > 0) {
      fmt::print("\n{} FAILED row(s){}\n", failures, unsaved_.empty() ? "; findings saved in " + findings_ : "");
    }
    if (const int sig = stop_signal()) return 128 + sig;
    if (!unsaved_.empty()) return kExitOutputNotWritten;
    if (failures > 0) return kExitFindings;
    fmt::print("\nall checks passed\n");
    return kExitOk;
  }

  void print_table() const {
    Table table({"family", "property / input", "engine", "cases", "fail", "layouts", "ranks", "time"});
    for (const auto& r : rows_) {
      if (r.family.empty()) {
        table.add_rule();
        continue;
      }
      table.add_row({r.family, r.name, r.engine, r.cases, r.failures, r.layouts, r.ranks, r.time});
    }
    fmt::print("\n{}", table.render());
    fmt::print("\ncoverage of generated cases (all properties):\n");
    for (const char* dim :
         {"layout", "rank", "elements", "dtype", "contract", "domain", "block_mode", "mapping", "op"}) {
      fmt::print("  {:<10} {}\n", dim, coverage_.line(dim));
    }
  }

  void write_junit() {
    if (o_.junit.empty()) return;
    try {
      junit_.write(o_.junit);
    } catch (const WriteError& e) {
      unsaved_.push_back(e.what());
    }
  }

  const CheckOptions& o_;
  const std::string corpus_, fuzz_dir_, asan_fuzz_dir_;
  std::string findings_;
  std::vector<std::unique_ptr<Backend>> backends_;
  std::vector<const props::Property*> selected_;
  std::set<const props::Property*> failed_quick_;
  int jobs_ = 0, job_ = 0;
  std::vector<Row> rows_;
  props::Coverage coverage_;
  JUnitReport junit_;
  Progress progress_;
  int quick_cases_ = 0;
  double quick_seconds_ = 0;
  std::vector<std::string> unsaved_;  // outputs that could not be written: why
};

}  // namespace

int run_check(const CheckOptions& o) { return CheckRun(o).run(); }

}  // namespace qdiff::tools
