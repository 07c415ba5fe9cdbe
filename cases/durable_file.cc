#include "cases/durable_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace qdiff {
namespace fs = std::filesystem;
namespace {

[[noreturn]] void fail_step(const std::string& path, std::string_view step, int err) {
  throw WriteError(fmt::format("cannot write {}: {}: {}", path, step, std::strerror(err)));
}

// Closes the descriptor and removes the temporary file unless released.
class TempFile {
 public:
  TempFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  // close() reports deferred write errors (NFS, some full disks): checked.
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }
  void release() { path_.clear(); }

 private:
  std::string path_;
  int fd_;
};

fs::path parent_of(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

void create_parent(const std::string& path, const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail_step(path, fmt::format("cannot create directory {}", dir.string()), ec.value());
}

// O_EXCL on a name unique to this process and call; a stale name left by a
// killed process with the same pid is skipped.
TempFile open_temp(const std::string& path, const fs::path& dir) {
  static std::atomic<unsigned> counter{0};
  const std::string base = fs::path(path).filename().string();
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::string tmp =
        (dir / fmt::format(".{}.tmp-{}-{}", base, ::getpid(), counter.fetch_add(1))).string();
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) return TempFile(tmp, fd);
    if (errno != EEXIST) fail_step(path, "cannot create a temporary file", errno);
  }
  fail_step(path, "cannot create a temporary file", EEXIST);
}

void write_all(const std::string& path, int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_step(path, "write failed", errno);
    if (n == 0) fail_step(path, "write made no progress", EIO);
    bytes.remove_prefix(size_t(n));
  }
}

// The rename is durable only once the directory entry is on disk.
void sync_directory(const std::string& path, const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail_step(path, "cannot open its directory to sync it", errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) fail_step(path, "fsync of its directory failed", err);
}

}  // namespace

void write_file_durably(const std::string& path, std::string_view bytes) {
  const fs::path dir = parent_of(path);
  create_parent(path, dir);
  TempFile tmp = open_temp(path, dir);
  write_all(path, tmp.fd(), bytes);
  if (::fsync(tmp.fd()) != 0) fail_step(path, "fsync failed", errno);
  if (tmp.close() != 0) fail_step(path, "close failed", errno);
  if (::rename(tmp.path().c_str(), path.c_str()) != 0) fail_step(path, "rename failed", errno);
  tmp.release();
  sync_directory(path, dir);
}

}  // namespace qdiff
