// `qdiff faults`: measured detection power of the fault catalogue
// (impl/fault_points.h; issue 5, "Measured detection power").
//
// For each fault point, with seeds 1..N:
//  (a) the property suite: every property in all_properties() order, in
//      the suite's two rounds (quick, then full; properties/rc_runner.h),
//      under RapidCheck with that seed, shrinking and reduction off (they run
//      after the detection and would only add time), against the faulty
//      optimized backend, until one fails; cases and CPU time to the
//      first failing case, summed over the properties run before it, and
//      the same within the property that found it.
//  (b) libFuzzer: each fuzz target of the fault's table entry
//      (tools/detection_power.cc) as a subprocess with QDIFF_FAULT, -seed
//      and an empty corpus, once with the target's custom mutator (when
//      the binaries have one) and once with QDIFF_MUTATOR=plain, stopped
//      at a cap of CPU seconds; CPU time of the process (start-up
//      included) and executions to the first "== qdiff finding".
// Times and caps are CPU seconds (see thread_cpu_seconds) so that a
// shared, loaded machine neither inflates the times nor starves the runs.
// tools/fuzzing/fuzz_process.h's runner caps wall time (libFuzzer's
// -max_total_time), hence run_with_cpu_cap here.
// Prints one row per fault (tools/detection_power.h) and exits 1 when the
// property suite missed a fault on any seed.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cases/durable_file.h"
#include "impl/options.h"
#include "adapters/optimized_backend.h"
#include "oracle/backend_interface.h"
#include "properties/property.h"
#include "properties/rc_runner.h"
#include "tools/commands.h"
#include "tools/detection_power.h"
#include "tools/exit_codes.h"
#include "tools/fuzzing/fuzz_command.h"
#include "tools/fuzzing/fuzz_process.h"
#include "tools/scratch_dir.h"


namespace qdiff::tools {
namespace fs = std::filesystem;
namespace {

using impl::FaultPoint;

// CPU seconds, not wall time: the machine this runs on is usually shared
// (parallel builds), and a loaded machine would otherwise inflate every
// figure by its load factor. The suite runs on this thread (backend with
// one thread); the fuzzers are waited-for children.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

double children_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  auto sec = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) * 1e-6; };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

DetectionRun run_suite(FaultPoint fault, uint64_t seed, int cases) {
  impl::ImplOptions options;
  options.threads = 1;
  options.faults = impl::FaultSet(fault);
  const auto backend = make_optimized_backend(options);
  DetectionRun run;
  // The suite's schedule (properties/rc_runner.h): the quick round, then
  // the full budget, every property in all_properties() order in each.
  std::vector<int> rounds;
  if (props::quick_round_cases(cases) > 0) rounds.push_back(props::quick_round_cases(cases));
  rounds.push_back(cases);
  for (const int round_cases : rounds) {
    for (const props::Property& p : props::all_properties()) {
      props::RcConfig config;
      config.seed = seed;
      config.cases = round_cases;
      config.shrink = false;
      config.reduce = false;
      const double cpu0 = thread_cpu_seconds();
      const props::RcReport r = props::run_rapidcheck(p, *backend, config);
      const double cpu = thread_cpu_seconds() - cpu0;
      run.effort += r.cases;
      run.seconds += cpu;
      if (r.failed) {
        run.found = true;
        run.by = p.name;
        run.own_effort = r.cases;
        run.own_seconds = cpu;
        return run;
      }
    }
  }
  return run;
}

// The directory holding the *_fuzz binaries: DIR itself or DIR/fuzz.
std::optional<fs::path> fuzz_binary_dir(const std::string& given) {
  const fs::path base = given.empty() ? fs::path(default_fuzz_build_dir()) : fs::path(given);
  for (const fs::path& d : {base, base / "fuzz"}) {
    if (fs::exists(d / "quantize_fuzz")) return fs::absolute(d);
  }
  return std::nullopt;
}

struct LogFacts {
  bool finding = false;        // "== qdiff finding"
  bool custom_mutator = false; // libFuzzer announced LLVMFuzzerCustomMutator
  int64_t executions = -1;
  std::string other;           // a sanitizer / libFuzzer error that is not a finding
};

