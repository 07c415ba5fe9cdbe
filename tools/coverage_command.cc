#include "tools/coverage_command.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

extern char** environ;

namespace qdiff::tools {

std::vector<std::string> coverage_command_line(const CoverageOptions& o) {
  std::vector<std::string> args = {std::string(QDIFF_SOURCE_DIR) + "/scripts/coverage", "--cases",
                                   std::to_string(o.cases)};
  if (!o.out_dir.empty()) args.insert(args.end(), {"--out", std::filesystem::absolute(o.out_dir).string()});
  if (!o.build_dir.empty()) {
    args.insert(args.end(), {"--build-dir", std::filesystem::absolute(o.build_dir).string()});
  }
  return args;
}

int run_coverage(const CoverageOptions& o) {
  std::vector<std::string> args = coverage_command_line(o);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ);
  if (rc != 0) {
    fmt::print(stderr, "qdiff coverage: cannot run {}: {}\n", args[0], std::strerror(rc));
    return 2;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace qdiff::tools
