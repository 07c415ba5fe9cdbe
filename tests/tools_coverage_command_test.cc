// `qdiff coverage` (tools/coverage_command.h) is scripts/coverage with the
// command's arguments: the command line it builds, and the script's own
// argument checking (the instrumented build itself is run by hand:
// docs/fuzzing.md, "Coverage").
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "tools/coverage_command.h"

namespace qdiff::tools {
namespace {
namespace fs = std::filesystem;

TEST(CoverageCommand, PassesItsOptionsToTheScript) {
  CoverageOptions o;
  EXPECT_EQ(coverage_command_line(o),
            (std::vector<std::string>{std::string(QDIFF_SOURCE_DIR) + "/scripts/coverage", "--cases", "1000"}));
  o.cases = 7;
  o.out_dir = "/tmp/report";
  o.build_dir = "/tmp/cov-build";
  EXPECT_EQ(coverage_command_line(o),
            (std::vector<std::string>{std::string(QDIFF_SOURCE_DIR) + "/scripts/coverage", "--cases", "7", "--out",
                                      "/tmp/report", "--build-dir", "/tmp/cov-build"}));
}

TEST(CoverageCommand, RelativeDirectoriesBecomeAbsolute) {
  CoverageOptions o;
  o.out_dir = "report";
  const auto args = coverage_command_line(o);
  ASSERT_EQ(args.size(), 5u);
  EXPECT_EQ(args[4], (fs::current_path() / "report").string());
}

TEST(CoverageScript, IsExecutableAndRejectsUnknownArguments) {
  const std::string script = std::string(QDIFF_SOURCE_DIR) + "/scripts/coverage";
  ASSERT_TRUE(fs::exists(script));
  const int rc = std::system((script + " --no-such-argument >/dev/null 2>&1").c_str());
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 2);
  const int help = std::system((script + " --help >/dev/null 2>&1").c_str());
  ASSERT_TRUE(WIFEXITED(help));
  EXPECT_EQ(WEXITSTATUS(help), 0);
}

}  // namespace
}  // namespace qdiff::tools