LogFacts read_log(const std::string& path) {
  LogFacts f;
  std::ifstream in(path);
  std::string line;
  int64_t last_status = -1;
  while (std::getline(in, line)) {
    if (line.find("== qdiff finding") != std::string::npos) f.finding = true;
    if (line.find("LLVMFuzzerCustomMutator") != std::string::npos) f.custom_mutator = true;
    if (const auto p = line.find("stat::number_of_executed_units:"); p != std::string::npos) {
      f.executions = std::strtoll(line.c_str() + p + 31, nullptr, 10);
    }
    if (line.size() > 1 && line[0] == '#' && std::isdigit(static_cast<unsigned char>(line[1]))) {
      last_status = std::strtoll(line.c_str() + 1, nullptr, 10);
    }
    if (f.other.empty() && (line.find("SUMMARY: ") != std::string::npos ||
                            line.find("==ERROR: ") != std::string::npos)) {
      f.other = line;
    }
  }
  if (f.executions < 0) f.executions = last_status;
  return f;
}

class Scratch {
 public:
  Scratch() : root_(corpus_scratch_root() / fmt::format("qdiff-faults-{}", getpid())) {}
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  // A fresh, empty directory for one fuzzer run (corpus, findings, log).
  fs::path fresh() {
    const fs::path d = root_ / std::to_string(next_++);
    fs::create_directories(d / "corpus");
    fs::create_directories(d / "findings");
    return d;
  }
  static void drop(const fs::path& d) {
    std::error_code ec;
    fs::remove_all(d, ec);
  }

 private:
  fs::path root_;
  int next_ = 0;
};

struct FuzzResult {
  DetectionRun run;
  bool custom_mutator = false;
};

// CPU seconds (user + system) the process has used so far, from
// /proc/<pid>/stat (fields 14 and 15, in clock ticks); -1 if unreadable.
double process_cpu_seconds(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string f;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::atoll(f.c_str());
    if (i == 15) stime = std::atoll(f.c_str());
  }
  return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

struct ChildRun {
  bool launched = false;
  int exit_code = 0;
  bool capped = false;  // stopped by the CPU cap
  double cpu_seconds = 0;
  std::string error;
};

// Runs argv with env, output to log_path, and stops it with SIGTERM once
// it has used cpu_cap CPU seconds (libFuzzer then prints its final stats
// and exits). A cap in CPU time, not libFuzzer's wall-clock
// -max_total_time: on a shared machine a wall cap would give each run
// whatever CPU the other jobs leave. 0: no cap.
ChildRun run_with_cpu_cap(const std::vector<std::string>& args, const std::vector<std::string>& env,
                          const std::string& log_path, double cpu_cap) {
  ChildRun r;
  const double cpu0 = children_cpu_seconds();
  const std::optional<pid_t> spawned = spawn_logged(args, env, log_path, r.error);
  if (!spawned) return r;
  const pid_t pid = *spawned;
  r.launched = true;
  int status = 0;
  bool terminated = false;
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    const pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (cpu_cap > 0 && !terminated) {
      const double used = process_cpu_seconds(pid);
      // Far beyond the cap in wall time (a stopped or starved child): stop too.
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (used >= cpu_cap || wall > 20 * cpu_cap + 60) {
        kill(pid, SIGTERM);
        terminated = true;
        r.capped = true;
      }
    }
    usleep(20000);
  }
  r.cpu_seconds = children_cpu_seconds() - cpu0;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

