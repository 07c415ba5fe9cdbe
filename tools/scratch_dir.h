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

// Removes the directory of every live ScopedScratchDir (never throws).
void remove_live_scratch_dirs();

}  // namespace qdiff::tools
