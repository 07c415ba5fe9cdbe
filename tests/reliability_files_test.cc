// The durable writer (cases/durable_file.h), the input reader
// (cases/input_file.h), finding names (cases/finding_file.h) and the
// strictness promises of the case-file parser, called directly.
// docs/reliability.md lists which promise each test holds.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

#include <gtest/gtest.h>

#include "cases/content_hash.h"
#include "cases/durable_file.h"
#include "cases/finding_file.h"
#include "cases/case.h"
#include "cases/input_file.h"
#include "core/error.h"
#include "tests/qdiff_command.h"

namespace qdiff {
namespace {
namespace fs = std::filesystem;
using testing::read_text;
using testing::ScratchDir;
using testing::SmallTmpfs;

const std::string kGoodCase = testing::kCorpusCaseFile;

std::string thrown_by(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

// Files in dir other than `keep`: a failed or finished write leaves none.
std::vector<std::string> other_files(const fs::path& dir, const std::set<std::string>& keep) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!keep.count(e.path().filename().string())) out.push_back(e.path().filename().string());
  }
  return out;
}

TEST(DurableFile, WritesCreatesParentsAndReplacesLeavingNoTemporaryFile) {
  ScratchDir d("durable");
  const fs::path path = d.path() / "a" / "b" / "report.xml";
  write_file_durably(path.string(), "first");
  EXPECT_EQ(read_text(path), "first");
  write_file_durably(path.string(), "second, longer");
  EXPECT_EQ(read_text(path), "second, longer");
  EXPECT_TRUE(other_files(path.parent_path(), {"report.xml"}).empty());
}

TEST(DurableFile, ParentThatIsARegularFileIsAnErrorNamingThePath) {
  ScratchDir d("durable-notdir");
  std::ofstream(d.path() / "plain") << "x";
  const std::string path = (d.path() / "plain" / "findings" / "f.json").string();
  const std::string message = thrown_by([&] { write_file_durably(path, "data"); });
  EXPECT_NE(message.find("cannot write " + path), std::string::npos) << message;
  EXPECT_NE(message.find("Not a directory"), std::string::npos) << message;
  EXPECT_EQ(read_text(d.path() / "plain"), "x");
}

TEST(DurableFile, FullDiskIsAnErrorAndKeepsTheOldFileWhole) {
  SmallTmpfs disk("durable-full", 16 * 1024);
  // Skipped only where a tmpfs cannot be mounted (not root, or no mount
  // namespace): a full disk cannot be made without one. CI runs as root.
  if (!disk.mounted()) GTEST_SKIP() << "no small filesystem to fill: " << disk.why();
  const fs::path old_path = disk.path() / "old.json";
  write_file_durably(old_path.string(), "an earlier finding");
  const std::string big(64 * 1024, 'x');
  const std::string message = thrown_by([&] { write_file_durably(old_path.string(), big); });
  EXPECT_NE(message.find("No space left on device"), std::string::npos) << message;
  EXPECT_NE(message.find(old_path.string()), std::string::npos) << message;
  EXPECT_EQ(read_text(old_path), "an earlier finding");
  EXPECT_TRUE(other_files(disk.path(), {"old.json"}).empty()) << "a temporary file was left behind";
}

TEST(InputFile, MissingFileIsNoSuchFileNotInvalidJson) {
  ScratchDir d("read-missing");
  const std::string path = (d.path() / "typo.json").string();
  const std::string message = thrown_by([&] { read_input_file(path); });
  EXPECT_EQ(message, path + ": No such file or directory");
  fs::create_symlink(d.path() / "nowhere", d.path() / "dangling");
  EXPECT_NE(thrown_by([&] { read_input_file((d.path() / "dangling").string()); }).find("No such file"),
            std::string::npos);
}

TEST(InputFile, DirectoryFifoAndDeviceAreNotRegularFiles) {
  ScratchDir d("read-kinds");
  EXPECT_EQ(thrown_by([&] { read_input_file(d.str()); }), d.str() + ": is a directory, not a regular file");
  const std::string fifo = (d.path() / "fifo").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(thrown_by([&] { read_input_file(fifo); }), fifo + ": is a FIFO, not a regular file");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5)) << "waited for a writer";
  EXPECT_EQ(thrown_by([&] { read_input_file("/dev/zero"); }), "/dev/zero: is a character device, not a regular file");
}

TEST(InputFile, FileOverTheSizeCapIsRefusedBeforeReading) {
  ScratchDir d("read-big");
  const std::string path = (d.path() / "big.json").string();
  {
    std::ofstream out(path);
  }
  fs::resize_file(path, kMaxInputFileBytes + 1);  // sparse: costs no disk
  const std::string message = thrown_by([&] { read_input_file(path); });
  EXPECT_NE(message.find(path + ": 67108865 bytes, over the 64 MiB limit"), std::string::npos) << message;
  fs::resize_file(path, 3);
  EXPECT_EQ(read_input_file(path), std::string(3, '\0'));
}

TEST(FindingFile, NamedByPropertyAndContentHash) {
  ScratchDir d("finding-name");
  const CaseFile f = parse_case_file(read_input_file(kGoodCase));
  const CaseFile g{f.c, "SomeProperty"};
  const std::string text = write_case_file(g);
  const std::string path = save_finding(d.str(), g);
  EXPECT_EQ(path, d.str() + "/SomeProperty-" + stable_hash_hex(text) + ".json");
  EXPECT_EQ(read_text(path), text);
  EXPECT_EQ(save_finding(d.str(), g), path) << "the same finding is stored once";
  EXPECT_NE(save_finding(d.str(), CaseFile{f.c, "OtherProperty"}), path);
  EXPECT_EQ(std::distance(fs::directory_iterator(d.path()), fs::directory_iterator()), 2);
}

TEST(StrictParsing, BytesAfterANulAreRejected) {
  const std::string good = read_input_file(kGoodCase);
  EXPECT_NO_THROW(parse_case_file(good));
  const std::string message =
      thrown_by([&] { parse_case_file(good + std::string(1, '\0') + "trailing garbage"); });
  EXPECT_NE(message.find("NUL byte at byte " + std::to_string(good.size())), std::string::npos) << message;
}

TEST(StrictParsing, ControlCharactersInMessagesAreEscaped) {
  std::string text = read_input_file(kGoodCase);
  text.replace(text.find("\"graph\""), 7, "\"\\u001b[31mred\\r\"");  // the op name
  const std::string message = thrown_by([&] { parse_case_file(text); });
  EXPECT_EQ(message.find('\x1b'), std::string::npos) << message;
  EXPECT_EQ(message.find('\r'), std::string::npos) << message;
  EXPECT_NE(message.find("\\x1b[31mred\\x0d"), std::string::npos) << message;
}

}  // namespace
}  // namespace qdiff
