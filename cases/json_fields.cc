#include "cases/json_fields.h"

#include "cases/f32_text.h"
#include "cases/printable_text.h"

namespace qdiff {

std::string field_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return escape_control_chars(key);
  return fmt::format("{}.{}", parent, escape_control_chars(key));
}

std::string element_path(std::string_view array_path, size_t index) {
  return fmt::format("{}[{}]", array_path, index);
}

std::string quoted_excerpt(std::string_view s) {
  constexpr size_t kMax = 40;
  if (s.size() <= kMax) return fmt::format("\"{}\"", escape_control_chars(s));
  // Cut at a UTF-8 character boundary (continuation bytes are 10xxxxxx).
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return fmt::format("\"{}...\"", escape_control_chars(s.substr(0, cut)));
}

JsonObjectReader::JsonObjectReader(const JsonDocument& doc, const JsonNode& node,
                                   std::string path)
    : doc_(doc), path_(std::move(path)) {
  if (node.type != JsonType::object) {
    if (path_.empty()) {
      fail(ErrorKind::malformed_case, "the document must be a JSON object, got {}",
           json_type_name(node.type));
    }
    field_error(path_, "must be an object, got {}", json_type_name(node.type));
  }
  members_ = doc.object(node);
}

const JsonNode* JsonObjectReader::find(std::string_view key) const {
  const JsonNode* found = nullptr;
  for (const JsonMember& m : members_) {
    if (m.key != key) continue;
    if (found) field_error(path_of(key), "appears more than once");
    found = &m.value;
  }
  if (found && found->type == JsonType::null) return nullptr;
  return found;
}

const JsonNode& JsonObjectReader::require(std::string_view key) const {
  const JsonNode* n = find(key);
  if (!n) field_error(path_of(key), "is required");
  return *n;
}

std::string_view JsonObjectReader::required_string(std::string_view key) const {
  return read_string(doc_, require(key), path_of(key));
}

int64_t JsonObjectReader::required_int64(std::string_view key) const {
  return read_int64(require(key), path_of(key));
}

std::string_view read_string(const JsonDocument& doc, const JsonNode& node,
                             std::string_view path) {
  if (node.type != JsonType::string) {
    field_error(path, "must be a string, got {}", json_type_name(node.type));
  }
  return doc.string(node);
}

int64_t read_int64(const JsonNode& node, std::string_view path) {
  if (node.type == JsonType::big_integer) {
    field_error(path, "must be an integer within the int64 range");
  }
  if (node.type != JsonType::integer) {
    field_error(path, "must be an integer, got {}", json_type_name(node.type));
  }
  return node.value;
}

float read_f32(const JsonDocument& doc, const JsonNode& node, std::string_view path) {
  if (node.is_number()) return node.f32;
  if (node.type == JsonType::string) {
    if (const auto f = f32_from_string_value(doc.string(node))) return *f;
    field_error(path,
                "must be a number, \"nan\", \"inf\", \"-inf\" or a hex float such as "
                "\"0x1.8p-3\", got {}",
                quoted_excerpt(doc.string(node)));
  }
  field_error(path, "must be a number, got {}", json_type_name(node.type));
}

std::span<const JsonNode> read_array(const JsonDocument& doc, const JsonNode& node,
                                     std::string_view path) {
  if (node.type != JsonType::array) {
    field_error(path, "must be an array, got {}", json_type_name(node.type));
  }
  return doc.array(node);
}

std::vector<int64_t> read_int64_array(const JsonDocument& doc, const JsonNode& node,
                                      std::string_view path) {
  const auto items = read_array(doc, node, path);
  std::vector<int64_t> out;
  out.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const JsonNode& item = items[i];
    if (item.type != JsonType::integer) read_int64(item, element_path(path, i));
    out.push_back(item.value);
  }
  return out;
}

}  // namespace qdiff
