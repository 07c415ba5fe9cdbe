#include "cases/finding_file.h"

#include <fmt/format.h>

#include "cases/content_hash.h"
#include "cases/durable_file.h"

namespace qdiff {

std::string finding_file_name(const std::string& property, const std::string& text) {
  return fmt::format("{}-{}.json", property.empty() ? "case" : property, stable_hash_hex(text));
}

std::string save_finding(const std::string& dir, const CaseFile& finding) {
  const std::string text = write_case_file(finding);
  const std::string path = fmt::format("{}/{}", dir, finding_file_name(finding.property, text));
  write_file_durably(path, text);
  return path;
}

}  // namespace qdiff
