// Replays corpus/: regression case files (corpus/regressions/*.json, or any
// .json given explicitly) through the reference, the backend and the
// oracle; and each fuzz target's seeds (corpus/<target>/*) through the
// target's decoder and properties, in process.
#pragma once

#include <string>
#include <vector>

#include "oracle/backend.h"

namespace qdiff::tools {

struct ReplayFailure {
  std::string path;
  std::string message;
};

struct ReplaySummary {
  std::string what;   // "case files", "seeds: quantize", ...
  int inputs = 0;
  std::vector<ReplayFailure> failures;
  double seconds = 0;
};

// Every .json file under the given files/directories.
ReplaySummary replay_case_files(const std::vector<std::string>& paths, const Backend& backend);
// Every file under corpus_dir/<target>/ for each fuzz target (one summary each).
std::vector<ReplaySummary> replay_seed_corpora(const std::string& corpus_dir, const Backend& backend);

// Files under a path (recursively), sorted; `json_only` keeps *.json.
std::vector<std::string> list_files(const std::string& path, bool json_only);

}  // namespace qdiff::tools
