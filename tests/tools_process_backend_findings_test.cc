// A process backend that crashes, hangs or prints garbage on a case is a
// finding: `qdiff check --backend-cmd` fails that property with a message
// saying what the process did, shrinks the case, saves it, and finishes its
// report (tests/process_backends/misbehaving_backend.py misbehaves on
// quantize cases of 4 or more elements and declines the rest, so the
// shrunk case has exactly 4).
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <vector>

#include <gtest/gtest.h>

#include "cases/case.h"
#include "tests/qdiff_command.h"

namespace qdiff {
namespace {

using testing::python_backend_command;
using testing::read_text;
using testing::run_command;
using testing::run_qdiff;
using testing::ScratchDir;

constexpr const char* kToy = "tests/process_backends/misbehaving_backend.py";

testing::CommandResult check_toy(const std::string& mode, const ScratchDir& findings, const std::string& extra = "") {
  return run_qdiff("check --cases 50 --fuzz-seconds 0 --no-corpus --property QuantizeOptimizedMatchesReference "
                   "--backend-cmd " + python_backend_command(kToy, mode) + " --findings " + findings.str() + " " +
                   extra);
}

// The finding's saved case: the quantize case the toy misbehaved on, shrunk.
int64_t saved_input_elements(const ScratchDir& findings) {
  const auto path = testing::saved_finding(findings.path(), "QuantizeOptimizedMatchesReference");
  const CaseFile f = parse_case_file(read_text(path));
  return std::get<AffineCase>(f.c).input.numel();
}

void expect_clean_failing_report(const testing::CommandResult& r) {
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("QuantizeOptimizedMatchesReference  FAILED"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FAILED row(s); findings saved in"), std::string::npos) << "the report must finish\n" << r.out;
}

// One misbehaviour, the words the finding must say, extra flags.
struct Misbehaviour {
  std::string mode, message, flags;
};

class DeterministicMisbehaviour : public ::testing::TestWithParam<Misbehaviour> {};

TEST_P(DeterministicMisbehaviour, IsAShrunkSavedFinding) {
  const Misbehaviour& m = GetParam();
  ScratchDir findings("process-" + m.mode);
  const auto r = check_toy(m.mode, findings, m.flags);
  expect_clean_failing_report(r);
  EXPECT_NE(r.out.find(m.message), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("deterministic: a fresh process fails on this request"), std::string::npos) << r.out;
  EXPECT_EQ(saved_input_elements(findings), 4);
}

INSTANTIATE_TEST_SUITE_P(
    ProcessBackendFindings, DeterministicMisbehaviour,
    ::testing::Values(
        Misbehaviour{"crash", "backend crashed (signal 11: Segmentation fault) before answering", ""},
        Misbehaviour{"hang", "backend timed out after 0.3 s", "--backend-timeout 0.3"},
        Misbehaviour{"garbage", "malformed answer: invalid JSON", ""},
        Misbehaviour{"two-lines", "malformed answer: more than one line for one request", ""}),
    [](const ::testing::TestParamInfo<Misbehaviour>& info) {
      std::string name = info.param.mode;
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

// Corpus replay meets the crash too: failed replay rows, and the report
// still comes.
TEST(ProcessBackendFindings, ACrashDuringCorpusReplayIsAFailedRow) {
  ScratchDir findings("process-crash-corpus");
  const auto r = run_qdiff("check --cases 20 --fuzz-seconds 0 --property QuantizeOptimizedMatchesReference "
                           "--backend-cmd " + python_backend_command(kToy, "crash") + " --findings " + findings.str());
  expect_clean_failing_report(r);
  EXPECT_TRUE(std::regex_search(r.out, std::regex("replay seeds: quantize +\\d+ inputs  FAILED"))) << r.out;
}

// The toy crashes only on a case as large as the one before it: a fresh
// process answers the shrunk case, and the saved request sequence replays
// the crash.
TEST(ProcessBackendFindings, AnOrderDependentCrashSavesTheSequenceThatReplaysIt) {
  ScratchDir findings("process-stateful");
  const auto r = check_toy("stateful", findings);
  expect_clean_failing_report(r);
  EXPECT_NE(r.out.find("depends on earlier requests: a fresh process answers this one"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fresh process: passes the shrunk case alone"), std::string::npos) << r.out;
  const auto sequence = findings.path() / "process-sequence.jsonl";
  ASSERT_TRUE(std::filesystem::exists(sequence)) << r.out;
  const int status = std::system(("exec /usr/bin/python3 " + std::string(QDIFF_SOURCE_DIR) + "/" + kToy +
                                  " stateful < " + sequence.string() + " > /dev/null")
                                     .c_str());
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == 11) << "replaying the sequence must crash the toy again";
}

// A wrong answer that needs an earlier request (tests/process_backends/
// stale_cache_backend.py keeps the first answer for each input size): the
// finding names the one earlier request that reproduces it in a fresh
// process and saves the pair, which replays the wrong answer outside qdiff.
TEST(ProcessBackendFindings, AnOrderDependentWrongAnswerSavesTheRequestsThatReproduceIt) {
  ScratchDir findings("process-stale");
  const std::string stale = "tests/process_backends/stale_cache_backend.py";
  const auto r = run_qdiff("check --cases 50 --fuzz-seconds 0 --no-corpus --property QuantizeOptimizedMatchesReference "
                           "--backend-cmd " + python_backend_command(stale) + " --findings " + findings.str());
  expect_clean_failing_report(r);
  EXPECT_NE(r.out.find("fresh process: passes the shrunk case alone"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("reproduced in a fresh process after 1 earlier request; the last 2 requests replay it"),
            std::string::npos) << r.out;
  const auto sequence = findings.path() / "QuantizeOptimizedMatchesReference-process-sequence.jsonl";
  ASSERT_TRUE(std::filesystem::exists(sequence)) << r.out;
  // hello, the earlier request and the case: the last two answers are the
  // same stale one although the inputs differ.
  const auto replay = run_command("/usr/bin/python3 " + std::string(QDIFF_SOURCE_DIR) + "/" + stale + " < " +
                                  sequence.string());
  std::istringstream answers(replay.out);
  std::vector<std::string> lines;
  for (std::string line; std::getline(answers, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 3u) << replay.out;
  EXPECT_EQ(lines[1], lines[2]) << "the stale answer repeats";
}

// QDIFF_BACKEND_CMD in the fuzz binaries (here the gcc replay driver of the
// quantize target): a crash aborts with the finding's report, like any
// finding under libFuzzer; a correct backend replays the corpus.
TEST(ProcessBackendFindings, FuzzBinariesReadTheBackendCommand) {
  ScratchDir findings("process-fuzz");
  const std::string env = "QDIFF_FINDINGS_DIR=" + findings.str() + " QDIFF_BACKEND_CMD=";
  const std::string corpus = std::string(QDIFF_SOURCE_DIR) + "/corpus/quantize";
  const auto crash = run_command(env + python_backend_command(kToy, "crash") + " " + QDIFF_QUANTIZE_REPLAY + " " + corpus);
  EXPECT_NE(crash.exit_code, 0) << crash.out;
  EXPECT_NE(crash.out.find("backend crashed (signal 11"), std::string::npos) << crash.out;
  const auto ok = run_command(env + python_backend_command("examples/process_backend/python_backend.py") + " " +
                              QDIFF_QUANTIZE_REPLAY + " " + corpus);
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("replayed"), std::string::npos) << ok.out;
}

}  // namespace
}  // namespace qdiff
