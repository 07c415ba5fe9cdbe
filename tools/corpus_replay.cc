#include "tools/corpus_replay.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>

#include <fmt/format.h>

#include "cases/case.h"
#include "cases/input_file.h"
#include "fuzz/case_file_target.h"
#include "fuzz/fuzz_driver.h"
#include "properties/property.h"
#include "tools/case_deadline.h"

namespace qdiff::tools {
namespace fs = std::filesystem;

std::vector<std::string> list_files(const std::string& path, bool json_only) {
  std::vector<std::string> files;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const auto& e : fs::recursive_directory_iterator(path, ec)) {
      if (e.is_regular_file() && (!json_only || e.path().extension() == ".json")) {
        files.push_back(e.path().string());
      }
    }
  } else if (fs::exists(path, ec)) {
    files.push_back(path);
  }
  std::sort(files.begin(), files.end());
  return files;
}

namespace {
double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Judges one input: the failure text, or empty when it passes.
using Judge = std::function<std::string(const std::string& path)>;

// Every file through `judge`, each under the case deadline: a case past
// it, or one whose process dies, is a failure of its own and the replay
// goes on with the next file.
ReplaySummary replay_inputs(std::string what, const std::vector<std::string>& files, double case_timeout,
                            const Judge& judge) {
  ReplaySummary s;
  s.what = std::move(what);
  const auto start = std::chrono::steady_clock::now();
  for (const auto& path : files) {
    ++s.inputs;
    const BoundedRun r = run_with_deadline(case_timeout, [&]() -> std::string {
      try {
        return judge(path);
      } catch (const ReadError& e) {  // cases/input_file.h: a file problem, named as one
        return e.what();
      }
    });
    const std::string failure = r.finished() ? r.output : r.problem;
    if (!failure.empty()) s.failures.push_back({path, failure});
  }
  s.seconds = seconds_since(start);
  return s;
}

std::string judge_case_file(const std::string& path, const Backend& backend) {
  try {
    const props::CheckResult r = props::check_case_file(parse_case_file(read_input_file(path)), backend);
    return r.failed() ? r.verdict.describe() : std::string();
  } catch (const Error& e) {
    return fmt::format("{}: {}", error_kind_name(e.kind()), e.what());
  }
}

std::string judge_seed(const fuzz::FuzzTarget& target, const std::string& path, const Backend& backend) {
  const std::string bytes = read_input_file(path);
  const auto r = fuzz::decode_and_run(target, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), backend);
  if (!r.finding()) return {};
  return fmt::format("{}: {}", r.property ? r.property->name : "?", r.run.result.verdict.describe());
}

std::string judge_case_file_seed(const std::string& path, const Backend& backend) {
  const std::string bytes = read_input_file(path);
  return fuzz::check_case_file_bytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), backend)
      .value_or(std::string());
}

}  // namespace

ReplaySummary replay_case_files(const std::vector<std::string>& paths, const Backend& backend,
                                double case_timeout) {
  std::vector<std::string> files;
  for (const auto& root : paths) {
    for (auto& f : list_files(root, /*json_only=*/fs::is_directory(root))) files.push_back(std::move(f));
  }
  return replay_inputs("case files", files, case_timeout,
                       [&](const std::string& path) { return judge_case_file(path, backend); });
}

std::vector<ReplaySummary> replay_seed_corpora(const std::string& corpus_dir, const Backend& backend,
                                               double case_timeout) {
  std::vector<ReplaySummary> out;
  for (const auto& target : fuzz::property_fuzz_targets()) {
    out.push_back(replay_inputs(fmt::format("seeds: {}", target.name),
                                list_files(corpus_dir + "/" + std::string(target.name), false), case_timeout,
                                [&](const std::string& path) { return judge_seed(target, path, backend); }));
  }
  for (const char* target : {"case_file", "graph_case_file"}) {
    out.push_back(replay_inputs(fmt::format("seeds: {}", target), list_files(corpus_dir + "/" + target, false),
                                case_timeout,
                                [&](const std::string& path) { return judge_case_file_seed(path, backend); }));
  }
  return out;
}

}  // namespace qdiff::tools