FuzzResult run_fuzz_once(const fs::path& binary, std::optional<FaultPoint> fault, uint64_t seed,
                         int cpu_seconds, bool plain, const std::vector<std::string>& extra,
                         Scratch& scratch) {
  const fs::path dir = scratch.fresh();
  const std::string log = (dir / "log.txt").string();
  // Flags as `qdiff fuzz` passes them (the target's fuzz/options file), but
  // an empty corpus (the fuzzer alone, not the seeds) and no wall-clock cap
  // (ours is CPU time).
  std::string target = binary.filename().string();
  if (target.ends_with("_fuzz")) target.resize(target.size() - 5);
  FuzzRunRequest request;  // only its libFuzzer options: this runner caps CPU time itself
  apply_target_options(request, target);
  request.findings_dir = (dir / "findings").string();
  std::vector<std::string> args = {binary.string(), fmt::format("-seed={}", seed)};
  const std::vector<std::string> flags = engine_flags(request);
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back((dir / "corpus").string());
  std::vector<std::string> env = {fmt::format("QDIFF_FINDINGS_DIR={}", (dir / "findings").string())};
  if (fault) env.push_back(fmt::format("QDIFF_FAULT={}", impl::fault_point_name(*fault)));
  if (plain) env.push_back("QDIFF_MUTATOR=plain");
  const ChildRun r = run_with_cpu_cap(args, env, log, double(cpu_seconds));
  const LogFacts facts = read_log(log);
  FuzzResult out;
  out.custom_mutator = facts.custom_mutator;
  out.run.seconds = r.cpu_seconds;
  out.run.effort = std::max<int64_t>(facts.executions, 0);
  out.run.found = r.launched && facts.finding;
  out.run.by = binary.filename().string();
  if (!r.launched) {
    out.run.note = r.error;
  } else if (!facts.finding && r.exit_code != 0 && !r.capped) {
    out.run.note = facts.other.empty() ? fmt::format("exit {}", r.exit_code) : facts.other;
  }
  Scratch::drop(dir);
  return out;
}

// A fault's fuzz run for one seed and mode: its targets one after another;
// the detection is the fastest target that found it (as if they ran side
// by side, which is how CI runs them).
DetectionRun run_fuzz(const fs::path& bin_dir, FaultPoint fault, const std::vector<std::string_view>& targets,
                      uint64_t seed, int seconds, bool plain, Scratch& scratch) {
  std::optional<DetectionRun> best;
  DetectionRun miss;
  for (const auto& t : targets) {
    const FuzzResult r = run_fuzz_once(bin_dir / fmt::format("{}_fuzz", t), fault, seed, seconds,
                                       plain, {}, scratch);
    if (r.run.found && (!best || r.run.seconds < best->seconds)) best = r.run;
    if (!r.run.found) {
      miss.seconds = std::max(miss.seconds, r.run.seconds);
      miss.effort = std::max(miss.effort, r.run.effort);
      if (!r.run.note.empty()) miss.note = fmt::format("{}: {}", t, r.run.note);
    }
  }
  return best ? *best : miss;
}

// Does the target's binary carry a custom mutator? libFuzzer says so at startup.
bool has_custom_mutator(const fs::path& binary, Scratch& scratch) {
  const FuzzResult r = run_fuzz_once(binary, std::nullopt, 1, 0, false, {"-runs=0"}, scratch);
  return r.custom_mutator;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto p = line.find(':');
      if (p != std::string::npos) return line.substr(p + 2);
    }
  }
  return "unknown CPU";
}

std::string utc_date() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

std::string command_line(const FaultsOptions& o) {
  std::string s = fmt::format("qdiff faults --seeds {} --cases {} --fuzz-seconds {}", o.seeds, o.cases,
                              o.fuzz_seconds);
  if (!o.fuzz_build_dir.empty()) s += " --fuzz-build " + o.fuzz_build_dir;
  for (const auto& f : o.only) s += " --only " + f;
  return s;
}

// The faults --only names, in catalogue order; nullopt (after saying
// which) when a name is unknown.
std::optional<std::vector<FaultPoint>> selected_faults(const FaultsOptions& o) {
  for (const auto& n : o.only) {
    if (!impl::parse_fault_point(n)) {
      fmt::print(stderr, "unknown fault point '{}'\n", n);
      return std::nullopt;
    }
  }
  std::vector<FaultPoint> faults;
  for (const impl::FaultInfo& fault : impl::kFaultCatalogue) {
    if (o.only.empty() || std::find(o.only.begin(), o.only.end(), fault.name) != o.only.end()) {
      faults.push_back(fault.point);
    }
  }
  return faults;
}

// Where the fuzz binaries are and which of them have a custom mutator.
struct FuzzSetup {
  std::optional<fs::path> bin_dir;
  std::map<std::string, bool> custom;  // target -> has a custom mutator
};

