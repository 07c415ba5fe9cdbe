// The one reader of every input file qdiff is given (case files, corpus
// seeds, fuzzer inputs): a file problem is reported as a file problem,
// naming the path, never as "invalid JSON", and no path can block or
// exhaust memory.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace qdiff {

// 64 MiB: far above any real case (the corpus's largest is a few KB; a
// tensor of a million f32 values in their longest exact spelling is about
// 15 MB), small enough that reading and parsing one (a JSON document costs
// a small constant times its text) cannot exhaust a CI runner's memory.
inline constexpr size_t kMaxInputFileBytes = size_t{64} << 20;

// An input that cannot be read; what() starts with the path.
class ReadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The bytes of the regular file at `path`. Throws ReadError when it does
// not exist (dangling symlinks included), is not a regular file (a
// directory, a FIFO: opened non-blocking, so it never waits for a writer;
// a device such as /dev/zero), or holds more than kMaxInputFileBytes.
std::string read_input_file(const std::string& path);

}  // namespace qdiff
