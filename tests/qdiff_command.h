// Runs the built `qdiff` command as a user would, for tests of its
// command line, output and exit codes. QDIFF_BINARY is set by
// tests/tools.cmake (the qdiff target's file).
#pragma once

#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
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

// Runs `qdiff ARGS` through the shell (ARGS is shell text: quote paths).
inline CommandResult run_qdiff(const std::string& args) {
  const std::string command = std::string(QDIFF_BINARY) + " " + args + " 2>&1";
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

// Starts `qdiff ARGS` in the background (stdout and stderr to out_path)
// and returns its pid: for runs a test signals, kills or overlaps.
inline pid_t start_qdiff(const std::string& args, const std::string& out_path) {
  const std::string command = "exec " + std::string(QDIFF_BINARY) + " " + args + " >'" + out_path + "' 2>&1";
  const pid_t pid = fork();
  if (pid == 0) {
    // Default dispositions: a test runner may ignore SIGINT, which qdiff keeps.
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

// Waits for a start_qdiff() process: its exit code, 128 + N if killed by
// N; -1 if it is still running after `timeout_seconds` (it is then killed,
// so a test of a stop that never comes fails instead of hanging).
inline int wait_qdiff(pid_t pid, int timeout_seconds = 600) {
  int status = 0;
  for (int waited_ms = 0;; waited_ms += 20) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return -1;
    if (waited_ms >= timeout_seconds * 1000) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    usleep(20 * 1000);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A valid case file of the corpus (a small graph with named nodes), for
// tests that need one to pass, to break or to corrupt.
inline const std::string kCorpusCaseFile =
    std::string(QDIFF_SOURCE_DIR) + "/corpus/regressions/legacy_zero_channels_int_zero_point.json";

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

// A tmpfs of `bytes` mounted on a fresh directory (a real full disk for
// write tests; needs CAP_SYS_ADMIN, as root in CI's container). When the
// mount is refused, mounted() is false and why() says why.
class SmallTmpfs {
 public:
  SmallTmpfs(const std::string& tag, size_t bytes) : dir_(tag) {
    const std::string options = "size=" + std::to_string(bytes);
    if (::mount("tmpfs", dir_.str().c_str(), "tmpfs", 0, options.c_str()) == 0) {
      mounted_ = true;
    } else {
      why_ = std::string("mount -t tmpfs failed: ") + std::strerror(errno);
    }
  }
  ~SmallTmpfs() {
    if (mounted_) ::umount2(dir_.str().c_str(), MNT_DETACH);
  }
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;
  bool mounted() const { return mounted_; }
  const std::string& why() const { return why_; }
  const std::filesystem::path& path() const { return dir_.path(); }
  std::string str() const { return dir_.str(); }

 private:
  ScratchDir dir_;
  bool mounted_ = false;
  std::string why_;
};

}  // namespace qdiff::testing
