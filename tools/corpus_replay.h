// Replays corpus/: regression case files (corpus/regressions/*.json, or any
// .json given explicitly) through the reference, the backend and the
// oracle; and each fuzz target's seeds (corpus/<target>/*) through the
// target's decoder and properties, in process.
#pragma once

#include <string>
#include <vector>

#include "oracle/backend_interface.h"
#include "tools/case_deadline.h"

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

// Every .json file under the given files/directories. Each input runs
// under the case deadline (tools/case_deadline.h; <= 0: none, in process):
// a case past it is a failure ("timeout: ...") and the replay goes on.
ReplaySummary replay_case_files(const std::vector<std::string>& paths, const Backend& backend,
                                double case_timeout = kDefaultCaseTimeoutSeconds);
// Every file under corpus_dir/<target>/ for each fuzz target (one summary
// each), under the same deadline.
std::vector<ReplaySummary> replay_seed_corpora(const std::string& corpus_dir, const Backend& backend,
                                               double case_timeout = kDefaultCaseTimeoutSeconds);

// Files under a path (recursively), sorted; `json_only` keeps *.json.
std::vector<std::string> list_files(const std::string& path, bool json_only);

}  // namespace qdiff::tools
