// Typed reads of JsonDocument fields for the case-file codecs. Every failure
// is malformed_case with a message that names the field by its path,
// e.g. `field "scale.shape[1]" must be a non-negative integer`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "cases/json_document.h"
#include "core/error.h"

namespace qdiff {

// "scale" + "shape" -> "scale.shape"; "" + "op" -> "op".
std::string field_path(std::string_view parent, std::string_view key);
// "scale.shape" + 1 -> "scale.shape[1]".
std::string element_path(std::string_view array_path, size_t index);

// Throws malformed_case: `field "<path>" <what>`.
template <typename... Args>
[[noreturn]] void field_error(std::string_view path, fmt::format_string<Args...> what,
                              Args&&... args) {
  fail(ErrorKind::malformed_case, "field \"{}\" {}", path,
       fmt::format(what, std::forward<Args>(args)...));
}

// A string quoted for a message, shortened so that no input can make a
// message large.
std::string quoted_excerpt(std::string_view s);

// Reads one JSON object, addressed by its path for messages.
class JsonObjectReader {
 public:
  // Throws unless node is an object.
  JsonObjectReader(const JsonDocument& doc, const JsonNode& node, std::string path);

  const JsonDocument& doc() const { return doc_; }
  const std::string& path() const { return path_; }
  std::string path_of(std::string_view key) const { return field_path(path_, key); }

  // The member, or nullptr when absent or null. Throws if the key repeats.
  const JsonNode* find(std::string_view key) const;
  // Throws `field "<key>" is required` when absent or null.
  const JsonNode& require(std::string_view key) const;

  std::string_view required_string(std::string_view key) const;
  int64_t required_int64(std::string_view key) const;

 private:
  const JsonDocument& doc_;
  std::span<const JsonMember> members_;
  std::string path_;
};

// Node readers; `path` names the node in messages.
std::string_view read_string(const JsonDocument& doc, const JsonNode& node,
                             std::string_view path);
// An integer token within int64 (not a fraction, not an exponent form).
int64_t read_int64(const JsonNode& node, std::string_view path);
// A number token, or a string "nan", "inf", "-inf" or hex float.
float read_f32(const JsonDocument& doc, const JsonNode& node, std::string_view path);
std::span<const JsonNode> read_array(const JsonDocument& doc, const JsonNode& node,
                                     std::string_view path);
// An array of int64 integers (block_size).
std::vector<int64_t> read_int64_array(const JsonDocument& doc, const JsonNode& node,
                                      std::string_view path);

}  // namespace qdiff
