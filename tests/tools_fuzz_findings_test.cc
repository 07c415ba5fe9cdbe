// tools/fuzzing/fuzz_findings.h: libFuzzer artifacts become regression case files.
// Inputs are the committed seeds of corpus/ (any bytes decode to some case);
// what is checked is where the case file goes, that it parses back to the
// case the target decodes, that recording is idempotent, and that input a
// case-file target cannot parse is kept as a seed instead.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "cases/case.h"
#include "fuzz/fuzz_driver.h"
#include "oracle/backend_interface.h"
#include "tools/fuzzing/fuzz_findings.h"

namespace qdiff::tools {
namespace {
namespace fs = std::filesystem;

const std::string kCorpus = std::string(QDIFF_SOURCE_DIR) + "/corpus";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void spit(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("qdiff-findings-test-" + std::to_string(getpid()) + "-" + std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

TEST(StableHash, Fnv1a64PublishedVectors) {
  // FNV-1a 64-bit test vectors from the FNV reference (Fowler, Noll, Vo;
  // isthe.com/chongo/tech/comp/fnv, test_fnv.c): "" is the offset basis.
  EXPECT_EQ(stable_hash_hex(""), "cbf29ce484222325");
  EXPECT_EQ(stable_hash_hex("a"), "af63dc4c8601ec8c");
  EXPECT_EQ(stable_hash_hex("foobar"), "85944171f73967e8");
}

TEST(ListArtifacts, ClassifiesLibFuzzerAndQdiffFiles) {
  TempDir d;
  for (const char* name : {"crash-01ab", "timeout-02cd", "oom-03ef", "leak-04aa", "slow-unit-05bb",
                           "qdiff-finding-quantize-0011.json", "qdiff-finding-x.txt", "fuzz.log"}) {
    spit(d.path() / name, "x");
  }
  const auto a = list_artifacts(d.path().string());
  ASSERT_EQ(a.size(), 5u);  // slow units, logs and other files are not findings
  EXPECT_EQ(a[0].kind, ArtifactKind::crash);
  EXPECT_EQ(a[1].kind, ArtifactKind::leak);
  EXPECT_EQ(a[2].kind, ArtifactKind::oom);
  EXPECT_EQ(a[3].kind, ArtifactKind::qdiff_finding);
  EXPECT_EQ(a[4].kind, ArtifactKind::timeout);
  EXPECT_TRUE(list_artifacts((d.path() / "absent").string()).empty());
}

// The draw-only decoder duplicates the first half of fuzz::decode_and_run:
// on every committed seed it must yield the very case the target runs.
TEST(DecodeFuzzInput, MatchesTheTargetsOwnDecodingOnEverySeed) {
  const auto reference = make_reference_backend();
  int seeds = 0;
  for (const auto& target : fuzz::property_fuzz_targets()) {
    const fs::path dir = fs::path(kCorpus) / std::string(target.name);
    ASSERT_TRUE(fs::is_directory(dir)) << dir;
    for (const auto& e : fs::directory_iterator(dir)) {
      const std::string bytes = slurp(e.path());
      const auto decoded = decode_fuzz_input(target.name, bytes);
      const auto run = fuzz::decode_and_run(target, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                                            *reference);
      ASSERT_TRUE(decoded) << e.path();
      ASSERT_TRUE(run.run.reproducer) << e.path();
      ASSERT_NE(run.property, nullptr);
      EXPECT_EQ(write_case_file(*decoded), write_case_file({*run.run.reproducer, run.property->name}))
          << e.path();
      ++seeds;
    }
  }
  EXPECT_GE(seeds, 9);
  EXPECT_FALSE(decode_fuzz_input("case_file", "{}"));  // not a property target
}

TEST(RecordFinding, PropertyTargetCrashBecomesACaseFileOnce) {
  TempDir d;
  const fs::path crash = d.path() / "crash-1";
  fs::copy_file(fs::path(kCorpus) / "quantize" / "seed-00", crash);
  const std::string regressions = (d.path() / "regressions").string();
  const RecordedFinding r =
      record_finding("quantize", {ArtifactKind::crash, crash.string()}, regressions, (d.path() / "seeds").string());
  ASSERT_EQ(r.problem, "");
  ASSERT_NE(r.case_file, "");
  EXPECT_FALSE(r.already_recorded);
  EXPECT_EQ(fs::path(r.case_file).parent_path(), fs::path(regressions));
  EXPECT_EQ(fs::path(r.case_file).filename().string().rfind("quantize-", 0), 0u);
  EXPECT_EQ(r.seed_file, "");  // raw bytes of a property target are not the record
  const CaseFile f = parse_case_file(slurp(r.case_file));
  EXPECT_EQ(f.property, r.property);
  EXPECT_TRUE(f.property == "QuantizeOptimizedMatchesReference" || f.property == "QuantizeIsMonotoneWithinABlock")
      << f.property;
  EXPECT_EQ(r.summary, case_summary(f.c));
  EXPECT_EQ(write_case_file(f), write_case_file(*decode_fuzz_input("quantize", slurp(crash))));

  // The target's own case file for the same input names the same file.
  const fs::path saved = d.path() / "qdiff-finding-quantize-1.json";
  spit(saved, write_case_file(f));
  const RecordedFinding again =
      record_finding("quantize", {ArtifactKind::qdiff_finding, saved.string()}, regressions, "");
  EXPECT_EQ(again.case_file, r.case_file);
  EXPECT_TRUE(again.already_recorded);
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(regressions)) ++files;
  EXPECT_EQ(files, 1);
}

TEST(RecordFinding, CaseFileTargetKeepsTheBytesAndTheCase) {
  TempDir d;
  const fs::path crash = d.path() / "crash-2";
  fs::copy_file(fs::path(kCorpus) / "case_file" / "docs-example-00.json", crash);
  const std::string seeds = (d.path() / "seeds").string();
  const RecordedFinding r = record_finding("case_file", {ArtifactKind::crash, crash.string()},
                                           (d.path() / "regressions").string(), seeds);
  ASSERT_EQ(r.problem, "");
  ASSERT_NE(r.seed_file, "");
  EXPECT_EQ(fs::path(r.seed_file).parent_path(), fs::path(seeds));
  EXPECT_EQ(slurp(r.seed_file), slurp(crash));  // byte for byte
  EXPECT_EQ(write_case_file(parse_case_file(slurp(r.case_file))), write_case_file(parse_case_file(slurp(crash))));
  EXPECT_EQ(r.property, "");
}

TEST(RecordFinding, UnparseableCaseFileInputIsKeptAsASeedOnly) {
  TempDir d;
  const fs::path crash = d.path() / "timeout-3";
  spit(crash, "{\"format\": \"qdiff-case\", \"version\": 1, \"op\": ");
  const std::string regressions = (d.path() / "regressions").string();
  const RecordedFinding r = record_finding("graph_case_file", {ArtifactKind::timeout, crash.string()}, regressions,
                                           (d.path() / "seeds").string());
  EXPECT_EQ(r.case_file, "");
  EXPECT_NE(r.problem.find("no case file"), std::string::npos) << r.problem;
  EXPECT_NE(r.problem.find("malformed_case"), std::string::npos) << r.problem;
  ASSERT_NE(r.seed_file, "");
  EXPECT_EQ(slurp(r.seed_file), slurp(crash));
  EXPECT_FALSE(fs::exists(regressions));
}

TEST(RecordFinding, UnreadableRegressionsDirectoryIsAProblemNotACrash) {
  TempDir d;
  const fs::path crash = d.path() / "crash-4";
  fs::copy_file(fs::path(kCorpus) / "dequantize" / "seed-00", crash);
  spit(d.path() / "file", "not a directory");
  const RecordedFinding r = record_finding("dequantize", {ArtifactKind::crash, crash.string()},
                                           (d.path() / "file" / "sub").string(), "");
  EXPECT_EQ(r.case_file, "");
  EXPECT_NE(r.problem.find("cannot write"), std::string::npos) << r.problem;
}

}  // namespace
}  // namespace qdiff::tools
