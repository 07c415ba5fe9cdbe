// The fuzz stage's watchdog (issue 20, items 2 and 7), against fake
// libFuzzer scripts:
// - a fuzzer that ignores -max_total_time is killed at the watchdog
//   deadline and its run is a failure;
// - a timed run that executed nothing is a failure, not "ok", in
//   run_fuzzer and in `qdiff check`'s rows;
// - a well-behaved fake passes (so the two above are not always-fail);
// - scratch directories are removed on every way out: scope end, an
//   exception, and exit() (which skips destructors), and `qdiff check`
//   leaves no qdiff-corpus-<pid>-<target> behind.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "fuzz/fuzz_driver.h"
#include "tests/qdiff_command.h"
#include "tools/fuzzing/fuzz_process.h"
#include "tools/scratch_dir.h"

namespace qdiff::tools {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

void write_executable(const fs::path& path, const std::string& script) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << script;
  fs::permissions(path, fs::perms::owner_all);
}

// Ignores -max_total_time: prints a status line, then sleeps well past the
// watchdog's 2.5 s (exec: no orphaned child once the shell is killed).
// Without a watchdog it ends by itself after 8 s, cleanly, and the test
// fails instead of hanging.
constexpr const char* kHangingFuzzer = R"sh(#!/bin/sh
printf '#2\tINITED cov: 10 ft: 11 corp: 1/4b exec/s: 0 rss: 30Mb\n'
exec sleep 8
)sh";

// Exits at once, cleanly, having executed nothing.
constexpr const char* kIdleFuzzer = R"sh(#!/bin/sh
echo "INFO: Seed: 1"
echo "stat::number_of_executed_units: 0"
exit 0
)sh";

constexpr const char* kWorkingFuzzer = R"sh(#!/bin/sh
printf '#100\tDONE   cov: 12 ft: 15 corp: 2/8b lim: 4 exec/s: 50 rss: 31Mb\n'
echo "stat::number_of_executed_units: 100"
echo "stat::average_exec_per_sec:     50"
)sh";

FuzzRunRequest request(const ScratchDir& dir, const char* script) {
  FuzzRunRequest req;
  req.binary = (dir.path() / "fake_fuzz").string();
  write_executable(req.binary, script);
  req.findings_dir = dir.str();
  req.log_path = (dir.path() / "fuzz.log").string();
  req.seconds = 1;
  req.timeout_seconds = 1;
  req.watchdog_slack_seconds = 0.5;
  return req;
}

TEST(FuzzWatchdog, DeadlineIsTheCapPlusOneInputPlusTheSlack) {
  FuzzRunRequest req;
  req.seconds = 10;
  req.timeout_seconds = 20;
  EXPECT_EQ(watchdog_seconds(req), 40.0);
  req.seconds = 0;  // merges: bounded by -timeout per input instead
  EXPECT_FALSE(watchdog_seconds(req));
}

TEST(FuzzWatchdog, AFuzzerIgnoringMaxTotalTimeIsKilledAndFails) {
  ScratchDir dir("watchdog-hang");
  const auto start = std::chrono::steady_clock::now();
  const FuzzRunResult r = run_fuzzer(request(dir, kHangingFuzzer));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(r.watchdog_killed);
  EXPECT_TRUE(r.finding);
  EXPECT_NE(r.reason.find("watchdog"), std::string::npos) << r.reason;
  EXPECT_GE(seconds, 2.5);   // not before the deadline: 1 + 1 + 0.5 s
  EXPECT_LT(seconds, 10.0);  // and soon after it
}

TEST(FuzzWatchdog, ZeroExecutionsFailTheRun) {
  ScratchDir dir("watchdog-idle");
  const FuzzRunResult r = run_fuzzer(request(dir, kIdleFuzzer));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(r.no_executions);
  EXPECT_TRUE(r.finding);
  EXPECT_NE(r.report.find("0 executions"), std::string::npos) << r.report;
}

TEST(FuzzWatchdog, AWorkingFuzzerPasses) {
  ScratchDir dir("watchdog-ok");
  const FuzzRunResult r = run_fuzzer(request(dir, kWorkingFuzzer));
  EXPECT_FALSE(r.finding) << r.report;
  EXPECT_FALSE(r.watchdog_killed);
  EXPECT_EQ(r.executions, 100);
}

fs::path scratch_path(const std::string& tag) {
  return fs::temp_directory_path() / fmt::format("qdiff-scratch-test-{}-{}", getpid(), tag);
}

