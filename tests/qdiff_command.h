// Runs the built `qdiff` command as a user would, for tests of its
// command line, output and exit codes. QDIFF_BINARY is set by
// tests/tools.cmake and tests/backend.cmake (the qdiff target's file).
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace qdiff::testing {

struct CommandResult {
  int exit_code = -1;  // the exit status; 128 + N when killed by signal N
  std::string out;     // stdout and stderr, interleaved
};

// Runs a shell command line (stderr joins stdout).
inline CommandResult run_command(const std::string& command_line) {
  const std::string command = command_line + " 2>&1";
  CommandResult r;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) r.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) r.exit_code = 128 + WTERMSIG(status);
  return r;
}

#ifdef QDIFF_BINARY
// Runs `qdiff ARGS` through the shell (ARGS is shell text: quote paths).
inline CommandResult run_qdiff(const std::string& args) { return run_command(std::string(QDIFF_BINARY) + " " + args); }
#endif

// A process-backend command (docs/process-protocol.md) running a Python
// script of the source tree with Debian's python3 (a pyenv python3 may come
// first on PATH), quoted for the shell as one --backend-cmd argument.
inline std::string python_backend_command(const std::string& script, const std::string& args = "") {
  return "'/usr/bin/python3 " + std::string(QDIFF_SOURCE_DIR) + "/" + script + (args.empty() ? "" : " " + args) + "'";
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A fresh, empty directory under the temp dir, removed with the object.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag) {
    path_ = std::filesystem::temp_directory_path() /
            ("qdiff-test-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, ec);
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path path_;
};

}  // namespace qdiff::testing
