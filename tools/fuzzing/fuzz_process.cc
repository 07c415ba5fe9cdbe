#include "tools/fuzzing/fuzz_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include <fmt/format.h>

extern char** environ;

namespace qdiff::tools {
namespace {

int64_t number_after(std::string_view line, std::string_view key) {
  const auto pos = line.find(key);
  if (pos == std::string_view::npos) return -1;
  size_t i = pos + key.size();
  while (i < line.size() && line[i] == ' ') ++i;
  int64_t n = 0;
  size_t digits = 0;
  // At most 18 digits: no signed overflow (libFuzzer's counters are far smaller).
  while (i < line.size() && digits < 18 && line[i] >= '0' && line[i] <= '9') {
    n = n * 10 + (line[i] - '0');
    ++i;
    ++digits;
  }
  return digits ? n : -1;
}

std::string text_after(const std::string& line, const std::string& key) {
  const auto pos = line.find(key);
  if (pos == std::string::npos) return {};
  std::string s = line.substr(pos + key.size());
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Follows a growing log file: returns the complete lines written since the
// last call.
class LogFollower {
 public:
  explicit LogFollower(std::string path) : path_(std::move(path)) {}
  std::vector<std::string> new_lines() {
    std::vector<std::string> lines;
    std::ifstream in(path_, std::ios::binary);
    if (!in) return lines;
    in.seekg(offset_);
    std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    offset_ += static_cast<std::streamoff>(chunk.size());
    partial_ += chunk;
    size_t start = 0;
    for (size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1) {
      lines.push_back(partial_.substr(start, nl - start));
    }
    partial_.erase(0, start);
    return lines;
  }

 private:
  std::string path_;
  std::streamoff offset_ = 0;
  std::string partial_;
};

}  // namespace

std::optional<FuzzStatus> parse_fuzz_status_line(std::string_view line) {
  // Status lines start with "#<executions>" followed by a tab (plain
  // mode) or ':' (fork mode) and carry "cov: ".
  if (line.size() < 2 || line[0] != '#' || line.find("cov: ") == std::string_view::npos) return std::nullopt;
  FuzzStatus s;
  s.executions = number_after(line, "#");
  if (s.executions < 0) return std::nullopt;
  s.coverage = number_after(line, "cov: ");
  s.features = number_after(line, "ft: ");
  s.corpus_units = number_after(line, "corp: ");
  s.exec_per_second = number_after(line, "exec/s: ");
  if (s.exec_per_second < 0) s.exec_per_second = number_after(line, "exec/s ");  // fork mode
  return s;
}

std::string finding_reason(const std::vector<std::string>& log_lines) {
  auto first_with = [&](std::string_view key) -> std::string {
    for (const auto& l : log_lines) {
      const auto pos = l.find(key);
      if (pos != std::string::npos) return l.substr(pos);
    }
    return {};
  };
  if (auto s = first_with("== qdiff finding"); !s.empty()) return s.substr(3);
  if (auto s = first_with("SUMMARY: "); !s.empty()) return s.substr(9);
  if (auto s = first_with("ALARM: working on the last Unit"); !s.empty()) return "timeout: " + s.substr(7);
  if (auto s = first_with("ERROR: "); !s.empty()) return s.substr(7);
  return {};
}

std::optional<pid_t> spawn_logged(const std::vector<std::string>& args, const std::vector<std::string>& extra_env,
                                  const std::string& log_path, std::string& error) {
  std::vector<std::string> arg_strings = args, env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  env_strings.insert(env_strings.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> argv, envp;
  for (auto& a : arg_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    error = fmt::format("cannot start {}: {}", args[0], std::strerror(rc));
    return std::nullopt;
  }
  return pid;
}

std::vector<std::string> engine_flags(const FuzzRunRequest& req) {
  std::vector<std::string> flags = {fmt::format("-max_len={}", req.max_len), "-print_final_stats=1",
                                    fmt::format("-timeout={}", req.timeout_seconds),
                                    fmt::format("-rss_limit_mb={}", req.rss_limit_mb),
                                    fmt::format("-artifact_prefix={}/", req.findings_dir)};
  if (req.len_control) flags.push_back(fmt::format("-len_control={}", *req.len_control));
  return flags;
}

namespace {

// The child's command line: the binary, the time cap, engine flags, the
// caller's extra arguments, the corpus directories.
std::vector<std::string> fuzzer_args(const FuzzRunRequest& req) {
  std::vector<std::string> args = {req.binary};
  if (req.seconds > 0) args.push_back(fmt::format("-max_total_time={}", req.seconds));
  const std::vector<std::string> flags = engine_flags(req);
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), req.extra_args.begin(), req.extra_args.end());
  args.insert(args.end(), req.corpus_dirs.begin(), req.corpus_dirs.end());
  return args;
}

bool fork_mode_requested(const FuzzRunRequest& req) {
  for (const auto& a : req.extra_args) {
    if (a.rfind("-fork=", 0) == 0 || a.rfind("-jobs=", 0) == 0) return true;
  }
  return false;
}

// Follows a running child's log: status lines feed r.last_status (and
// on_status); every line is kept for the analysis at the end.
class RunLog {
 public:
  RunLog(const std::string& path, FuzzRunResult& r) : follower_(path), r_(r) {}
  void absorb() {
    for (auto& l : follower_.new_lines()) {
      if (const auto s = parse_fuzz_status_line(l)) {
        // In fork mode the parent also relays a crashed job's log, whose
        // plain status lines count that job only: once a fork-mode line
        // was seen, only those update the status.
        const bool fork_line = l.find("oom/timeout/crash:") != std::string::npos;
        fork_mode_ |= fork_line;
        if (fork_line || !fork_mode_) r_.last_status = *s;
      }
      lines_.push_back(std::move(l));
    }
  }
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  LogFollower follower_;
  FuzzRunResult& r_;
  std::vector<std::string> lines_;
  bool fork_mode_ = false;
};

// Waits for the child, reporting status while it runs; past the watchdog
// deadline (when there is one) the child is killed and r.watchdog_killed
// set. Returns the wait status.
int wait_with_watchdog(pid_t pid, const FuzzRunRequest& req, RunLog& log, FuzzRunResult& r,
                       const std::function<double()>& elapsed) {
  const std::optional<double> deadline = watchdog_seconds(req);
  int status = 0;
  double next_report = req.status_interval;
  for (;;) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return status;
    if (done < 0 && errno != EINTR) return status;
    if (deadline && !r.watchdog_killed && elapsed() > *deadline) {
      ::kill(pid, SIGKILL);  // the next waitpid reaps it
      r.watchdog_killed = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (req.on_status && elapsed() >= next_report) {
      log.absorb();
      if (r.last_status.executions >= 0) req.on_status(r.last_status, elapsed());
      next_report = elapsed() + req.status_interval;
    }
  }
}

// Executions, the finding's report lines, the case file and crash input,
// from the whole log.
void read_final_log(const std::vector<std::string>& lines, FuzzRunResult& r, std::vector<std::string>& finding_lines) {
  bool in_finding = false;
  for (const auto& line : lines) {
    if (const auto n = number_after(line, "stat::number_of_executed_units:"); n >= 0) r.executions = n;
    if (const auto n = number_after(line, "stat::average_exec_per_sec:"); n >= 0) r.exec_per_second = n;
    if (line.find("== qdiff finding") != std::string::npos || line.find("ERROR: ") != std::string::npos) {
      in_finding = true;
    }
    if (const auto p = text_after(line, "qdiff-case-file: "); !p.empty()) r.case_file = p;
    if (const auto p = text_after(line, "Test unit written to "); !p.empty()) r.crash_input = p;
    if (in_finding && finding_lines.size() < 60) finding_lines.push_back(line);
  }
  // Fork mode prints no final stats: take the last status line's.
  if (r.executions == 0 && r.last_status.executions > 0) r.executions = r.last_status.executions;
  if (r.exec_per_second == 0 && r.last_status.exec_per_second > 0) r.exec_per_second = r.last_status.exec_per_second;
}

// A run is a finding when the fuzzer failed, when the watchdog had to kill
// it, or when a timed plain-mode run executed nothing (a broken target, a
// fuzzer that exits at once: "ok" would hide that nothing was tested).
void judge_run(const FuzzRunRequest& req, const std::vector<std::string>& lines,
               const std::vector<std::string>& finding_lines, const std::string& log_path, FuzzRunResult& r) {
  r.no_executions = r.exit_code == 0 && !r.watchdog_killed && req.seconds > 0 && !fork_mode_requested(req) &&
                    r.executions <= 0;
  r.finding = r.exit_code != 0 || r.watchdog_killed || r.no_executions;
  if (!r.finding) return;
  std::ostringstream os;
  for (const auto& l : finding_lines) os << l << "\n";
  r.report = os.str();
  r.reason = finding_reason(lines);
  if (r.watchdog_killed) {
    r.reason = fmt::format("watchdog: still running {:.1f} s after start (-max_total_time={}); killed",
                           *watchdog_seconds(req), req.seconds);
    r.report = fmt::format("{} (log: {})\n{}", r.reason, log_path, r.report);
  } else if (r.no_executions) {
    r.reason = "the fuzzer ran 0 executions";
    r.report = fmt::format("{} in {:.1f} s (exit 0; log: {})", r.reason, r.seconds, log_path);
  } else if (r.report.empty()) {
    r.report = fmt::format("fuzzer exited with {} (log: {})", r.exit_code, log_path);
  }
}

std::string temporary_log_path(const FuzzRunRequest& req) {
  return (std::filesystem::temp_directory_path() /
          fmt::format("qdiff-fuzz-{}-{}.log", getpid(), std::filesystem::path(req.binary).filename().string()))
      .string();
}

}  // namespace

std::optional<double> watchdog_seconds(const FuzzRunRequest& req) {
  if (req.seconds <= 0) return std::nullopt;
  return double(req.seconds) + double(req.timeout_seconds) + req.watchdog_slack_seconds;
}

FuzzRunResult run_fuzzer(const FuzzRunRequest& req) {
  FuzzRunResult r;
  const bool keep_log = !req.log_path.empty();
  const std::string log_path = keep_log ? req.log_path : temporary_log_path(req);
  std::vector<std::string> extra_env = {"QDIFF_FINDINGS_DIR=" + req.findings_dir};
  extra_env.insert(extra_env.end(), req.env.begin(), req.env.end());
  const auto start = std::chrono::steady_clock::now();
  const std::function<double()> elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const std::optional<pid_t> pid = spawn_logged(fuzzer_args(req), extra_env, log_path, r.report);
  if (!pid) return r;
  r.launched = true;

  RunLog log(log_path, r);
  const int status = wait_with_watchdog(*pid, req, log, r, elapsed);
  r.seconds = elapsed();
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  log.absorb();
  std::vector<std::string> finding_lines;
  read_final_log(log.lines(), r, finding_lines);
  judge_run(req, log.lines(), finding_lines, log_path, r);
  if (r.finding || keep_log) {
    r.log_path = log_path;
  } else {
    std::filesystem::remove(log_path);
  }
  return r;
}

}  // namespace qdiff::tools