// Finds the fuzz binaries the faults need; false (after saying which)
// when one is missing. No fuzz build at all only adds a note.
bool prepare_fuzz(const FaultsOptions& o, const std::vector<FaultPoint>& faults, Scratch& scratch,
                  FuzzSetup& setup, ReportSettings& settings, std::vector<std::string>& notes) {
  if (o.fuzz_seconds <= 0) return true;
  setup.bin_dir = fuzz_binary_dir(o.fuzz_build_dir);
  if (!setup.bin_dir) {
    notes.push_back(fmt::format(
        "No fuzz build at {}: fuzz columns skipped (build one with the fuzzfast or fuzz preset, or pass "
        "--fuzz-build).",
        o.fuzz_build_dir.empty() ? default_fuzz_build_dir() : o.fuzz_build_dir));
    return true;
  }
  settings.fuzz_measured = true;
  settings.custom_mutator = true;
  for (FaultPoint f : faults) {
    for (auto t : fuzz_targets_for(f)) {
      const std::string name(t);
      if (setup.custom.count(name)) continue;
      const fs::path bin = *setup.bin_dir / (name + "_fuzz");
      if (!fs::exists(bin)) {
        fmt::print(stderr, "missing fuzz binary {}\n", bin.string());
        return false;
      }
      setup.custom[name] = has_custom_mutator(bin, scratch);
      settings.custom_mutator &= setup.custom[name];
    }
  }
  fmt::print(stderr, "fuzz binaries: {} ({})\n", setup.bin_dir->string(),
             settings.custom_mutator ? "custom mutator found: measuring with and without it"
                                     : "no custom mutator in (some of) them: plain mutation only");
  if (!settings.custom_mutator) {
    notes.push_back("The fuzz binaries have no LLVMFuzzerCustomMutator (libFuzzer did not announce "
                    "one): only plain byte mutation was measured.");
  }
  return true;
}

// One row's progress prefix: "[i/n] fault".
struct RowLabel {
  size_t index, count;
  std::string fault;
  std::string prefix() const { return fmt::format("[{}/{}] {}", index + 1, count, fault); }
};

// The property suite on seeds 1..seeds; false when some seed missed.
bool measure_suite(const FaultsOptions& o, const RowLabel& row, FaultMeasurement& m,
                   std::vector<std::string>& notes) {
  for (int s = 1; s <= o.seeds; ++s) {
    fmt::print(stderr, "{}: property suite, seed {} ...", row.prefix(), s);
    std::fflush(stderr);
    m.suite.push_back(run_suite(m.fault, uint64_t(s), o.cases));
    const DetectionRun& r = m.suite.back();
    fmt::print(stderr, " {}\n",
               r.found ? fmt::format("{} after {} cases, {}", r.by, r.effort, seconds_cell(r.seconds))
                       : fmt::format("NOT FOUND ({} cases, {})", r.effort, seconds_cell(r.seconds)));
  }
  if (found_count(m.suite) == o.seeds) return true;
  notes.push_back(fmt::format("{}: the property suite missed it on {} of {} seeds ({} cases per "
                              "property).", row.fault, o.seeds - found_count(m.suite), o.seeds, o.cases));
  return false;
}