TEST(ScopedScratchDir, RemovedWhenAnExceptionLeavesItsScope) {
  const fs::path p = scratch_path("throw");
  try {
    const ScopedScratchDir scratch(p);
    std::ofstream(p / "input") << "x";
    throw std::runtime_error("interrupted");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(fs::exists(p));
}

TEST(ScopedScratchDir, RemovedByExitWhichSkipsDestructors) {
  const fs::path p = scratch_path("exit");
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    static ScopedScratchDir* leaked = new ScopedScratchDir(p);  // never destroyed
    std::ofstream(leaked->path() / "input") << "x";
    std::exit(fs::exists(p) ? 0 : 3);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_FALSE(fs::exists(p));
}

// Scratch corpora go where libFuzzer's thousands of new-input files are
// cheap: $TMPDIR when the user set one, else the tmpfs /dev/shm with 1 GiB
// free, else the temp dir.
TEST(ScopedScratchDir, CorpusScratchRootIsTmpdirElseDevShm) {
  ScratchDir tmp("scratch-root");
  const std::string saved_tmpdir = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "";
  setenv("TMPDIR", tmp.str().c_str(), 1);
  const fs::path with_tmpdir = corpus_scratch_root();
  unsetenv("TMPDIR");
  const fs::path without = corpus_scratch_root();
  if (!saved_tmpdir.empty()) setenv("TMPDIR", saved_tmpdir.c_str(), 1);
  EXPECT_TRUE(fs::equivalent(with_tmpdir, tmp.path())) << with_tmpdir;
  std::error_code ec;
  const bool shm_usable = fs::space("/dev/shm", ec).available >= (uintmax_t(1) << 30) && !ec &&
                          access("/dev/shm", W_OK | X_OK) == 0;
  EXPECT_EQ(without, shm_usable ? fs::path("/dev/shm") : fs::temp_directory_path());
}

// The shell scripts that keep scratch corpora (.ci/run, scripts/fuzz-rates)
// ask scripts/scratch-root, which must follow the same rule.
TEST(ScopedScratchDir, ScriptsScratchRootAgreesWithTheHarness) {
  ScratchDir tmp("scratch-root-script");
  const std::string script = std::string(QDIFF_SOURCE_DIR) + "/scripts/scratch-root";
  const auto with_tmpdir = testing::run_command("TMPDIR=" + tmp.str() + " " + script);
  const auto without = testing::run_command("env -u TMPDIR " + script);
  const std::string saved_tmpdir = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "";
  unsetenv("TMPDIR");
  const fs::path expected = corpus_scratch_root();
  if (!saved_tmpdir.empty()) setenv("TMPDIR", saved_tmpdir.c_str(), 1);
  EXPECT_EQ(with_tmpdir.out, tmp.str() + "\n");
  EXPECT_EQ(without.out, expected.string() + "\n");
}

// `qdiff check` against a fuzz build of idle fakes: every fuzz row fails
// (0 executions), and no scratch corpus directory of the run stays behind.
// The command gets a private TMPDIR, so that other runs' scratch dirs in the
// shared temp dir cannot confuse the check.
TEST(CheckFuzzStage, ZeroExecutionRowsFailAndScratchDirsAreRemoved) {
  ScratchDir build("watchdog-build"), findings("watchdog-findings"), tmp("watchdog-tmp");
  std::vector<std::string> targets;
  for (const auto& t : fuzz::property_fuzz_targets()) targets.emplace_back(t.name);
  targets.emplace_back("case_file");
  targets.emplace_back("graph_case_file");
  for (const auto& t : targets) write_executable(build.path() / (t + "_fuzz"), kIdleFuzzer);
  const std::string saved_tmpdir = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "";
  setenv("TMPDIR", tmp.str().c_str(), 1);
  const auto r = testing::run_qdiff("check --cases 1 --isa scalar --no-corpus --property "
                                    "QuantizeOptimizedMatchesReference --fuzz-seconds 1 --fuzz-build " +
                                    build.str() + " --findings " + findings.str());
  saved_tmpdir.empty() ? unsetenv("TMPDIR") : setenv("TMPDIR", saved_tmpdir.c_str(), 1);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  for (const auto& t : targets) {
    EXPECT_NE(r.out.find(fmt::format("fuzz {:<16} 0 execs, 0/s  FAILED", t)), std::string::npos) << t << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("the fuzzer ran 0 executions"), std::string::npos) << r.out;
  for (const auto& e : fs::directory_iterator(tmp.path())) {
    EXPECT_EQ(e.path().filename().string().rfind("qdiff-corpus-", 0), std::string::npos) << e.path();
  }
}

}  // namespace
}  // namespace qdiff::tools
