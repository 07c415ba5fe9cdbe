#include "tools/corpus_replay.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "cases/fused_case.h"
#include "cases/input_file.h"
#include "fuzz/case_file_target.h"
#include "fuzz/fuzz_driver.h"
#include "properties/property.h"

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

// A seed's bytes; an unreadable seed (too large, vanished) is a failure.
std::optional<std::string> read_seed(const std::string& path, ReplaySummary& s) {
  try {
    return read_input_file(path);
  } catch (const ReadError& e) {
    s.failures.push_back({path, e.what()});
    return std::nullopt;
  }
}
}  // namespace

ReplaySummary replay_case_files(const std::vector<std::string>& paths, const Backend& backend) {
  ReplaySummary s;
  s.what = "case files";
  const auto start = std::chrono::steady_clock::now();
  for (const auto& root : paths) {
    for (const auto& path : list_files(root, /*json_only=*/fs::is_directory(root))) {
      ++s.inputs;
      try {
        const props::CheckResult r = props::check_case_file(parse_case_file(read_input_file(path)), backend);
        if (r.failed()) s.failures.push_back({path, r.verdict.describe()});
      } catch (const Error& e) {
        s.failures.push_back({path, fmt::format("{}: {}", error_kind_name(e.kind()), e.what())});
      } catch (const ReadError& e) {
        s.failures.push_back({path, e.what()});
      }
    }
  }
  s.seconds = seconds_since(start);
  return s;
}

std::vector<ReplaySummary> replay_seed_corpora(const std::string& corpus_dir, const Backend& backend) {
  std::vector<ReplaySummary> out;
  for (const auto& target : fuzz::property_fuzz_targets()) {
    ReplaySummary s;
    s.what = fmt::format("seeds: {}", target.name);
    const auto start = std::chrono::steady_clock::now();
    for (const auto& path : list_files(corpus_dir + "/" + std::string(target.name), false)) {
      ++s.inputs;
      const auto bytes = read_seed(path, s);
      if (!bytes) continue;
      const auto r = fuzz::decode_and_run(target, reinterpret_cast<const uint8_t*>(bytes->data()),
                                          bytes->size(), backend);
      if (r.finding()) {
        s.failures.push_back({path, fmt::format("{}: {}", r.property ? r.property->name : "?",
                                                r.run.result.verdict.describe())});
      }
    }
    s.seconds = seconds_since(start);
    out.push_back(std::move(s));
  }
  for (const char* target : {"case_file", "graph_case_file"}) {
    ReplaySummary s;
    s.what = fmt::format("seeds: {}", target);
    const auto start = std::chrono::steady_clock::now();
    for (const auto& path : list_files(corpus_dir + "/" + target, false)) {
      ++s.inputs;
      const auto bytes = read_seed(path, s);
      if (!bytes) continue;
      if (const auto finding = fuzz::check_case_file_bytes(
              reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size(), backend)) {
        s.failures.push_back({path, *finding});
      }
    }
    s.seconds = seconds_since(start);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace qdiff::tools
