#include "tools/fuzz_process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
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

FuzzRunResult run_fuzzer(const FuzzRunRequest& req) {
  FuzzRunResult r;
  const bool keep_log = !req.log_path.empty();
  const std::string log_path =
      keep_log ? req.log_path
               : (std::filesystem::temp_directory_path() /
                  fmt::format("qdiff-fuzz-{}-{}.log", getpid(),
                              std::filesystem::path(req.binary).filename().string()))
                     .string();
  std::vector<std::string> args = {req.binary};
  if (req.seconds > 0) args.push_back(fmt::format("-max_total_time={}", req.seconds));
  const std::vector<std::string> flags = engine_flags(req);
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), req.extra_args.begin(), req.extra_args.end());
  args.insert(args.end(), req.corpus_dirs.begin(), req.corpus_dirs.end());
  std::vector<std::string> extra_env = {"QDIFF_FINDINGS_DIR=" + req.findings_dir};
  extra_env.insert(extra_env.end(), req.env.begin(), req.env.end());
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  const std::optional<pid_t> spawned = spawn_logged(args, extra_env, log_path, r.report);
  if (!spawned) return r;
  const pid_t pid = *spawned;
  r.launched = true;

  // Follow the log while the child runs: status lines feed on_status.
  LogFollower follower(log_path);
  std::vector<std::string> lines;
  // In fork mode the parent also relays a crashed job's log, whose plain
  // status lines count that job only: once a fork-mode line was seen, only
  // those update the status.
  bool fork_mode = false;
  auto absorb = [&] {
    for (auto& l : follower.new_lines()) {
      if (const auto s = parse_fuzz_status_line(l)) {
        const bool fork_line = l.find("oom/timeout/crash:") != std::string::npos;
        fork_mode |= fork_line;
        if (fork_line || !fork_mode) r.last_status = *s;
      }
      lines.push_back(std::move(l));
    }
  };
  int status = 0;
  double next_report = req.status_interval;
  for (;;) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (req.on_status && elapsed() >= next_report) {
      absorb();
      if (r.last_status.executions >= 0) req.on_status(r.last_status, elapsed());
      next_report = elapsed() + req.status_interval;
    }
  }
  r.seconds = elapsed();
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  absorb();

  std::vector<std::string> finding_lines;
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
  r.finding = r.exit_code != 0;
  if (r.finding) {
    std::ostringstream os;
    for (const auto& l : finding_lines) os << l << "\n";
    r.report = os.str();
    r.reason = finding_reason(lines);
    if (r.report.empty()) r.report = fmt::format("fuzzer exited with {} (log: {})", r.exit_code, log_path);
  }
  if (r.finding || keep_log) {
    r.log_path = log_path;
  } else {
    std::filesystem::remove(log_path);
  }
  return r;
}

}  // namespace qdiff::tools
