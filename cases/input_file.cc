#include "cases/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace qdiff {
namespace {

[[noreturn]] void fail(const std::string& path, std::string_view why) {
  throw ReadError(fmt::format("{}: {}", path, why));
}

std::string_view file_type_name(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Checks what the open descriptor is before reading a byte of it.
size_t checked_size(const std::string& path, int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail(path, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail(path, fmt::format("is {}, not a regular file", file_type_name(st.st_mode)));
  if (uint64_t(st.st_size) > kMaxInputFileBytes) {
    fail(path, fmt::format("{} bytes, over the {} MiB limit of an input file", st.st_size,
                           kMaxInputFileBytes >> 20));
  }
  return size_t(st.st_size);
}

}  // namespace

std::string read_input_file(const std::string& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  const Fd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) fail(path, std::strerror(errno));
  const size_t size = checked_size(path, fd.get());
  // Read to end of file, capped: the file may grow after fstat.
  std::string bytes;
  bytes.reserve(size);
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(path, std::strerror(errno));
    if (n == 0) break;
    bytes.append(buffer, size_t(n));
    if (bytes.size() > kMaxInputFileBytes) {
      fail(path, fmt::format("over the {} MiB limit of an input file", kMaxInputFileBytes >> 20));
    }
  }
  return bytes;
}

}  // namespace qdiff
