// A finding is never lost (docs/reliability.md, "durability"): `qdiff
// check` run as users run it, against real failures of the filesystem
// (a findings path under a regular file, a full tmpfs), a second run
// sharing the findings directory, kill -9 and SIGINT/SIGTERM. Findings are
// made fast by an injected fault (README "Seeing a failure"). Every test
// also checks that each finding on disk is whole: it parses, and its
// content hashes to its name (so it was neither truncated nor overwritten
// by another case).
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "cases/content_hash.h"
#include "cases/finding_file.h"
#include "cases/case.h"
#include "cases/input_file.h"
#include "tests/qdiff_command.h"

namespace qdiff {
namespace {
namespace fs = std::filesystem;
using testing::read_text;
using testing::run_qdiff;
using testing::ScratchDir;
using testing::SmallTmpfs;
using testing::start_qdiff;
using testing::wait_qdiff;

const std::string kGoodCase = testing::kCorpusCaseFile;
// Finds several quant-core failures within seconds (one per property and ISA row).
const std::string kFindingsCheck =
    "check --fault channel_axis_off_by_one --fuzz-seconds 0 --no-corpus --cases 200 --property Quantize ";
// Passes, in many minutes: signalled or killed long before its end.
const std::string kLongCheck = "check --fuzz-seconds 0 --no-corpus --cases 100000 ";

std::vector<std::string> saved_paths(const std::string& out) {
  std::vector<std::string> paths;
  const std::regex saved("saved: (\\S+)");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), saved); it != std::sregex_iterator(); ++it) {
    paths.push_back((*it)[1]);
  }
  return paths;
}

// Whole: parses as a case file and hashes to the name it is stored under.
void expect_whole_finding(const fs::path& path) {
  SCOPED_TRACE(path.string());
  const std::string text = read_text(path);
  ASSERT_FALSE(text.empty()) << "0-byte finding";
  EXPECT_NO_THROW(parse_case_file(text));
  const std::string name = path.filename().string();
  EXPECT_EQ(name.substr(name.rfind('-') + 1), stable_hash_hex(text) + ".json") << "truncated or overwritten";
}

std::vector<fs::path> json_files(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".json") out.push_back(e.path());
  }
  return out;
}

// An earlier run's finding, stored as check stores one.
std::string earlier_finding(const std::string& dir) {
  return save_finding(dir, CaseFile{parse_case_file(read_input_file(kGoodCase)).c, "EarlierRun"});
}

