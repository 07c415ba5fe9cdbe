// A toy external pass pipeline behind the C ABI v2's graph-pass entry point
// (include/qdiff/backend.h, docs/plugin-backends.md "ABI v2"): one pass,
// fuse-mul-into-linear, written the way a compiler team outside qdiff would
// write it, on the graph's JSON with nlohmann::json and none of qdiff's code.
//
//   qdiff check --backend build/default/examples/pass_plugin/libqdiff_toy_pass_plugin.so
//
// It folds mul(linear(x, dequantize(Wq, s), b), c) (either operand order),
// with c a constant [K] or one-element f32 vector of finite positive values
// and s a per-tensor or per-channel [K, 1] scale, into the linear: the
// scale becomes s * reshape(c, [K, 1]) and the bias b * c. QDIFF_TOY_BUG=1
// plants the defect of ExecuTorch PR 20171: the [K] factor is multiplied
// into the scale without the reshape, so numpy broadcasting gives a [K, K]
// scale (or [K] from a per-tensor one), which no weight of shape [K, In]
// can use.
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "qdiff/backend.h"

namespace {

// Numbers as f32, read with one rounding (strtof) and written in the
// shortest form that reads back: qdiff's case files are exact f32 (SPEC
// section 11).
using json = nlohmann::basic_json<std::map, std::vector, std::string, bool, std::int64_t, std::uint64_t, float>;

bool planted_bug() {
  const char* v = std::getenv("QDIFF_TOY_BUG");
  return v && std::strcmp(v, "1") == 0;
}

// How many inputs (and graph outputs) refer to each node.
std::vector<int> use_counts(const json& g) {
  std::vector<int> uses(g["nodes"].size(), 0);
  for (const json& n : g["nodes"]) {
    for (const json& i : n.value("inputs", json::array())) {
      if (i.get<int>() >= 0) ++uses[size_t(i.get<int>())];
    }
  }
  for (const json& o : g["outputs"]) ++uses[size_t(o.get<int>())];
  return uses;
}

std::optional<std::vector<float>> f32_values(const json& node) {
  if (node["kind"] != "constant" || node["value"]["dtype"] != "f32") return std::nullopt;
  std::vector<float> v;
  for (const json& x : node["value"]["data"]) {
    if (!x.is_number()) return std::nullopt;  // "nan" / "inf"
    v.push_back(x.get<float>());
  }
  return v;
}

// The pieces of one foldable site, as node ids.
struct Site {
  int mul = -1, linear = -1, scale = -1, bias = -1;
  std::vector<float> c;
  int64_t k = 0;
};

// Whether mul node m folds; fills the site.
bool match(const json& g, const std::vector<int>& uses, int m, Site* site) {
  const json& nodes = g["nodes"];
  const json& mul = nodes[size_t(m)];
  if (mul["kind"] != "mul") return false;
  for (int order = 0; order < 2; ++order) {
    const int l = mul["inputs"][size_t(order)], cid = mul["inputs"][size_t(1 - order)];
    const json& lin = nodes[size_t(l)];
    if (lin["kind"] != "linear" || uses[size_t(l)] != 1) continue;
    const int d = lin["inputs"][1];
    const json& deq = nodes[size_t(d)];
    if (deq["kind"] != "dequantize" || deq.contains("axis") || deq.contains("block_size")) continue;
    const int wq = deq["inputs"][0], s = deq["inputs"][1];
    if (nodes[size_t(wq)]["kind"] != "constant" || uses[size_t(s)] != 1) continue;
    const json& wshape = nodes[size_t(wq)]["value"]["shape"];
    const auto scale = f32_values(nodes[size_t(s)]);
    const auto c = f32_values(nodes[size_t(cid)]);
    if (wshape.size() != 2 || !scale || !c) continue;
    const int64_t k = wshape[0];
    const json& sshape = nodes[size_t(s)]["value"]["shape"];
    const bool per_channel = sshape == json::array({k, 1});
    if (!(scale->size() == 1 || per_channel) || nodes[size_t(cid)]["value"]["shape"].size() != 1) continue;
    if (!(c->size() == size_t(k) || c->size() == 1)) continue;
    bool positive = true;
    for (float f : *c) positive = positive && std::isfinite(f) && f > 0;
    const int b = lin["inputs"][2];
    if (!positive || (b >= 0 && (uses[size_t(b)] != 1 || !f32_values(nodes[size_t(b)])))) continue;
    *site = {m, l, s, b, *c, k};
    return true;
  }
  return false;
}

float factor(const Site& s, int64_t k) { return s.c[s.c.size() == 1 ? 0 : size_t(k)]; }

// scale * reshape(c, [K, 1]); with the planted bug, scale * c as numpy
// broadcasts it ([K, 1] * [K] = [K, K], [] * [K] = [K]).
void fold_scale(json& scale_node, const Site& s) {
  json& value = scale_node["value"];
  std::vector<float> old;
  for (const json& x : value["data"]) old.push_back(x.get<float>());
  json data = json::array();
  if (planted_bug() && s.c.size() > 1) {
    const size_t rows = old.size();
    for (size_t r = 0; r < rows; ++r) {
      for (float f : s.c) data.push_back(old[r] * f);
    }
    value["shape"] = rows == 1 ? json::array({s.k}) : json::array({s.k, s.k});
  } else {
    for (int64_t k = 0; k < s.k; ++k) data.push_back(old[old.size() == 1 ? 0 : size_t(k)] * factor(s, k));
    value["shape"] = json::array({s.k, 1});
  }
  value["data"] = data;
}

// Removes node `gone`, pointing its users at `replacement`; ids stay dense.
void remove_node(json& g, int gone, int replacement) {
  const auto renumber = [&](int id) { return id == gone ? replacement : id > gone ? id - 1 : id; };
  g["nodes"].erase(size_t(gone));
  for (size_t i = 0; i < g["nodes"].size(); ++i) {
    json& n = g["nodes"][i];
    n["id"] = int(i);
    if (n.contains("inputs")) {
      for (json& in : n["inputs"]) if (in.get<int>() >= 0) in = renumber(in.get<int>());
    }
  }
  for (json& o : g["outputs"]) o = renumber(o.get<int>());
}

bool fold_one(json& g) {
  const std::vector<int> uses = use_counts(g);
  for (int m = 0; m < int(g["nodes"].size()); ++m) {
    Site s;
    if (!match(g, uses, m, &s)) continue;
    fold_scale(g["nodes"][size_t(s.scale)], s);
    if (s.bias >= 0) {
      json& data = g["nodes"][size_t(s.bias)]["value"]["data"];
      for (int64_t k = 0; k < s.k; ++k) data[size_t(k)] = data[size_t(k)].get<float>() * factor(s, k);
    }
    remove_node(g, s.mul, s.linear);
    return true;
  }
  return false;
}

const char* const kPasses[] = {"fuse-mul-into-linear", nullptr};

qdiff_status run_graph_pass(void*, const char* pass, const char* graph_json, qdiff_text* out) {
  if (std::strcmp(pass, kPasses[0]) != 0) return QDIFF_STATUS_UNSUPPORTED;
  json g = json::parse(graph_json, nullptr, false);
  if (g.is_discarded()) return QDIFF_STATUS_UNSUPPORTED;
  try {
    while (fold_one(g)) {
    }
  } catch (const json::exception&) {
    return QDIFF_STATUS_UNSUPPORTED;  // a graph shape this toy does not read
  }
  const std::string text = g.dump();
  out->data = static_cast<char*>(std::malloc(text.size()));
  if (!out->data) return QDIFF_STATUS_TOO_LARGE;
  std::memcpy(out->data, text.data(), text.size());
  out->size = text.size();
  return QDIFF_STATUS_OK;
}

void free_text(void*, qdiff_text* text) { std::free(text->data); }

qdiff_backend_table_v2 make_table() {
  qdiff_backend_table_v2 b{};
  b.abi_version = QDIFF_BACKEND_ABI_VERSION_2;
  b.name = "toy-fuse-mul";
  b.graph_passes = kPasses;
  b.run_graph_pass = run_graph_pass;
  b.free_text = free_text;
  return b;
}

const qdiff_backend_table_v2 kBackend = make_table();

}  // namespace

extern "C" const qdiff_backend_table_v2* qdiff_backend_v2(void) { return &kBackend; }
