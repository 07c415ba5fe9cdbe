// Expected fusion sites (cases/fusion_site.h): names and the case-file
// member "expected_fusions".
#include "cases/fusion_site.h"

#include <span>

#include <fmt/format.h>

#include "cases/json_writer.h"
#include "core/graph.h"

namespace qdiff {

std::string_view fusion_pass_name(FusionKind k) {
  switch (k) {
    case FusionKind::mul_into_linear: return "fuse_mul_into_linear";
    case FusionKind::quantized_linear:
    case FusionKind::quantized_conv2d:
    case FusionKind::quantized_elementwise: return "fuse_quantized_ops";
    case FusionKind::absorption: return "quant_absorption";
  }
  return "?";
}

std::string_view fusion_kind_name(FusionKind k) {
  switch (k) {
    case FusionKind::mul_into_linear: return "mul_into_linear";
    case FusionKind::quantized_linear: return "quantized_linear";
    case FusionKind::quantized_conv2d: return "quantized_conv2d";
    case FusionKind::quantized_elementwise: return "quantized_elementwise";
    case FusionKind::absorption: return "absorption";
  }
  return "?";
}

std::string_view firing_name(Firing f) {
  switch (f) {
    case Firing::must: return "must";
    case Firing::must_not: return "must_not";
    case Firing::may: return "may";
  }
  return "?";
}

namespace {
constexpr std::string_view kMulRoles[] = {"mul", "linear", "W", "c"};
constexpr std::string_view kLinearRoles[] = {"quantize", "linear", "W"};
constexpr std::string_view kConvRoles[] = {"quantize", "conv2d", "W"};
constexpr std::string_view kElementwiseRoles[] = {"quantize", "op", "B"};
constexpr std::string_view kAbsorptionRoles[] = {"quantize2", "dequantize", "quantize1", "W"};

std::span<const std::string_view> roles(FusionKind k) {
  switch (k) {
    case FusionKind::mul_into_linear: return kMulRoles;
    case FusionKind::quantized_linear: return kLinearRoles;
    case FusionKind::quantized_conv2d: return kConvRoles;
    case FusionKind::quantized_elementwise: return kElementwiseRoles;
    case FusionKind::absorption: return kAbsorptionRoles;
  }
  return {};
}

template <typename E, size_t N>
E parse_name(const E (&all)[N], std::string_view (*name)(E), std::string_view text, std::string_view path) {
  for (E e : all) {
    if (name(e) == text) return e;
  }
  std::string known;
  for (E e : all) known += (known.empty() ? "" : ", ") + std::string(name(e));
  field_error(path, "is {}, not one of {}", quoted_excerpt(text), known);
}
}  // namespace

size_t fusion_role_count(FusionKind k) { return roles(k).size(); }
std::string_view fusion_role_name(FusionKind k, size_t role) {
  const auto r = roles(k);
  return role < r.size() ? r[role] : "?";
}

std::vector<FusionSite> read_fusion_sites(const JsonObjectReader& root, size_t node_count) {
  std::vector<FusionSite> out;
  const JsonNode* list = root.find("expected_fusions");
  if (!list) return out;
  const std::string path = root.path_of("expected_fusions");
  const auto items = read_array(root.doc(), *list, path);
  for (size_t i = 0; i < items.size(); ++i) {
    const JsonObjectReader obj(root.doc(), items[i], element_path(path, i));
    FusionSite s;
    s.kind = parse_name(kAllFusionKinds, fusion_kind_name, obj.required_string("fusion"), obj.path_of("fusion"));
    s.firing = parse_name(kAllFirings, firing_name, obj.required_string("firing"), obj.path_of("firing"));
    const std::string nodes_path = obj.path_of("nodes");
    const std::vector<int64_t> ids = read_int64_array(root.doc(), obj.require("nodes"), nodes_path);
    if (ids.size() != fusion_role_count(s.kind)) {
      field_error(nodes_path, "has {} entries, a {} site names {}", ids.size(), fusion_kind_name(s.kind),
                  fusion_role_count(s.kind));
    }
    for (size_t r = 0; r < ids.size(); ++r) {
      if (ids[r] < 0 || ids[r] >= int64_t(node_count)) {
        field_error(element_path(nodes_path, r), "is {}, not a node id ({})", ids[r], node_ids(node_count));
      }
      s.nodes.push_back(int(ids[r]));
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::string write_fusion_sites(const std::vector<FusionSite>& sites) {
  std::string out = "[";
  for (size_t i = 0; i < sites.size(); ++i) {
    ObjectWriter w = ObjectWriter::one_line();
    w.string("fusion", fusion_kind_name(sites[i].kind));
    w.string("firing", firing_name(sites[i].firing));
    w.int_list("nodes", std::vector<int64_t>(sites[i].nodes.begin(), sites[i].nodes.end()));
    out += (i ? ",\n    " : "\n    ") + w.finish();
  }
  return out + (sites.empty() ? "]" : "\n  ]");
}

}  // namespace qdiff
