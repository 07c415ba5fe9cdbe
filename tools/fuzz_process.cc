#include "tools/fuzz_process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

extern char** environ;

namespace qdiff::tools {
namespace {

int64_t number_after(const std::string& line, const std::string& key) {
  const auto pos = line.find(key);
  if (pos == std::string::npos) return -1;
  return std::strtoll(line.c_str() + pos + key.size(), nullptr, 10);
}

std::string text_after(const std::string& line, const std::string& key) {
  const auto pos = line.find(key);
  if (pos == std::string::npos) return {};
  std::string s = line.substr(pos + key.size());
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

FuzzRunResult run_fuzzer(const FuzzRunRequest& req) {
  FuzzRunResult r;
  const auto log_path = std::filesystem::temp_directory_path() /
                        fmt::format("qdiff-fuzz-{}-{}.log", getpid(),
                                    std::filesystem::path(req.binary).filename().string());
  std::vector<std::string> args = {req.binary,
                                   fmt::format("-max_total_time={}", req.seconds),
                                   fmt::format("-max_len={}", req.max_len),
                                   "-print_final_stats=1",
                                   "-timeout=20",
                                   "-rss_limit_mb=4096",
                                   fmt::format("-artifact_prefix={}/", req.findings_dir)};
  args.insert(args.end(), req.extra_args.begin(), req.extra_args.end());
  args.insert(args.end(), req.corpus_dirs.begin(), req.corpus_dirs.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  env_strings.push_back("QDIFF_FINDINGS_DIR=" + req.findings_dir);
  env_strings.insert(env_strings.end(), req.env.begin(), req.env.end());
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, req.binary.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    r.report = fmt::format("cannot start {}: {}", req.binary, std::strerror(rc));
    return r;
  }
  r.launched = true;
  int status = 0;
  waitpid(pid, &status, 0);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

  std::ifstream log(log_path);
  std::string line;
  std::vector<std::string> finding_lines;
  bool in_finding = false;
  while (std::getline(log, line)) {
    if (const auto n = number_after(line, "stat::number_of_executed_units:"); n >= 0) r.executions = n;
    if (const auto n = number_after(line, "stat::average_exec_per_sec:"); n >= 0) r.exec_per_second = n;
    if (line.find("== qdiff finding") != std::string::npos || line.find("ERROR: ") != std::string::npos) {
      in_finding = true;
    }
    if (const auto p = text_after(line, "qdiff-case-file: "); !p.empty()) r.case_file = p;
    if (const auto p = text_after(line, "Test unit written to "); !p.empty()) r.crash_input = p;
    if (in_finding && finding_lines.size() < 60) finding_lines.push_back(line);
  }
  r.finding = r.exit_code != 0;
  if (r.finding) {
    std::ostringstream os;
    for (const auto& l : finding_lines) os << l << "\n";
    r.report = os.str();
    if (r.report.empty()) r.report = fmt::format("fuzzer exited with {} (log: {})", r.exit_code, log_path.string());
  } else {
    std::filesystem::remove(log_path);
  }
  return r;
}

}  // namespace qdiff::tools
