// A typo never passes (docs/reliability.md, "strict input"): each mistyped
// name, flag value or path is a usage error (exit 2) whose message names
// the problem, and a file problem reads as one, never as "invalid JSON".
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "tests/qdiff_command.h"

namespace qdiff {
namespace {
namespace fs = std::filesystem;
using testing::run_qdiff;
using testing::ScratchDir;

const std::string kGoodCase = testing::kCorpusCaseFile;
// A check that would pass quickly if the typo were ignored.
const std::string kQuickCheck = "check --cases 5 --fuzz-seconds 0 --no-corpus ";

void expect_usage_error(const std::string& args, const std::vector<std::string>& phrases) {
  ScratchDir findings("cli");
  const auto r = run_qdiff(args + (args.starts_with("check") ? " --findings " + findings.str() : ""));
  EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.out;
  for (const auto& p : phrases) EXPECT_NE(r.out.find(p), std::string::npos) << args << ": no '" << p << "' in\n" << r.out;
  EXPECT_EQ(r.out.find("all checks passed"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::is_empty(findings.path())) << "a usage error saved something";
}

TEST(StrictCli, UnknownPropertyListsTheProperties) {
  expect_usage_error(kQuickCheck + "--property NoSuch",
                     {"--property 'NoSuch' matches no property", "QuantizeOptimizedMatchesReference"});
}

TEST(StrictCli, UnknownOrEmptyIsaListsTheIsas) {
  expect_usage_error(kQuickCheck + "--isa bogus", {"unknown ISA 'bogus'; valid: scalar, avx2, avx512"});
  expect_usage_error(kQuickCheck + "--isa ''", {"unknown ISA ''; valid: scalar, avx2, avx512"});
  expect_usage_error("eval " + kGoodCase + " --isa bogus", {"unknown ISA 'bogus'; valid: scalar, avx2, avx512"});
  expect_usage_error("eval " + kGoodCase + " --isa ''", {"unknown ISA ''"});
}

TEST(StrictCli, UnknownOrEmptyFaultListsTheFaultPoints) {
  expect_usage_error(kQuickCheck + "--fault ''", {"unknown fault point ''; valid:", "channel_axis_off_by_one"});
  expect_usage_error(kQuickCheck + "--fault no_such_fault", {"unknown fault point 'no_such_fault'"});
  expect_usage_error("fuzz --fault '' --seconds 1", {"--fault: unknown fault point ''; valid:", "channel_axis_off_by_one"});
}

TEST(StrictCli, MissingCorpusDirectoryIsAnError) {
  expect_usage_error("check --cases 5 --fuzz-seconds 0 --corpus /nonexistent/corpus",
                     {"--corpus /nonexistent/corpus: no such directory"});
}

TEST(StrictCli, ReplayNeverSkipsAMissingFile) {
  expect_usage_error("replay " + kGoodCase + " /nonexistent/typo.json",
                     {"/nonexistent/typo.json: no such file or directory"});
}

TEST(StrictCli, NegativeSeedAndZeroCasesGiveReadableBounds) {
  expect_usage_error(kQuickCheck + "--seed -1", {"must be a non-negative integer", "got -1"});
  ScratchDir findings("cli-cases");
  const auto r = run_qdiff("check --cases 0 --fuzz-seconds 0 --no-corpus --findings " + findings.str());
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("--cases: Value 0 not in range 1 to 2147483647"), std::string::npos) << r.out;
  EXPECT_LT(r.out.size(), 400u) << "DBL_MAX printed in full?\n" << r.out;
}

TEST(StrictCli, UnknownSubcommandIsNamed) {
  expect_usage_error("frobnicate", {"unknown subcommand 'frobnicate'", "check"});
}

TEST(StrictCli, FileProblemsReadAsFileProblems) {
  ScratchDir d("cli-files");
  expect_usage_error("eval " + d.str() + "/missing.json", {d.str() + "/missing.json: No such file or directory"});
  expect_usage_error("eval " + d.str(), {d.str() + ": is a directory, not a regular file"});
  const std::string fifo = d.str() + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  expect_usage_error("eval " + fifo, {fifo + ": is a FIFO"});  // would block forever if opened blocking
  expect_usage_error("eval /dev/zero", {"/dev/zero: is a character device"});
  expect_usage_error("explain " + d.str() + "/missing.json", {"missing.json: No such file or directory"});
  const auto r = run_qdiff("eval " + d.str() + "/missing.json");
  EXPECT_EQ(r.out.find("invalid JSON"), std::string::npos) << r.out;
}

TEST(StrictCli, NulAndControlCharactersInACaseFile) {
  ScratchDir d("cli-bytes");
  std::string good = testing::read_text(kGoodCase);
  const std::string nul = d.str() + "/nul.json";
  std::ofstream(nul, std::ios::binary) << good << std::string(1, '\0') << "garbage";
  expect_usage_error("eval " + nul, {"malformed_case: invalid JSON: NUL byte"});
  const std::string ctl = d.str() + "/ctl.json";
  good.replace(good.find("\"graph\""), 7, "\"\\u001b]0;pwned\\u0007\"");
  std::ofstream(ctl, std::ios::binary) << good;
  const auto r = run_qdiff("eval " + ctl);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\\x1b]0;pwned\\x07"), std::string::npos) << r.out;
  // A valid case whose graph names a node with an escape sequence.
  std::string named = testing::read_text(kGoodCase);
  named.replace(named.find("\"name\": \"scale\""), 15, "\"name\": \"\\u001b[2Jscale\"");
  const std::string listed = d.str() + "/named.json";
  std::ofstream(listed, std::ios::binary) << named;
  const auto x = run_qdiff("explain " + listed);
  EXPECT_EQ(x.exit_code, 0) << x.out;
  EXPECT_EQ(x.out.find('\x1b'), std::string::npos) << x.out;
  EXPECT_NE(x.out.find("\"\\x1b[2Jscale\""), std::string::npos) << x.out;
}

}  // namespace
}  // namespace qdiff
