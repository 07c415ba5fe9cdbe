// Replays case files through the toy kernel with qdiff's oracle: this
// project's own corpus (corpus/: every file must be read, checked and
// pass) and qdiff's installed corpus (qdiff_CORPUS_DIR from qdiff's package:
// its case files, regressions/ and the case-file fuzz targets' seeds; those
// the toy kernel implements must pass, the others are skipped, and files
// that are not case files at all are the parser targets' seeds).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <qdiff/cases/case.h>
#include <qdiff/core/error.h>

#include "tests/toy_backend.h"
#include "tests/toy_property.h"

namespace toyq {
namespace {

namespace fs = std::filesystem;

struct Replay {
  int checked = 0;
  int skipped = 0;
  int unreadable = 0;  // not a case file (qdiff_case parse error)
  std::vector<std::string> failures;  // path: verdict
};

Replay replay_directory(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  const auto backend = make_toy_backend();
  Replay out;
  for (const auto& path : files) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    qdiff::CaseFile file;
    try {
      file = qdiff::parse_case_file(text.str());
    } catch (const qdiff::Error&) {
      ++out.unreadable;
      continue;
    }
    // The toy property's check: discarded when the kernel declines the case.
    const auto r = qdiff::props::check_property(toy_quantize_property(), file.c, *backend);
    if (r.discarded) {
      ++out.skipped;
      continue;
    }
    ++out.checked;
    if (r.failed()) out.failures.push_back(path.string() + ": " + r.verdict.describe());
  }
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

TEST(ToyQuantize, ReplaysOwnCorpus) {
  const Replay r = replay_directory(TOYQ_CORPUS_DIR);
  std::printf("own corpus: %d checked, %d skipped, %d unreadable\n", r.checked, r.skipped,
              r.unreadable);
  EXPECT_EQ(r.skipped + r.unreadable, 0);
  EXPECT_GE(r.checked, 3);
  EXPECT_TRUE(r.failures.empty()) << joined(r.failures);
}

TEST(ToyQuantize, ReplaysQdiffCorpus) {
#ifndef QDIFF_CORPUS_DIR
  GTEST_SKIP() << "qdiff's package has no corpus";
#else
  const Replay r = replay_directory(QDIFF_CORPUS_DIR);
  std::printf("qdiff corpus: %d checked, %d skipped, %d unreadable\n", r.checked, r.skipped,
              r.unreadable);
  EXPECT_GT(r.checked, 0);  // at least case_file/docs-example-00.json
  EXPECT_TRUE(r.failures.empty()) << joined(r.failures);
#endif
}

}  // namespace
}  // namespace toyq
