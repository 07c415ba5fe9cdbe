#include "tools/check_command.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "cases/fused_case.h"
#include "fuzz/fuzz_driver.h"
#include "impl/options.h"
#include "oracle/backend.h"
#include "oracle/plugin_backend.h"
#include "properties/property.h"
#include "properties/rc_runner.h"
#include "properties/source.h"
#include "tools/corpus_replay.h"
#include "tools/fuzz_command.h"
#include "tools/fuzz_process.h"
#include "tools/junit.h"
#include "tools/table.h"

namespace qdiff::tools {
namespace fs = std::filesystem;
namespace {

// Cases a plug-in accepts among the first kApplicabilityProbe draws of a
// property (seeded like the run): 0 means the property does not apply.
constexpr int kApplicabilityProbe = 300;
int applicable_cases(const props::Property& p, const Backend& backend, uint64_t seed) {
  int judged = 0;
  for (int i = 0; i < kApplicabilityProbe; ++i) {
    props::PrngSource src(seed * 0x9E3779B97F4A7C15ull + uint64_t(i));
    if (!props::run_property(p, src, backend).result.discarded) ++judged;
  }
  return judged;
}

bool is_differential(const props::Property& p) {
  return p.name.find("OptimizedMatchesReference") != std::string::npos;
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
  std::string failure_text;
};

std::optional<impl::FaultPoint> parse_fault(const std::string& name) {
  for (int f = 0; f < int(impl::FaultPoint::kCount); ++f) {
    if (impl::fault_point_name(impl::FaultPoint(f)) == name) return impl::FaultPoint(f);
  }
  return std::nullopt;
}

}  // namespace

int run_check(const CheckOptions& o) {
  const std::string corpus = o.corpus_dir.empty() ? std::string(QDIFF_SOURCE_DIR) + "/corpus" : o.corpus_dir;
  const std::string fuzz_dir =
      o.fuzz_build_dir.empty() ? std::string(QDIFF_SOURCE_DIR) + "/build/fuzz/fuzz" : o.fuzz_build_dir;
  fs::create_directories(o.findings_dir);
  const std::string findings = fs::absolute(o.findings_dir).string();

  // Backends: the best ISA for every property; the other ISAs for the
  // differential ones ("SIMD must make no difference").
  std::vector<impl::Isa> isas;
  if (o.isa) {
    const auto isa = impl::parse_isa(*o.isa);
    if (!isa || !impl::isa_supported(*isa)) {
      fmt::print(stderr, "ISA '{}' is not supported on this machine\n", *o.isa);
      return 2;
    }
    isas.push_back(*isa);
  } else {
    isas.push_back(impl::best_isa());
    for (impl::Isa isa : impl::kAllIsas) {
      if (isa != impl::best_isa() && impl::isa_supported(isa)) isas.push_back(isa);
    }
  }
  impl::FaultSet faults;
  if (o.fault) {
    const auto f = parse_fault(*o.fault);
    if (!f) {
      fmt::print(stderr, "unknown fault point '{}'\n", *o.fault);
      return 2;
    }
    faults = faults.with(*f);
  }
  std::vector<std::unique_ptr<Backend>> backends;
  if (!o.backend_library.empty()) {
    // A plug-in replaces qdiff's own implementation; the properties it
    // cannot take (ops it lacks, calls it declines) are discarded.
    isas = {impl::best_isa()};
    backends.push_back(load_plugin_backend(o.backend_library));
  }
  for (impl::Isa isa : isas) {
    if (!backends.empty()) break;
    impl::ImplOptions opt;
    opt.isa = isa;
    opt.threads = 1;
    opt.faults = faults;
    backends.push_back(make_optimized_backend(opt));
  }

  std::vector<const props::Property*> selected;
  for (const auto& p : props::all_properties()) {
    bool keep = o.only.empty();
    for (const auto& f : o.only) keep |= p.name.find(f) != std::string::npos;
    if (keep) selected.push_back(&p);
  }
  int jobs = 0;
  for (const auto* p : selected) jobs += is_differential(*p) ? int(backends.size()) : 1;

  fmt::print("qdiff check: seed {}, {} cases per property, backend {}\n", o.seed, o.cases,
             backends.front()->name());
  fmt::print("reproduce this run: qdiff check --seed {} --cases {}{}\n\n", o.seed, o.cases,
             o.fault ? " --fault " + *o.fault : "");

  std::vector<Row> rows;
  props::Coverage total_coverage;
  JUnitReport junit;
  Progress progress;
  int job = 0;
  bool any_failure = false;
  int quick_cases = 0;
  double quick_seconds = 0;

  // Runs property p against backend bi for `cases` cases; records its row
  // (and prints its failure) unless it passed the quick round.
  const auto run_one = [&](const props::Property* p, size_t bi, int cases, bool quick) {
    const Backend& backend = *backends[bi];
    const std::string name = p->name + (bi == 0 ? "" : fmt::format(" [{}]", impl::isa_name(isas[bi])));
    const std::string label =
        quick ? fmt::format("quick round: {}", p->name) : fmt::format("[{:>2}/{}] {}", job, jobs, name);
    props::RcConfig config;
    config.seed = o.seed;
    config.cases = cases;
    // A plug-in implements a subset (XNNPACK: per-tensor 8-bit, one
    // contract): allow many declined draws per judged case.
    if (!o.backend_library.empty()) config.max_discard_ratio = 200;
    config.on_case = [&](int done) {
      if (done % 16 == 0) progress.update(label, done, cases);
    };
    const props::RcReport r = props::run_rapidcheck(*p, backend, config);
    if (quick && !r.failed) {
      quick_cases += r.cases;
      quick_seconds += r.seconds;
      return false;
    }
    total_coverage.merge(r.coverage);
    Row row{p->family, name, "rapidcheck", std::to_string(r.cases), r.failed ? "1" : "0",
            r.coverage.layouts_cell(), r.coverage.ranks_cell(), seconds_cell(r.seconds)};
    if (r.failed) {
      any_failure = true;
      row.failed = true;
      std::string text = r.failure ? r.failure->describe() : r.rapidcheck_message;
      std::string saved;
      if (r.counterexample) {
        saved = fmt::format("{}/{}-seed{}.json", findings, p->name, o.seed);
        std::ofstream(saved) << write_case_file({*r.counterexample, p->name});
        text += fmt::format("\n  shrunk case: {}\n  saved: {}\n  explain: qdiff explain {}",
                            case_summary(*r.counterexample), saved, saved);
      }
      text += fmt::format("\n  found after {} cases{} ({} shrink + {} reduction steps); rerun: qdiff check "
                          "--seed {} --cases {} --property {}",
                          r.cases, quick ? " of the quick round" : "", r.shrinks, r.reductions, o.seed, cases,
                          p->name);
      row.failure_text = text;
      progress.finish(fmt::format("{}  FAILED ({} cases, {})\n{}\n", label, r.cases,
                                  seconds_cell(r.seconds), text));
    } else if (r.gave_up) {
      row.cases = fmt::format("{} (not applicable)", r.cases);
      progress.finish(fmt::format("{}  not applicable to this backend ({} judged, {} declined)", label, r.cases,
                                  r.discarded));
    } else {
      progress.finish(fmt::format("{}  ok ({} cases{}, {})", label, r.cases,
                                  r.discarded ? fmt::format(", {} discarded", r.discarded) : "",
                                  seconds_cell(r.seconds)));
    }
    junit.add(row.family, row.name + " [rapidcheck]", r.seconds, row.failed ? row.failure_text : "");
    rows.push_back(std::move(row));
    return r.failed;
  };

  // Quick round (properties/rc_runner.h): every property for a few
  // cases at the best ISA first, so a broken implementation fails within
  // seconds whichever family finds it, instead of after every earlier
  // property's full budget. A property that fails here is not run again.
  std::set<const props::Property*> failed_quick;
  if (props::quick_round_cases(o.cases) > 0 && o.backend_library.empty()) {
    const int quick = props::quick_round_cases(o.cases);
    for (const auto* p : selected) {
      if (run_one(p, 0, quick, true)) failed_quick.insert(p);
    }
    progress.finish(fmt::format("quick round: {} properties x {} cases, {} ({} cases, {})\n", selected.size(),
                                quick, failed_quick.empty() ? "ok" : fmt::format("{} FAILED", failed_quick.size()),
                                quick_cases, seconds_cell(quick_seconds)));
  }

  for (const auto* p : selected) {
    const size_t n_backends = is_differential(*p) ? backends.size() : 1;
    for (size_t bi = 0; bi < n_backends; ++bi) {
      ++job;
      if (failed_quick.count(p)) continue;
      const Backend& backend = *backends[bi];
      const int cases = bi == 0 ? o.cases : std::max(1, o.cases / 4);
      if (!o.backend_library.empty() && applicable_cases(*p, backend, o.seed) == 0) {
        // A plug-in that declines every probe case would make RapidCheck
        // draw cases x max_discard_ratio times for nothing.
        const std::string label = fmt::format("[{:>2}/{}] {}", job, jobs, p->name);
        Row row{p->family, p->name, "rapidcheck", "0 (not applicable)", "0", "", "", seconds_cell(0)};
        progress.finish(fmt::format("{}  not applicable to this backend (declined {} probe cases)", label,
                                    kApplicabilityProbe));
        junit.add(row.family, row.name + " [rapidcheck]", 0, "");
        rows.push_back(std::move(row));
        continue;
      }
      run_one(p, bi, cases, false);
    }
  }

  if (!o.skip_corpus) {
    rows.push_back({});
    std::vector<ReplaySummary> replays;
    replays.push_back(replay_case_files({corpus + "/regressions"}, *backends.front()));
    for (auto& s : replay_seed_corpora(corpus, *backends.front())) replays.push_back(std::move(s));
    for (const auto& s : replays) {
      Row row{"corpus", s.what, "replay", std::to_string(s.inputs),
              std::to_string(s.failures.size()), "", "", seconds_cell(s.seconds)};
      std::string text;
      for (const auto& f : s.failures) text += fmt::format("{}\n{}\n", f.path, f.message);
      row.failed = !s.failures.empty();
      row.failure_text = text;
      any_failure |= row.failed;
      progress.finish(fmt::format("replay {:<24} {} inputs{}", s.what, s.inputs,
                                  row.failed ? "  FAILED\n" + text : ", ok"));
      junit.add("corpus", s.what, s.seconds, text);
      rows.push_back(std::move(row));
    }
  }

  if (o.fuzz_seconds > 0) {
    rows.push_back({});
    std::vector<std::string> targets;
    for (const auto& t : fuzz::property_fuzz_targets()) targets.emplace_back(t.name);
    targets.emplace_back("case_file");  // the parsers: malformed input must be malformed_case
    targets.emplace_back("graph_case_file");
    if (!fs::exists(fuzz_dir + "/" + targets.front() + "_fuzz")) {
      fmt::print("fuzz: no fuzz build at {} (cmake --preset fuzz && cmake --build --preset fuzz); "
                 "fuzzing skipped\n", fuzz_dir);
      rows.push_back({"fuzz", "(no fuzz build: skipped)", "libFuzzer", "-", "-", "", "", ""});
    } else {
      for (const auto& t : targets) {
        const std::string scratch = (fs::temp_directory_path() /
                                     fmt::format("qdiff-corpus-{}-{}", getpid(), t)).string();
        fs::create_directories(scratch);
        FuzzRunRequest req;
        req.binary = fuzz_dir + "/" + t + "_fuzz";
        req.corpus_dirs = {scratch, corpus + "/" + t};
        req.seconds = o.fuzz_seconds;
        apply_target_options(req, t);
        req.findings_dir = findings;
        if (o.fault) req.env.push_back("QDIFF_FAULT=" + *o.fault);
        if (!o.backend_library.empty()) req.env.push_back("QDIFF_BACKEND=" + fs::absolute(o.backend_library).string());
        progress.update(fmt::format("fuzzing {} for {} s", t, o.fuzz_seconds), 0, 1);
        const FuzzRunResult fr = run_fuzzer(req);
        fs::remove_all(scratch);
        Row row{"fuzz", t, "libFuzzer",
                fmt::format("{} ({}/s)", fr.executions, fr.exec_per_second),
                fr.finding ? "1" : "0", "", "", seconds_cell(fr.seconds)};
        if (!fr.launched || fr.finding) {
          any_failure = true;
          row.failed = true;
          row.failure_text = fr.report;
          if (!fr.crash_input.empty()) row.failure_text += "\n  crash input: " + fr.crash_input;
          if (!fr.case_file.empty()) row.failure_text += "\n  explain: qdiff explain " + fr.case_file;
          else if (!fr.crash_input.empty())
            row.failure_text += fmt::format("\n  explain: qdiff explain --target {} {}", t, fr.crash_input);
        }
        progress.finish(fmt::format("fuzz {:<16} {} execs, {}/s{}", t, fr.executions, fr.exec_per_second,
                                    row.failed ? "  FAILED\n" + row.failure_text : ", ok"));
        junit.add("fuzz", t, fr.seconds, row.failure_text);
        rows.push_back(std::move(row));
      }
    }
  }

  Table table({"family", "property / input", "engine", "cases", "fail", "layouts", "ranks", "time"});
  for (const auto& r : rows) {
    if (r.family.empty()) {
      table.add_rule();
      continue;
    }
    table.add_row({r.family, r.name, r.engine, r.cases, r.failures, r.layouts, r.ranks, r.time});
  }
  fmt::print("\n{}", table.render());
  fmt::print("\ncoverage of generated cases (all properties):\n");
  for (const char* dim : {"layout", "rank", "elements", "dtype", "contract", "domain", "block_mode", "mapping", "op"}) {
    fmt::print("  {:<10} {}\n", dim, total_coverage.line(dim));
  }
  if (!o.junit.empty()) junit.write(o.junit);
  int failures = 0;
  for (const auto& r : rows) failures += r.failed;
  if (any_failure) {
    fmt::print("\n{} FAILED row(s); findings saved in {}\n", failures, findings);
    return 1;
  }
  fmt::print("\nall checks passed\n");
  return 0;
}

}  // namespace qdiff::tools
