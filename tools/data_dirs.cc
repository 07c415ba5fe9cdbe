#include "tools/data_dirs.h"

#include <filesystem>
#include <system_error>

namespace qdiff::tools {

namespace fs = std::filesystem;

std::string default_corpus_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path().parent_path() / "share" / "qdiff" / "corpus";
    if (fs::is_directory(installed, ec)) return installed.string();
  }
  return std::string(QDIFF_SOURCE_DIR) + "/corpus";
}

}  // namespace qdiff::tools
