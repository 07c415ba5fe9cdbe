// Per-case deadline through a forked child (tools/case_deadline.h).
#include "tools/case_deadline.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>

#include <fmt/format.h>

namespace qdiff::tools {
namespace {

using Clock = std::chrono::steady_clock;

// The child's message: one tag byte, then the payload.
constexpr char kResultTag = 'o';     // work() returned the payload
constexpr char kExceptionTag = 'x';  // work() threw; the payload is what()

void write_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the parent is gone: nobody to tell
    done += size_t(n);
  }
}

// In the child: run work, send the tagged result, leave without running
// the parent's atexit handlers or flushing its copy of stdio buffers.
[[noreturn]] void child_main(int fd, const std::function<std::string()>& work) {
  std::string message;
  try {
    message = kResultTag + work();
  } catch (const std::exception& e) {
    message = kExceptionTag + std::string(e.what());
  } catch (...) {
    message = kExceptionTag + std::string("unknown exception");
  }
  write_all(fd, message);
  ::close(fd);
  ::_exit(0);
}

// Reads fd until end of file or the deadline. True: end of file reached.
bool read_until(int fd, Clock::time_point deadline, std::string& bytes) {
  char buffer[65536];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, int(std::min<long long>(left, 1000)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;  // re-check the deadline
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
    bytes.append(buffer, size_t(n));
  }
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// The outcome of a child that reached end of file (it exited or died).
BoundedRun judge_exited_child(int status, const std::string& bytes) {
  BoundedRun r;
  if (WIFSIGNALED(status)) {
    r.outcome = BoundedRun::Outcome::crashed;
    r.problem = fmt::format("crashed: the case's process died from signal {} ({})", WTERMSIG(status),
                            strsignal(WTERMSIG(status)));
  } else if (bytes.empty() || (bytes[0] != kResultTag && bytes[0] != kExceptionTag)) {
    r.outcome = BoundedRun::Outcome::crashed;
    r.problem = fmt::format("crashed: the case's process exited with {} and no result",
                            WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  } else if (bytes[0] == kExceptionTag) {
    r.outcome = BoundedRun::Outcome::crashed;
    r.problem = "crashed: exception escaped: " + bytes.substr(1);
  } else {
    r.output = bytes.substr(1);
  }
  return r;
}

BoundedRun run_in_process(const std::function<std::string()>& work) {
  BoundedRun r;
  try {
    r.output = work();
  } catch (const std::exception& e) {
    r.outcome = BoundedRun::Outcome::crashed;
    r.problem = std::string("crashed: exception escaped: ") + e.what();
  }
  return r;
}

}  // namespace

BoundedRun run_with_deadline(double seconds, const std::function<std::string()>& work) {
  if (seconds <= 0) return run_in_process(work);
  int fds[2];
  if (::pipe(fds) != 0) {
    return {BoundedRun::Outcome::crashed, "", fmt::format("crashed: pipe: {}", std::strerror(errno))};
  }
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return {BoundedRun::Outcome::crashed, "", fmt::format("crashed: fork: {}", std::strerror(err))};
  }
  if (pid == 0) {
    ::close(fds[0]);
    child_main(fds[1], work);
  }
  ::close(fds[1]);
  std::string bytes;
  const bool complete = read_until(fds[0], deadline, bytes);
  ::close(fds[0]);
  if (!complete) {
    ::kill(pid, SIGKILL);
    wait_for(pid);
    return {BoundedRun::Outcome::timed_out, "",
            fmt::format("timeout: the case ran past {} s (--case-timeout)", seconds)};
  }
  return judge_exited_child(wait_for(pid), bytes);
}

}  // namespace qdiff::tools
