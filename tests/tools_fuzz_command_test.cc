// `qdiff fuzz` (tools/fuzzing/fuzz_command.h) without a clang build: argument
// parsing, the missing-build error, and the whole run against a fake
// libFuzzer (a shell script that follows libFuzzer's command-line contract:
// new inputs go to the first corpus directory, artifacts to
// -artifact_prefix, -merge=1 merges the later directories into the first,
// exit 1 on a crash). The run with the real libFuzzer binaries is
// scripts/test-clusterfuzzlite (ctest -C clusterfuzzlite -L clusterfuzzlite).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <CLI/CLI.hpp>
#include <gtest/gtest.h>

#include "cases/case.h"
#include "tools/fuzzing/fuzz_command.h"

namespace qdiff::tools {
namespace {
namespace fs = std::filesystem;

const std::string kSource = QDIFF_SOURCE_DIR;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void spit(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

int count_files(const fs::path& dir) {
  int n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) n += e.is_regular_file();
  return n;
}

FuzzOptions parse(const std::string& command_line) {
  CLI::App app;
  FuzzOptions o;
  add_fuzz_arguments(app, o);
  app.parse(command_line, false);
  return o;
}

TEST(FuzzArguments, Defaults) {
  const FuzzOptions o = parse("");
  EXPECT_TRUE(o.targets.empty());
  EXPECT_EQ(o.seconds, 60);
  EXPECT_EQ(o.jobs, 1);
  EXPECT_TRUE(o.merge);
  EXPECT_EQ(o.build_dir, "");
  EXPECT_EQ(o.fault, "");
}

TEST(FuzzArguments, TargetsAndOptions) {
  const FuzzOptions o = parse(
      "quantize case_file --seconds 30 --jobs 4 --build-dir /b --corpus /c --findings /f --regressions /r "
      "--fault half_away_rounding --no-merge");
  EXPECT_EQ(o.targets, (std::vector<std::string>{"quantize", "case_file"}));
  EXPECT_EQ(o.seconds, 30);
  EXPECT_EQ(o.jobs, 4);
  EXPECT_EQ(o.build_dir, "/b");
  EXPECT_EQ(o.corpus_dir, "/c");
  EXPECT_EQ(o.findings_dir, "/f");
  EXPECT_EQ(o.regressions_dir, "/r");
  EXPECT_EQ(o.fault, "half_away_rounding");
  EXPECT_FALSE(o.merge);
}

TEST(FuzzArguments, RejectsNonPositiveCounts) {
  EXPECT_THROW(parse("--jobs 0"), CLI::ValidationError);
  EXPECT_THROW(parse("--seconds -5"), CLI::ValidationError);
  EXPECT_THROW(parse("--seconds 0"), CLI::ValidationError);
  EXPECT_THROW(parse("--seconds soon"), CLI::ParseError);
  EXPECT_THROW(parse("--no-such-flag"), CLI::ParseError);
}

TEST(TargetOptions, ReadsTheLibFuzzerSectionOnly) {
  const fs::path dir = fs::temp_directory_path() / ("qdiff-options-test-" + std::to_string(getpid()));
  fs::remove_all(dir);
  spit(dir / "default.options", "[libfuzzer]\nmax_len = 100\ntimeout=7\nlen_control = 0\n");
  spit(dir / "x.options",
       "# comment\n[afl]\nmax_len = 5\n[libfuzzer]\n  max_len = 4096  \nrss_limit_mb = -1\ntimeout = soon\n");
  const TargetFuzzOptions d = read_target_options(dir.string(), "y");  // no y.options: the default
  EXPECT_EQ(d.max_len, 100);
  EXPECT_EQ(d.timeout_seconds, 7);
  EXPECT_EQ(d.rss_limit_mb, 2560);
  EXPECT_EQ(d.len_control, 0);  // 0 is a valid len_control, unlike the others
  const TargetFuzzOptions x = read_target_options(dir.string(), "x");
  EXPECT_EQ(x.max_len, 4096);         // the [afl] value is not libFuzzer's
  EXPECT_EQ(x.rss_limit_mb, 2560);    // invalid values keep the built-in default
  EXPECT_EQ(x.timeout_seconds, 20);
  EXPECT_FALSE(x.len_control.has_value());  // libFuzzer's default
  fs::remove_all(dir);
}

// A scratch world: a fake fuzz build, a corpus copied from the source tree,
// a findings directory.
class FuzzCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("qdiff-fuzz-command-test-" + std::to_string(getpid()));
    fs::remove_all(root_);
    const std::string fake = R"sh(#!/bin/bash
# Fake libFuzzer: records its arguments, honours the corpus/artifact contract.
echo "$*" >> "$QDIFF_TEST_FUZZER_LOG"
prefix=""; merge=0; dirs=()
for a in "$@"; do
  case "$a" in
    -artifact_prefix=*) prefix="${a#-artifact_prefix=}" ;;
    -merge=1) merge=1 ;;
    -*) ;;
    *) dirs+=("$a") ;;
  esac
