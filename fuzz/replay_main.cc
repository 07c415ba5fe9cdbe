// Replay driver: links a fuzz target's LLVMFuzzerTestOneInput without
// libFuzzer, so any compiler (gcc included) can run corpus/ in CI.
// Usage: <target>_replay FILE_OR_DIR...  (directories are walked
// recursively; every regular file is one input). Exits 0 when every input
// ran; a finding aborts inside the target, as under libFuzzer.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include "cases/input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {
// cases/input_file.h: a FIFO or an oversized file is an error, not a hang.
int run_file(const std::filesystem::path& path) {
  const std::string bytes = qdiff::read_input_file(path.string());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return 1;
}

int replay(int argc, char** argv) {
  int ran = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(p)) {
        if (e.is_regular_file()) ran += run_file(e.path());
      }
    } else if (std::filesystem::exists(p)) {
      ran += run_file(p);
    } else {
      std::fprintf(stderr, "no such input: %s\n", argv[i]);
      return 2;
    }
  }
  std::printf("replayed %d inputs\n", ran);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return replay(argc, argv);
  } catch (const qdiff::ReadError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
}
