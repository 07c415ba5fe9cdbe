// A scratch directory under the temp dir that never outlives its run
// (issue 20: qdiff-corpus-<pid>-<target> directories stayed behind after a
// kill). Removed by the destructor on every way out of its scope (return,
// exception), and by remove_live_scratch_dirs() for a way out that skips
// destructors: an exit() from a shutdown path (SIGINT/SIGTERM handling) or
// the end of main; it is registered with atexit. A SIGKILL can leave one
// behind (nothing runs then); the next run of the same pid and target
// starts by removing it.
#pragma once

#include <filesystem>
#include <string>

namespace qdiff::tools {

class ScopedScratchDir {
 public:
  // Removes whatever is at `path`, then creates it empty.
  explicit ScopedScratchDir(std::filesystem::path path);
  ~ScopedScratchDir();
  ScopedScratchDir(const ScopedScratchDir&) = delete;
  ScopedScratchDir& operator=(const ScopedScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// Where a fuzz run's scratch corpus goes: $TMPDIR when it is set, else
// /dev/shm when it is writable with at least 1 GiB free (a tmpfs), else the
// temp dir.
// libFuzzer writes every new input as a file, thousands a minute from a
// young corpus; on a disk file system creating them was a large share of a
// fast target's time (docs/fuzzing.md, "Where an execution's time went").
std::filesystem::path corpus_scratch_root();

// Removes the directory of every live ScopedScratchDir (never throws).
void remove_live_scratch_dirs();

}  // namespace qdiff::tools