// Waits (up to a minute) until the run's output holds `text`.
bool wait_for_output(const std::string& out_path, const std::string& text) {
  for (int i = 0; i < 600; ++i) {
    if (read_text(out_path).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

TEST(DurableCheck, FindingsThatCannotBeSavedArePrintedInFullAndFailTheRun) {
  ScratchDir d("unwritable");
  std::ofstream(d.path() / "plain") << "a regular file";
  const std::string findings = d.str() + "/plain/findings";
  const auto r = run_qdiff(kFindingsCheck + "--findings " + findings);
  EXPECT_EQ(r.exit_code, 4) << r.out;
  EXPECT_NE(r.out.find("NOT SAVED: cannot write " + findings + "/"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Not a directory"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("the case file in full:\n{\n  \"property\": \"QuantizeOptimizedMatchesReference\",\n  \"format\": \"qdiff-case\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("output(s) NOT SAVED"), std::string::npos) << r.out;
  EXPECT_TRUE(saved_paths(r.out).empty()) << r.out;
  EXPECT_EQ(r.out.find("findings saved in"), std::string::npos) << r.out;
}

TEST(DurableCheck, FullDiskFailsTheRunAndKeepsEarlierFindingsWhole) {
  SmallTmpfs disk("full", 8 * 1024);  // two pages: the earlier finding and one more
  // Skipped only where a tmpfs cannot be mounted (not root, or no mount
  // namespace): a full disk cannot be made without one. CI runs as root.
  if (!disk.mounted()) GTEST_SKIP() << "no small filesystem to fill: " << disk.why();
  const std::string earlier = earlier_finding(disk.str());
  const std::string earlier_text = read_text(earlier);
  const auto r = run_qdiff(kFindingsCheck + "--findings " + disk.str());
  EXPECT_EQ(r.exit_code, 4) << r.out;
  EXPECT_NE(r.out.find("No space left on device"), std::string::npos) << r.out;
  EXPECT_EQ(read_text(earlier), earlier_text);
  for (const auto& f : json_files(disk.path())) expect_whole_finding(f);
  for (const auto& p : saved_paths(r.out)) EXPECT_TRUE(fs::exists(p)) << p;
}

TEST(DurableCheck, JUnitReportThatCannotBeWrittenFailsAPassingRun) {
  ScratchDir d("junit-unwritable");
  std::ofstream(d.path() / "plain") << "a regular file";
  const auto r = run_qdiff("check --cases 5 --fuzz-seconds 0 --no-corpus --property QuantizeOptimized --junit " +
                           d.str() + "/plain/report.xml --findings " + d.str() + "/findings");
  EXPECT_EQ(r.exit_code, 4) << r.out;
  EXPECT_NE(r.out.find("--junit: cannot write " + d.str() + "/plain/report.xml"), std::string::npos) << r.out;
}

TEST(DurableCheck, FaultsMarkdownThatCannotBeWrittenFailsTheRun) {
  ScratchDir d("markdown-unwritable");
  std::ofstream(d.path() / "plain") << "a regular file";
  const std::string md = d.str() + "/plain/report.md";
  const auto r = run_qdiff("faults --only channel_axis_off_by_one --seeds 1 --cases 20 --fuzz-seconds 0 --markdown " + md);
  EXPECT_EQ(r.exit_code, 4) << r.out;
  EXPECT_NE(r.out.find("the Markdown report was NOT written: cannot write " + md), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("channel_axis_off_by_one  quant core"), std::string::npos) << "no table\n" << r.out;
  EXPECT_EQ(r.out.find("wrote "), std::string::npos) << r.out;
}

TEST(DurableCheck, NoFindingsDirectoryUnlessSomethingIsSaved) {
  ScratchDir d("lazy");
  const auto r = run_qdiff("check --cases 5 --fuzz-seconds 0 --no-corpus --property QuantizeOptimized --findings " +
                           d.str() + "/findings");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_FALSE(fs::exists(d.path() / "findings"));
}

// A fuzz build of fakes: each target "runs" 100 executions and finds nothing.
std::string fake_fuzz_build(const fs::path& dir) {
  fs::create_directories(dir);
  for (const auto& e : fs::directory_iterator(std::string(QDIFF_SOURCE_DIR) + "/fuzz")) {
    const std::string name = e.path().filename().string();
    if (!name.ends_with("_fuzz.cc")) continue;
    const fs::path bin = dir / name.substr(0, name.size() - 3);
    std::ofstream(bin) << "#!/bin/sh\nprintf '#100\\tDONE   cov: 1 ft: 1 corp: 1/1b exec/s: 100 rss: 1Mb\\n'\n"
                          "echo 'stat::number_of_executed_units: 100'\n";
    fs::permissions(bin, fs::perms::owner_all);
  }
  return dir.string();
}

TEST(DurableCheck, FuzzStageCreatesTheFindingsDirectoryOnlyWhileItRuns) {
  ScratchDir d("fuzz-dir");
  const std::string fuzz_build = fake_fuzz_build(d.path() / "build");
  const std::string check = "check --cases 5 --no-corpus --property QuantizeOptimized --fuzz-seconds 1 --fuzz-build " +
                            fuzz_build + " --findings ";
  const auto clean = run_qdiff(check + d.str() + "/findings");
  EXPECT_EQ(clean.exit_code, 0) << clean.out;
  EXPECT_NE(clean.out.find("fuzz quantize"), std::string::npos) << "the fuzz stage did not run\n" << clean.out;
  EXPECT_FALSE(fs::exists(d.path() / "findings")) << "an empty findings directory was left behind";

  std::ofstream(d.path() / "plain") << "a regular file";
  const auto blocked = run_qdiff(check + d.str() + "/plain/findings");
  EXPECT_EQ(blocked.exit_code, 4) << blocked.out;
  EXPECT_NE(blocked.out.find("fuzz artifacts: cannot create directory " + d.str() + "/plain/findings"),
            std::string::npos)
      << blocked.out;
}

// The differential rows come from --fuzz-build; --asan-fuzz-build adds the
// ASan share for memory errors, one row per target, labelled as such. An
// explicit --fuzz-build alone runs no ASan share (the source tree's
// build/fuzz is not what the caller named).
TEST(CheckFuzzStage, TheAsanBuildGetsItsShareAfterTheFastBuild) {
  ScratchDir d("fuzz-share");
  const std::string fast = fake_fuzz_build(d.path() / "fast"), asan = fake_fuzz_build(d.path() / "asan");
  const std::string check = "check --cases 5 --no-corpus --property QuantizeOptimized --fuzz-seconds 1 --fuzz-build " +
                            fast + " --findings " + d.str() + "/findings";
  const auto both = run_qdiff(check + " --asan-fuzz-seconds 1 --asan-fuzz-build " + asan);
  EXPECT_EQ(both.exit_code, 0) << both.out;
  EXPECT_NE(both.out.find("fuzz quantize"), std::string::npos) << both.out;
  EXPECT_NE(both.out.find("fuzz-asan quantize"), std::string::npos) << both.out;
  EXPECT_NE(both.out.find("libFuzzer+ASan"), std::string::npos) << "no ASan row in the table\n" << both.out;
  const auto fast_only = run_qdiff(check);
  EXPECT_EQ(fast_only.exit_code, 0) << fast_only.out;
  EXPECT_EQ(fast_only.out.find("fuzz-asan"), std::string::npos) << fast_only.out;
}

TEST(DurableCheck, TwoRunsSharingAFindingsDirectoryNeverOverwriteEachOther) {
  ScratchDir d("concurrent");
  const std::string findings = d.str() + "/findings";
  const std::string earlier = earlier_finding(findings);
  const std::string earlier_text = read_text(earlier);
  const pid_t a = start_qdiff(kFindingsCheck + "--seed 1 --findings " + findings, d.str() + "/a.out");
  const pid_t b = start_qdiff(kFindingsCheck + "--seed 2 --findings " + findings, d.str() + "/b.out");
  EXPECT_EQ(wait_qdiff(a), 1);
  EXPECT_EQ(wait_qdiff(b), 1);
  std::set<std::string> reported;
  for (const char* out : {"/a.out", "/b.out"}) {
    const auto paths = saved_paths(read_text(d.str() + out));
    EXPECT_FALSE(paths.empty()) << read_text(d.str() + out);
    reported.insert(paths.begin(), paths.end());
  }
  for (const auto& p : reported) expect_whole_finding(p);
  EXPECT_EQ(json_files(findings).size(), reported.size() + 1) << "a finding reported as saved is missing";
  EXPECT_EQ(read_text(earlier), earlier_text);
}

TEST(DurableCheck, KillNineNeverLeavesAnEmptyOrTruncatedFinding) {
  ScratchDir d("kill9");
  const std::string findings = d.str() + "/findings";
  const std::string earlier = earlier_finding(findings);
  const std::string earlier_text = read_text(earlier);
  // Kill at spread-out moments before, during and after the saves: steps
  // of a twentieth of one whole run's measured time (machines differ by
  // an order of magnitude, so no fixed schedule would land mid-run).
  const auto start = std::chrono::steady_clock::now();
  wait_qdiff(start_qdiff(kFindingsCheck + "--seed 1 --findings " + findings, d.str() + "/run.out"));
  const auto whole = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
  int killed = 0;
  for (int step = 1; step <= 24; ++step) {
    const pid_t pid = start_qdiff(kFindingsCheck + "--seed " + std::to_string(step + 1) + " --findings " + findings,
                                  d.str() + "/run.out");
    std::this_thread::sleep_for(whole * step / 20);
    kill(pid, SIGKILL);
    killed += wait_qdiff(pid) == 128 + SIGKILL;
  }
  EXPECT_GE(killed, 3) << "too few runs were killed midway to test anything";
  for (const auto& f : json_files(findings)) expect_whole_finding(f);
  EXPECT_EQ(read_text(earlier), earlier_text);
}

TEST(DurableCheck, KilledRunLeavesAnIncompleteReportNotTheStaleGreenOne) {
  ScratchDir d("junit-kill");
  const std::string report = d.str() + "/report.xml";
  std::ofstream(report) << "<testsuite name=\"qdiff check\" tests=\"40\" failures=\"0\"/>\n";
  const pid_t pid = start_qdiff(kLongCheck + "--junit " + report + " --findings " + d.str() + "/findings",
                                d.str() + "/run.out");
  ASSERT_TRUE(wait_for_output(d.str() + "/run.out", "qdiff check: seed")) << read_text(d.str() + "/run.out");
  kill(pid, SIGKILL);
  wait_qdiff(pid);
  const std::string xml = read_text(report);
  EXPECT_NE(xml.find("<error message=\"qdiff check did not finish"), std::string::npos) << xml;
  EXPECT_EQ(xml.find("tests=\"40\""), std::string::npos) << xml;
}

TEST(DurableCheck, MistypedRunAlsoReplacesTheStaleGreenReport) {
  ScratchDir d("junit-typo");
  const std::string report = d.str() + "/report.xml";
  std::ofstream(report) << "<testsuite name=\"qdiff check\" tests=\"40\" failures=\"0\"/>\n";
  const auto r = run_qdiff("check --property NoSuch --junit " + report + " --findings " + d.str() + "/findings");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(read_text(report).find("did not finish"), std::string::npos) << read_text(report);
}

void expect_stops_cleanly(int sig, int exit_code, const std::string& name) {
  ScratchDir d("signal");
  const std::string report = d.str() + "/report.xml", out = d.str() + "/run.out";
  const pid_t pid = start_qdiff(kLongCheck + "--junit " + report + " --findings " + d.str() + "/findings", out);
  ASSERT_TRUE(wait_for_output(out, "quick round:")) << read_text(out);
  kill(pid, sig);
  // The stop is checked between cases, so it comes within a case, not a
  // property's 100,000 (minutes).
  EXPECT_EQ(wait_qdiff(pid, 30), exit_code) << read_text(out);
  const std::string text = read_text(out);
  EXPECT_NE(text.find("interrupted by " + name), std::string::npos) << text;
  EXPECT_NE(text.find("(interrupted)"), std::string::npos) << "no interrupted row\n" << text;
  EXPECT_NE(text.find("property / input"), std::string::npos) << "no table\n" << text;
  EXPECT_EQ(text.find("all checks passed"), std::string::npos) << text;
  EXPECT_NE(read_text(report).find("<error message=\"interrupted by " + name), std::string::npos)
      << read_text(report);
}

TEST(DurableCheck, SigtermPrintsTheTableSoFarAndExits143) { expect_stops_cleanly(SIGTERM, 143, "Terminated"); }

TEST(DurableCheck, SigintPrintsTheTableSoFarAndExits130) { expect_stops_cleanly(SIGINT, 130, "Interrupt"); }

}  // namespace
}  // namespace qdiff
