#include "oracle/line_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <thread>

#include <fmt/format.h>

extern char** environ;

namespace qdiff {
namespace {

// An answer longer than this is malformed (the element cap, 2^26, times a
// generous 8 bytes per printed value), never an unbounded allocation.
constexpr size_t kMaxAnswerBytes = size_t(512) << 20;
// How long a child that closed its stdout may take to exit before SIGKILL.
constexpr std::chrono::milliseconds kExitGrace{1000};

void ignore_sigpipe_once() {
  static const bool done = [] {
    struct sigaction sa {};
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, nullptr);
    return true;
  }();
  (void)done;
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) {
    return fmt::format("backend crashed (signal {}: {})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  }
  const int code = WEXITSTATUS(status);
  // A command the shell did not exec reports its child's signal as 128 + N.
  if (code > 128) return fmt::format("backend crashed (exit status {}: signal {} in its shell)", code, code - 128);
  return fmt::format("backend exited with status {}", code);
}

// Waits up to `grace` for the child to exit on its own, then kills its
// process group; returns its wait status.
int reap(pid_t pid, std::chrono::milliseconds grace) {
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(-pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(-pid, SIGKILL);  // what the shell left behind in the group
  return status;
}

// A command of plain words naming a program is exec'd by the shell, so
// qdiff sees the backend's own exit status (a signal, not the shell's
// 128 + N) and no shell outlives it; shell syntax and builtins run as written.
std::string shell_text(const std::string& command) {
  static constexpr std::string_view kBuiltins[] = {"exit", "cd", "read", "export", "set", "eval", ".", "exec",
                                                   "ulimit", "umask", "trap", "wait", "unset", "alias", "readonly",
                                                   "command", "type", "hash", "getopts", "shift", "return"};
  if (command.find_first_of(";&|()<>`$\\\"'\n*?~#={}[]!") != std::string::npos) return command;
  const std::string_view first = std::string_view(command).substr(0, command.find(' '));
  for (std::string_view b : kBuiltins) {
    if (first == b) return command;
  }
  return "exec " + command;
}

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() <= 0 ? 0 : int(left.count());
}

}  // namespace

LineProcess::LineProcess(std::string command, std::chrono::milliseconds timeout)
    : command_(std::move(command)), timeout_(timeout) {
  ignore_sigpipe_once();
}

LineProcess::~LineProcess() { stop(); }

void LineProcess::start() {
  if (running()) return;
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) throw ProcessFailure(fmt::format("pipe: {}", std::strerror(errno)));
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    throw ProcessFailure(fmt::format("pipe: {}", std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group: a timeout kills the shell's children too
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  std::string sh = "sh", dash_c = "-c";
  std::string text = shell_text(command_);
  char* argv[] = {sh.data(), dash_c.data(), text.data(), nullptr};
  const int rc = posix_spawn(&pid_, "/bin/sh", &actions, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(in[0]);
  close(out[1]);
  to_child_ = in[1];
  from_child_ = out[0];
  if (rc != 0) {
    pid_ = -1;
    close_pipes();
    throw ProcessFailure(fmt::format("cannot start /bin/sh -c {}: {}", command_, std::strerror(rc)));
  }
  fcntl(to_child_, F_SETFL, O_NONBLOCK);
  fcntl(from_child_, F_SETFL, O_NONBLOCK);
  pending_.clear();
}

void LineProcess::close_pipes() {
  if (to_child_ >= 0) close(to_child_);
  if (from_child_ >= 0) close(from_child_);
  to_child_ = from_child_ = -1;
}

void LineProcess::stop() {
  if (!running()) return;
  close_pipes();
  kill(-pid_, SIGKILL);
  reap(pid_, std::chrono::milliseconds(0));
  pid_ = -1;
}

std::string LineProcess::exchange(const std::string& line) { return exchange(line, timeout_); }

std::string LineProcess::exchange(const std::string& line, std::chrono::milliseconds timeout) {
  start();
  std::string answer;
  send_and_receive(line + "\n", answer, timeout);
  return answer;
}

// Writes the request while reading (a child may answer before it has read
// everything, or stop reading), until one whole line has come back.
void LineProcess::send_and_receive(const std::string& request, std::string& answer,
                                   std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t sent = 0;
  for (;;) {
    pollfd fds[2] = {{from_child_, POLLIN, 0}, {to_child_, POLLOUT, 0}};
    const nfds_t count = sent < request.size() ? 2 : 1;
    const int ms = remaining_ms(deadline);
    const int ready = ms == 0 ? 0 : poll(fds, count, ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) fail_with(fmt::format("backend timed out after {:g} s", double(timeout.count()) / 1000));
    if (count == 2 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const ssize_t n = write(to_child_, request.data() + sent, request.size() - sent);
      if (n > 0) sent += size_t(n);
      if (n < 0 && errno != EAGAIN && errno != EINTR) fail_exited("while reading its request");
    }
    if ((fds[0].revents & (POLLIN | POLLERR | POLLHUP)) && read_available(answer)) return;
  }
}

// Reads what the child wrote; true once `answer` holds a whole line.
bool LineProcess::read_available(std::string& answer) {
  char buffer[65536];
  const ssize_t n = read(from_child_, buffer, sizeof buffer);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return false;
    fail_exited("before answering");
  }
  if (n == 0) {
    fail_exited(pending_.empty() ? "before answering" : fmt::format("after {} bytes without a newline", pending_.size()));
  }
  pending_.append(buffer, size_t(n));
  const size_t newline = pending_.find('\n');
  if (newline == std::string::npos) {
    if (pending_.size() > kMaxAnswerBytes) fail_with(fmt::format("malformed answer: more than {} bytes without a newline", kMaxAnswerBytes));
    return false;
  }
  if (newline + 1 != pending_.size()) {
    const std::string second = pending_.substr(newline + 1, 60);
    fail_with(fmt::format("malformed answer: more than one line for one request (the second begins \"{}\")",
                          second.substr(0, second.find('\n'))));
  }
  answer = pending_.substr(0, newline);
  pending_.clear();
  return true;
}

void LineProcess::fail_exited(const std::string& when) {
  close_pipes();
  const int status = reap(pid_, kExitGrace);
  pid_ = -1;
  throw ProcessFailure(fmt::format("{} {}", describe_status(status), when));
}

void LineProcess::fail_with(const std::string& what) {
  stop();
  throw ProcessFailure(what);
}

}  // namespace qdiff
