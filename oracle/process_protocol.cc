#include "oracle/process_protocol.h"

#include "cases/json_document.h"
#include "cases/json_fields.h"
#include "cases/json_writer.h"

namespace qdiff {
namespace {

std::vector<std::string> string_list(const JsonObjectReader& root, std::string_view key) {
  std::vector<std::string> out;
  const JsonNode* n = root.find(key);
  if (!n) return out;
  const std::string path = root.path_of(key);
  const auto items = read_array(root.doc(), *n, path);
  for (size_t i = 0; i < items.size(); ++i) {
    out.emplace_back(read_string(root.doc(), items[i], element_path(path, i)));
  }
  return out;
}

}  // namespace

std::string hello_request() {
  return fmt::format(R"({{"qdiff": "hello", "version": {}}})", kProcessProtocolVersion);
}

std::string case_request(const Case& c) { return json_on_one_line(write_case(c)); }

std::string graph_pass_request(std::string_view pass, const Graph& g) {
  std::string out = fmt::format(R"({{"qdiff": "graph-pass", "version": {}, "pass": )", kProcessProtocolVersion);
  append_json_string(out, pass);
  out += ", \"graph\": " + json_on_one_line(write_graph_object(g)) + "}";
  return out;
}

Hello parse_hello(std::string_view line) {
  const JsonDocument doc = JsonDocument::parse(line);
  const JsonObjectReader root(doc, doc.root(), "");
  if (root.required_string("qdiff") != "hello") field_error("qdiff", "must be \"hello\" in the hello answer");
  if (const int64_t v = root.required_int64("version"); v != kProcessProtocolVersion) {
    field_error("version", "is {}, qdiff speaks version {}", v, kProcessProtocolVersion);
  }
  Hello h;
  if (const JsonNode* n = root.find("name")) h.name = std::string(read_string(doc, *n, "name"));
  h.ops = string_list(root, "ops");
  h.passes = string_list(root, "passes");
  h.reads = string_list(root, "reads");
  return h;
}

Answer parse_answer(std::string_view line) {
  const JsonDocument doc = JsonDocument::parse(line);
  const JsonObjectReader root(doc, doc.root(), "");
  if (const JsonNode* why = root.find("unsupported")) {
    return Declined{std::string(read_string(doc, *why, "unsupported"))};
  }
  if (root.find("graph")) return read_graph_field(root);
  return parse_result(line);
}

}  // namespace qdiff