// libFuzzer on seeds 1..seeds, with the custom mutator (when every target
// has one) and without.
void measure_fuzz(const FaultsOptions& o, const RowLabel& row, const FuzzSetup& setup, Scratch& scratch,
                  FaultMeasurement& m, std::vector<std::string>& notes) {
  bool with_custom = true;
  for (auto t : m.targets) with_custom &= setup.custom.at(std::string(t));
  for (int mode = with_custom ? 0 : 1; mode < 2; ++mode) {
    const bool plain = mode == 1;
    const char* kind = plain ? "plain" : "custom mutator";
    auto& runs = plain ? m.fuzz_plain : m.fuzz_custom;
    for (int s = 1; s <= o.seeds; ++s) {
      fmt::print(stderr, "{}: fuzz {} ({}), seed {} ...", row.prefix(), fmt::join(m.targets, ","), kind, s);
      std::fflush(stderr);
      runs.push_back(run_fuzz(*setup.bin_dir, m.fault, m.targets, uint64_t(s), o.fuzz_seconds, plain, scratch));
      const DetectionRun& r = runs.back();
      fmt::print(stderr, " {}\n", r.found ? fmt::format("found in {}, {} execs", seconds_cell(r.seconds), r.effort)
                                          : fmt::format("not found in {} s{}", o.fuzz_seconds,
                                                        r.note.empty() ? "" : " (" + r.note + ")"));
      if (!r.note.empty()) {
        notes.push_back(fmt::format("{} ({}, seed {}): {}", row.fault, plain ? "plain" : "custom", s, r.note));
      }
    }
    if (found_count(runs) < o.seeds) {
      notes.push_back(fmt::format("{}: libFuzzer ({}, {}) missed it on {} of {} seeds within {} s.", row.fault,
                                  fmt::join(m.targets, ", "), kind, o.seeds - found_count(runs), o.seeds,
                                  o.fuzz_seconds));
    }
  }
}

// The report as Markdown (--markdown); kExitOutputNotWritten when it could
// not be written.
int write_markdown(const FaultsOptions& o, const FuzzSetup& setup, const std::vector<FaultMeasurement>& rows,
                   const ReportSettings& settings, const std::string& summary, const std::string& mutators,
                   const std::vector<std::string>& notes) {
  std::string md = fmt::format("Command: `{}`\n\nDate: {}; machine: {}, {} hardware threads; fuzz binaries: "
                               "{}.\n\n{}\n\n{}\n",
                               command_line(o), utc_date(), cpu_model(), std::thread::hardware_concurrency(),
                               setup.bin_dir ? setup.bin_dir->string() : std::string("none"), summary,
                               render_detection_table(rows, settings, true));
  if (!mutators.empty()) md += mutators + "\n\n";
  for (const auto& n : notes) md += "- " + n + "\n";
  try {
    write_file_durably(o.markdown, md);
  } catch (const WriteError& e) {
    fmt::print(stderr, "qdiff faults: the Markdown report was NOT written: {}\n", e.what());
    return kExitOutputNotWritten;
  }
  fmt::print("wrote {}\n", o.markdown);
  return 0;
}

}  // namespace

int run_faults(const FaultsOptions& o) {
  const auto faults = selected_faults(o);
  if (!faults) return 2;
  Scratch scratch;
  ReportSettings settings;
  settings.seeds = o.seeds;
  settings.cases = o.cases;
  settings.fuzz_seconds = o.fuzz_seconds;
  std::vector<std::string> notes;
  FuzzSetup setup;
  if (!prepare_fuzz(o, *faults, scratch, setup, settings, notes)) return 2;

  const auto start = std::chrono::steady_clock::now();
  std::vector<FaultMeasurement> rows;
  bool all_found = true;
  for (size_t i = 0; i < faults->size(); ++i) {
    FaultMeasurement m;
    m.fault = (*faults)[i];
    m.targets = fuzz_targets_for(m.fault);
    const RowLabel row{i, faults->size(), std::string(impl::fault_point_name(m.fault))};
    all_found &= measure_suite(o, row, m, notes);
    if (settings.fuzz_measured) measure_fuzz(o, row, setup, scratch, m, notes);
    rows.push_back(std::move(m));
  }
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  fmt::print("\n{}", render_detection_table(rows, settings, false));
  const std::string summary = fmt::format(
      "{} faults, seeds 1..{}, {} cases per property, fuzz cap {} CPU seconds per run; times in "
      "the table are CPU seconds; {:.0f} s (wall clock) in all.",
      rows.size(), o.seeds, o.cases, o.fuzz_seconds, total);
  fmt::print("\n{}\n", summary);
  const std::string mutators = mutator_comparison(rows, settings);
  if (!mutators.empty()) fmt::print("{}\n", mutators);
  for (const auto& n : notes) fmt::print("note: {}\n", n);
  if (!o.markdown.empty()) {
    if (const int rc = write_markdown(o, setup, rows, settings, summary, mutators, notes)) return rc;
  }
  return all_found ? 0 : 1;
}

}  // namespace qdiff::tools