done
if [ "$merge" = 1 ]; then
  for f in "${dirs[1]}"/*; do cp "$f" "${dirs[0]}/merged-$(basename "$f")"; done
  echo "MERGE-OUTER: 1 new files with 3 new features added; 2 new coverage edges"
  exit 0
fi
echo "INFO: Seed: 1"
printf '#2\tINITED cov: 10 ft: 11 corp: 1/4b exec/s: 0 rss: 30Mb\n'
echo new > "${dirs[0]}/new-input"
printf '#100\tDONE   cov: 12 ft: 15 corp: 2/8b lim: 4 exec/s: 50 rss: 31Mb\n'
if [ -n "${QDIFF_TEST_FUZZER_CRASH:-}" ]; then
  cp "$QDIFF_TEST_FUZZER_CRASH" "${prefix}crash-fake"
  echo "==1==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x1"
  echo "SUMMARY: AddressSanitizer: heap-buffer-overflow impl/fake.cc:1:1 in fake"
  echo "Test unit written to ${prefix}crash-fake"
  exit 1
fi
echo "stat::number_of_executed_units: 100"
echo "stat::average_exec_per_sec:     50"
)sh";
    for (const char* t : {"quantize", "case_file"}) {
      const fs::path bin = root_ / "build" / "fuzz" / (std::string(t) + "_fuzz");
      spit(bin, fake);
      fs::permissions(bin, fs::perms::owner_all);
    }
    fs::create_directories(corpus() / "quantize");
    fs::copy_file(kSource + "/corpus/quantize/seed-00", corpus() / "quantize" / "seed-00");
    fs::create_directories(corpus() / "case_file");
    fs::copy_file(kSource + "/corpus/case_file/docs-example-00.json", corpus() / "case_file" / "docs-example-00.json");
    fs::create_directories(corpus() / "regressions");
    fs::copy_file(kSource + "/corpus/regressions/float_domain_inf_meets_overflowed_min_val.json",
                  corpus() / "regressions" / "r.json");
    log_ = root_ / "fuzzer-args.log";
    setenv("QDIFF_TEST_FUZZER_LOG", log_.c_str(), 1);
    unsetenv("QDIFF_TEST_FUZZER_CRASH");
  }
  void TearDown() override {
    unsetenv("QDIFF_TEST_FUZZER_CRASH");
    fs::remove_all(root_);
  }

  fs::path corpus() const { return root_ / "corpus"; }
  FuzzOptions options(std::vector<std::string> targets) const {
    FuzzOptions o;
    o.targets = std::move(targets);
    o.seconds = 3;
    o.build_dir = (root_ / "build").string();
    o.corpus_dir = corpus().string();
    o.findings_dir = (root_ / "findings").string();
    return o;
  }
  // Runs the command; returns its exit status, stdout in out_.
  int run(const FuzzOptions& o) {
    testing::internal::CaptureStdout();
    const int rc = run_fuzz(o);
    out_ = testing::internal::GetCapturedStdout();
    return rc;
  }
  std::vector<std::string> invocations() const { return lines_of(slurp(log_)); }

  fs::path root_, log_;
  std::string out_;
};

TEST_F(FuzzCommandTest, NoFuzzBuildIsAnErrorThatSaysHowToBuildOne) {
  FuzzOptions o = options({});
  o.build_dir = (root_ / "empty").string();
  fs::create_directories(o.build_dir);
  testing::internal::CaptureStderr();
  EXPECT_EQ(run_fuzz(o), 2);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(contains(err, "no fuzz build in " + o.build_dir)) << err;
  EXPECT_TRUE(contains(err, "scripts/build.sh fuzz")) << err;
  EXPECT_TRUE(contains(err, "--build-dir")) << err;
}

TEST_F(FuzzCommandTest, UnknownTargetOrFaultIsAnError) {
  testing::internal::CaptureStderr();
  EXPECT_EQ(run_fuzz(options({"quantize", "nonsense"})), 2);
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(contains(err, "unknown fuzz target 'nonsense'")) << err;
  EXPECT_TRUE(contains(err, "case_file, quantize")) << err;  // what the build has

  FuzzOptions o = options({"quantize"});
  o.fault = "no_such_fault";
  testing::internal::CaptureStderr();
  EXPECT_EQ(run_fuzz(o), 2);
  err = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(contains(err, "unknown fault point 'no_such_fault'")) << err;
  EXPECT_FALSE(fs::exists(log_));  // nothing ran
}

TEST_F(FuzzCommandTest, CleanRunPassesTheTargetsOptionsAndMergesNewCoverage) {
  EXPECT_EQ(run(options({"quantize"})), 0) << out_;
  const auto calls = invocations();
  ASSERT_EQ(calls.size(), 2u) << out_;  // the run, then the merge
  const std::string& fuzz = calls[0];
  const std::string findings = (root_ / "findings" / "quantize").string();
  for (const std::string& arg : {std::string("-max_total_time=3"), std::string("-max_len=8192"),
                                 std::string("-timeout=20"), std::string("-rss_limit_mb=2560"),
                                 "-artifact_prefix=" + findings + "/", (corpus() / "quantize").string()}) {
    EXPECT_TRUE(contains(fuzz, arg)) << arg << " missing from: " << fuzz;
  }
  EXPECT_FALSE(contains(fuzz, "-fork=")) << fuzz;
  EXPECT_FALSE(contains(fuzz, "-dict=")) << fuzz;                 // byte targets have no dictionary
  EXPECT_FALSE(contains(fuzz, "/regressions")) << fuzz;           // property targets take their own seeds
  // The merge: libFuzzer's -merge=1 with the corpus first, the scratch dir second.
  const std::string& merge = calls[1];
  EXPECT_TRUE(contains(merge, "-merge=1")) << merge;
  EXPECT_TRUE(contains(merge, (corpus() / "quantize").string() + " ")) << merge;
  EXPECT_TRUE(fs::exists(corpus() / "quantize" / "merged-new-input"));
  EXPECT_EQ(count_files(corpus() / "quantize"), 2);
  EXPECT_TRUE(contains(out_, "corpus +1  ok")) << out_;
  EXPECT_TRUE(contains(out_, "100 execs")) << out_;
  EXPECT_TRUE(contains(out_, "cov    12")) << out_;
  EXPECT_FALSE(fs::exists(corpus() / "regressions" / "fuzz"));
}

TEST_F(FuzzCommandTest, ForkModeDictionaryAndRegressionSeedsForCaseFileTargets) {
  FuzzOptions o = options({"case_file"});
  o.jobs = 3;
  EXPECT_EQ(run(o), 0) << out_;
  const std::string fuzz = invocations().at(0);
  EXPECT_TRUE(contains(fuzz, "-fork=3")) << fuzz;
  EXPECT_TRUE(contains(fuzz, "-dict=" + kSource + "/fuzz/dictionaries/case_file.dict")) << fuzz;
  EXPECT_TRUE(contains(fuzz, (corpus() / "regressions").string())) << fuzz;
}

TEST_F(FuzzCommandTest, NoMergeLeavesTheCorpusAlone) {
  FuzzOptions o = options({"quantize"});
  o.merge = false;
  EXPECT_EQ(run(o), 0) << out_;
  EXPECT_EQ(invocations().size(), 1u);
  EXPECT_EQ(count_files(corpus() / "quantize"), 1);
}

TEST_F(FuzzCommandTest, CrashBecomesARegressionCaseFileAndExitsOne) {
  const fs::path input = root_ / "input";
  fs::copy_file(kSource + "/corpus/quantize/seed-03", input);
  setenv("QDIFF_TEST_FUZZER_CRASH", input.c_str(), 1);
  EXPECT_EQ(run(options({"quantize"})), 1) << out_;
  const fs::path recorded = corpus() / "regressions" / "fuzz";
  ASSERT_EQ(count_files(recorded), 1) << out_;
  const fs::path case_file = fs::directory_iterator(recorded)->path();
  const CaseFile f = parse_case_file(slurp(case_file));
  EXPECT_TRUE(contains(out_, "FINDING quantize crash: AddressSanitizer: heap-buffer-overflow impl/fake.cc:1:1 in fake; " +
                                 case_summary(f.c)))
      << out_;
  EXPECT_TRUE(contains(out_, case_file.string() + " (new), property " + f.property + "; the input reproduces"))
      << out_;
  EXPECT_TRUE(contains(out_, "qdiff explain " + case_file.string())) << out_;
  EXPECT_TRUE(fs::exists(root_ / "findings" / "quantize" / "crash-fake"));

  // The same crash again: the same case file, reported as known; still a finding.
  fs::remove(root_ / "findings" / "quantize" / "crash-fake");
  EXPECT_EQ(run(options({"quantize"})), 1) << out_;
  EXPECT_EQ(count_files(recorded), 1);
  EXPECT_TRUE(contains(out_, "(already recorded)")) << out_;
}

TEST_F(FuzzCommandTest, EarlierArtifactsAreNotReportedAgain) {
  spit(root_ / "findings" / "quantize" / "crash-old", slurp(kSource + "/corpus/quantize/seed-01"));
  EXPECT_EQ(run(options({"quantize"})), 0) << out_;
  EXPECT_FALSE(fs::exists(corpus() / "regressions" / "fuzz"));
}

TEST_F(FuzzCommandTest, ABinaryThatCannotStartIsAFailure) {
  spit(root_ / "build" / "fuzz" / "quantize_fuzz", "#!/nonexistent/interpreter\n");
  EXPECT_EQ(run(options({"quantize"})), 1) << out_;
  EXPECT_TRUE(contains(out_, "FAILED to run cleanly")) << out_;
}

TEST(FindFuzzBuild, BuildTreeOrBinaryDirectory) {
  const fs::path dir = fs::temp_directory_path() / ("qdiff-find-build-test-" + std::to_string(getpid()));
  fs::remove_all(dir);
  for (const char* name : {"fuzz/b_fuzz", "fuzz/a_fuzz", "fuzz/c_fuzz", "fuzz/d.txt", "out/x_fuzz"}) {
    spit(dir / name, "#!/bin/sh\n");
    if (std::string(name) != "fuzz/c_fuzz") fs::permissions(dir / name, fs::perms::owner_all);
  }
  const auto tree = find_fuzz_build(dir.string());
  ASSERT_TRUE(tree);
  EXPECT_EQ(tree->binary_dir, (dir / "fuzz").string());
  EXPECT_EQ(tree->targets, (std::vector<std::string>{"a", "b"}));  // c_fuzz is not executable
  const auto out = find_fuzz_build((dir / "out").string());  // e.g. ClusterFuzzLite's $OUT
  ASSERT_TRUE(out);
  EXPECT_EQ(out->targets, (std::vector<std::string>{"x"}));
  EXPECT_FALSE(find_fuzz_build((dir / "nothing").string()));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace qdiff::tools
