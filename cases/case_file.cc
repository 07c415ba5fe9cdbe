#include "cases/case_file.h"

#include "cases/case_header.h"
#include "cases/json_document.h"
#include "cases/json_fields.h"
#include "cases/json_writer.h"
#include "cases/tensor_json.h"

// Result files. Case files: affine_case_json.cc (parse_affine_case,
// write_affine_case) and case.cc (parse_case, write_case).
namespace qdiff {

std::string write_result(const CaseResult& result) {
  ObjectWriter w(0);
  write_header(w, kResultFormat);
  if (result.error_kind) {
    ObjectWriter e(2);
    e.string("kind", error_kind_name(*result.error_kind));
    e.string("message", result.error_message);
    w.member("error") += e.finish();
  } else {
    ObjectWriter o(2);
    for (const auto& [name, tensor] : result.outputs) o.tensor(name, tensor);
    w.member("outputs") += o.finish();
  }
  return w.finish() + "\n";
}

CaseResult parse_result(std::string_view json_text) {
  const JsonDocument doc = JsonDocument::parse(json_text);
  const JsonObjectReader root(doc, doc.root(), "");
  check_header(root, kResultFormat);
  const JsonNode* outputs = root.find("outputs");
  const JsonNode* error = root.find("error");
  if (outputs && error) field_error("error", "cannot appear together with \"outputs\"");
  if (!outputs && !error) {
    fail(ErrorKind::malformed_case, "field \"outputs\" or \"error\" is required");
  }
  CaseResult r;
  if (error) {
    const JsonObjectReader e(doc, *error, "error");
    const std::string_view kind = e.required_string("kind");
    r.error_kind = parse_error_kind(kind);
    if (!r.error_kind) field_error("error.kind", "is not an error kind: {}", quoted_excerpt(kind));
    r.error_message = std::string(e.required_string("message"));
    return r;
  }
  const JsonObjectReader o(doc, *outputs, "outputs");
  const auto members = doc.object(*outputs);
  if (members.empty()) field_error("outputs", "must hold at least one tensor");
  for (const JsonMember& m : members) {
    const std::string path = field_path("outputs", m.key);
    if (r.outputs.count(m.key)) field_error(path, "appears more than once");
    r.outputs.emplace(m.key, read_tensor(doc, m.value, path));
  }
  return r;
}

}  // namespace qdiff
