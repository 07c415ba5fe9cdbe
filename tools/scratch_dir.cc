// Scratch directories removed on every way out (tools/scratch_dir.h).
#include "tools/scratch_dir.h"

#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <set>

namespace qdiff::tools {
namespace {

namespace fs = std::filesystem;

// The live directories, for exits that skip destructors.
struct Registry {
  std::mutex mutex;
  std::set<fs::path> live;
};
Registry& registry() {
  static Registry* r = [] {
    std::atexit(remove_live_scratch_dirs);
    return new Registry;  // never destroyed: the atexit handler may run after statics die
  }();
  return *r;
}

void remove_quietly(const fs::path& p) {
  std::error_code ec;
  fs::remove_all(p, ec);
}

}  // namespace

ScopedScratchDir::ScopedScratchDir(fs::path path) : path_(std::move(path)) {
  {
    std::lock_guard lock(registry().mutex);
    registry().live.insert(path_);
  }
  remove_quietly(path_);
  fs::create_directories(path_);
}

ScopedScratchDir::~ScopedScratchDir() {
  remove_quietly(path_);
  std::lock_guard lock(registry().mutex);
  registry().live.erase(path_);
}

fs::path corpus_scratch_root() {
  const char* tmpdir = std::getenv("TMPDIR");
  if (tmpdir && *tmpdir) return fs::temp_directory_path();
  // A container's /dev/shm is often 64 MiB: a long run's inputs (a page
  // each at least) could fill it, and libFuzzer drops an input it cannot
  // write. Below 1 GiB free the disk is the safer place.
  std::error_code ec;
  const auto space = fs::space("/dev/shm", ec);
  if (!ec && space.available >= (uintmax_t(1) << 30) && access("/dev/shm", W_OK | X_OK) == 0) return "/dev/shm";
  return fs::temp_directory_path();
}

void remove_live_scratch_dirs() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  for (const auto& p : r.live) remove_quietly(p);
}

}  // namespace qdiff::tools
