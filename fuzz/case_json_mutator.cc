#include "fuzz/case_json_mutator.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/dtype.h"
#include "core/float_bits.h"
#include "fuzz/choice_mutations.h"

namespace qdiff::fuzz {

using nlohmann::json;

std::string_view json_mutation_name(JsonMutation m) {
  switch (m) {
    case JsonMutation::tensor_dim: return "tensor_dim";
    case JsonMutation::value_tie: return "value_tie";
    case JsonMutation::scale_pow2: return "scale_pow2";
    case JsonMutation::scale_min_normal: return "scale_min_normal";
    case JsonMutation::contract: return "contract";
    case JsonMutation::quant_range_extreme: return "quant_range_extreme";
    case JsonMutation::zero_point_extreme: return "zero_point_extreme";
    case JsonMutation::integer_extreme: return "integer_extreme";
    case JsonMutation::relu_insert: return "relu_insert";
    case JsonMutation::relu_delete: return "relu_delete";
    case JsonMutation::kCount: break;
  }
  return "?";
}

namespace {

// Tensors with more elements than this are not resized (the mutated text
// must stay a plausible fuzz input).
constexpr int64_t kMaxResizedElements = int64_t{1} << 16;
constexpr std::string_view kContracts[] = {"torchao", "onnx", "half_away", "zp_before"};

// Deepest nesting of [ and { outside strings.
int nesting_depth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char ch : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (ch == '\\') {
        escaped = true;
      } else if (ch == '"') {
        in_string = false;
      }
      continue;
    }
    if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (ch == ']' || ch == '}') {
      --depth;
    }
  }
  return deepest;
}

struct TensorSite {
  json* tensor;
  std::string role;        // field name, or a graph constant's node name
  json* owner = nullptr;   // object holding the field (PARAMS, case root, node)
  std::string input_name;  // a graph input's name (under "inputs")
};

struct Sites {
  std::vector<TensorSite> tensors;
  std::vector<json*> contracts;      // objects with a string "contract"
  std::vector<json*> ranged;         // objects with a string "dtype" and quant_min / quant_max
  json* nodes = nullptr;             // graph.nodes
  json* outputs = nullptr;           // graph.outputs
};

bool is_tensor(const json& j) {
  return j.is_object() && j.contains("dtype") && j["dtype"].is_string() && j.contains("shape") &&
         j["shape"].is_array() && j.contains("data") && j["data"].is_array();
}

Sites collect(json& root) {
  Sites s;
  struct Item {
    json* node;
    std::string key;
    json* parent;
    bool under_inputs;
  };
  std::vector<Item> stack{{&root, "", nullptr, false}};
  while (!stack.empty()) {
    const Item it = stack.back();
    stack.pop_back();
    json& j = *it.node;
    if (j.is_array()) {
      for (auto& e : j) stack.push_back({&e, it.key, it.parent, false});
      continue;
    }
    if (!j.is_object()) continue;
    if (is_tensor(j)) {
      TensorSite t{&j, it.key, it.parent, {}};
      if (it.key == "value" && it.parent && it.parent->contains("name") && (*it.parent)["name"].is_string()) {
        t.role = (*it.parent)["name"].get<std::string>();
      }
      if (it.under_inputs) {
        t.input_name = it.key;
        t.role = "input";
      }
      s.tensors.push_back(t);
      continue;
    }
    if (j.contains("contract") && j["contract"].is_string()) s.contracts.push_back(&j);
    if (j.contains("dtype") && j["dtype"].is_string() &&
        ((j.contains("quant_min") && j["quant_min"].is_number_integer()) ||
         (j.contains("quant_max") && j["quant_max"].is_number_integer()))) {
      s.ranged.push_back(&j);
    }
    if (it.key == "graph") {
      if (j.contains("nodes") && j["nodes"].is_array()) s.nodes = &j["nodes"];
      if (j.contains("outputs") && j["outputs"].is_array()) s.outputs = &j["outputs"];
    }
    const bool inputs_object = it.key == "inputs" && it.parent == &root;
    for (auto& [k, v] : j.items()) stack.push_back({&v, k, &j, inputs_object});
  }
  return s;
}

std::optional<float> number_as_f32(const json& v) {
  if (v.is_number()) return float(v.get<double>());
  if (v.is_string()) {
    const std::string t = v.get<std::string>();
    char* end = nullptr;
    const float x = std::strtof(t.c_str(), &end);
    if (end != t.c_str()) return x;
  }
  return std::nullopt;
}

json f32_json(float x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  return double(x);  // exactly x; the shortest double text reads back to x
}

bool is_scale_role(const std::string& r) { return r.starts_with("scale"); }
bool is_zero_point_role(const std::string& r) { return r.starts_with("zero_point"); }

std::string dtype_of(const json& t) { return t["dtype"].get<std::string>(); }

std::optional<DType> integer_dtype(const json& t) {
  const auto d = parse_dtype(dtype_of(t));
  if (!d || !is_integer(*d)) return std::nullopt;
  return d;
}

template <typename Pred>
std::vector<const TensorSite*> tensors_where(const Sites& s, Pred&& pred) {
  std::vector<const TensorSite*> out;
  for (const auto& t : s.tensors) {
    if (pred(t)) out.push_back(&t);
  }
  return out;
}

int64_t numel_of(const json& shape) {
  int64_t n = 1;
  for (const auto& d : shape) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0 || d.get<int64_t>() > kMaxResizedElements) return -1;
    n *= d.get<int64_t>();
    if (n > kMaxResizedElements) return -1;
  }
  return n;
}

bool mutate_tensor_dim(json& root, Sites& s, props::PrngSource& rng) {
  auto cands = tensors_where(s, [](const TensorSite& t) { return !(*t.tensor)["shape"].empty(); });
  if (cands.empty()) return false;
  const TensorSite& site = *cands[rng.index(cands.size())];
  json& t = *site.tensor;
  json& shape = t["shape"];
  const size_t d = rng.index(shape.size());
  if (!shape[d].is_number_integer()) return false;
  const int64_t now = shape[d].get<int64_t>();
  std::vector<int64_t> dims;  // every other dim of the file
  for (const auto& other : s.tensors) {
    for (const auto& x : (*other.tensor)["shape"]) {
      if (x.is_number_integer() && x.get<int64_t>() != now && x.get<int64_t>() > 0) dims.push_back(x.get<int64_t>());
    }
  }
  int64_t want = 1;
  switch (rng.weighted({45, 25, 30})) {
    case 0: want = 1; break;
    case 1: want = dims.empty() ? 1 : dims[rng.index(dims.size())]; break;
    default: want = rng.pick(std::span<const int64_t>(kVectorEdgeSizes));
  }
  if (want == now) return false;
  json new_shape = shape;
  new_shape[d] = want;
  const int64_t n = numel_of(new_shape);
  if (n < 0) return false;
  // Cut or repeat the data so the count matches the shape.
  const json old = t["data"];
  json data = json::array();
  const bool f32 = dtype_of(t) == "f32";
  for (int64_t i = 0; i < n; ++i) {
    if (old.empty()) {
      data.push_back(f32 ? json(0.0) : json(0));
    } else {
      data.push_back(old[size_t(i) % old.size()]);
    }
  }
  shape = new_shape;
  t["data"] = std::move(data);
  // A graph input's declared shape follows its fed tensor.
  if (!site.input_name.empty() && s.nodes) {
    for (auto& node : *s.nodes) {
      if (node.is_object() && node.value("kind", "") == "input" && node.value("name", "") == site.input_name) {
        node["shape"] = new_shape;
      }
    }
  }
  (void)root;
  return true;
}

std::vector<float> scales_of(const Sites& s) {
  std::vector<float> scales;
  for (const auto& t : s.tensors) {
    if (!is_scale_role(t.role)) continue;
    for (const auto& v : (*t.tensor)["data"]) {
      if (auto x = number_as_f32(v); x && is_valid_scale_value(*x)) scales.push_back(*x);
    }
  }
  return scales;
}

std::vector<std::pair<int64_t, int64_t>> ranges_of(const Sites& s) {
  std::vector<std::pair<int64_t, int64_t>> r;
  for (const json* o : s.ranged) {
    if (o->contains("quant_min") && o->contains("quant_max") && (*o)["quant_min"].is_number_integer() &&
        (*o)["quant_max"].is_number_integer()) {
      r.emplace_back((*o)["quant_min"].get<int64_t>(), (*o)["quant_max"].get<int64_t>());
    }
  }
  return r;
}

bool mutate_value_tie(Sites& s, props::PrngSource& rng) {
  auto cands = tensors_where(s, [](const TensorSite& t) {
    return dtype_of(*t.tensor) == "f32" && !is_scale_role(t.role) && !is_zero_point_role(t.role) &&
           !(*t.tensor)["data"].empty();
  });
  const std::vector<float> scales = scales_of(s);
  if (cands.empty() || scales.empty()) return false;
  json& data = (*cands[rng.index(cands.size())]->tensor)["data"];
  const float sc = scales[rng.index(scales.size())];
  int64_t k = rng.integer(-4, 4);
  const auto ranges = ranges_of(s);
  if (!ranges.empty() && rng.chance(40)) {
    const auto [qmin, qmax] = ranges[rng.index(ranges.size())];
    k = std::clamp<int64_t>((rng.boolean() ? qmin : qmax) - rng.integer(0, 1), -(int64_t{1} << 24), int64_t{1} << 24);
  }
  float x = float((double(k) + 0.5) * double(sc));  // exact in double, then one rounding
  if (rng.chance(40)) x = rng.boolean() ? next_up(x) : next_down(x);
  data[rng.index(data.size())] = f32_json(x);
  return true;
}

bool mutate_scale(Sites& s, bool min_normal, props::PrngSource& rng) {
  auto cands = tensors_where(s, [](const TensorSite& t) {
    return is_scale_role(t.role) && dtype_of(*t.tensor) == "f32" && !(*t.tensor)["data"].empty();
  });
  if (cands.empty()) return false;
  json& data = (*cands[rng.index(cands.size())]->tensor)["data"];
  json& v = data[rng.index(data.size())];
  float x = FLT_MIN;
  if (!min_normal) {
    const auto now = number_as_f32(v);
    x = 1.0f;
    if (now && std::isfinite(*now) && *now > 0) {
      int e = 0;
      std::frexp(*now, &e);  // now = m * 2^e, m in [0.5, 1)
      x = std::ldexp(1.0f, e - 1);
    }
  }
  const json before = v;
  v = f32_json(x);
  return v != before;
}

bool mutate_contract(Sites& s, props::PrngSource& rng) {
  if (s.contracts.empty()) return false;
  json& o = *s.contracts[rng.index(s.contracts.size())];
  const std::string now = o["contract"].get<std::string>();
  std::vector<std::string_view> others;
  for (auto c : kContracts) {
    if (c != now) others.push_back(c);
  }
  o["contract"] = std::string(others[rng.index(others.size())]);
  return true;
}

bool mutate_quant_range(Sites& s, props::PrngSource& rng) {
  if (s.ranged.empty()) return false;
  json& o = *s.ranged[rng.index(s.ranged.size())];
  const auto qt = parse_quant_type(o["dtype"].get<std::string>());
  if (!qt || !is_integer(qt->storage)) return false;
  const json before = o;
  switch (rng.integer(0, 2)) {
    case 0: o["quant_min"] = dtype_min(qt->storage); break;
    case 1: o["quant_max"] = dtype_max(qt->storage); break;
    default:  // a one-value range
      if (o.contains("quant_min") && o["quant_min"].is_number_integer()) {
        o["quant_max"] = o["quant_min"];
      } else {
        o["quant_min"] = o["quant_max"];
      }
  }
  return o != before;
}

// The quant range a zero point is read with: its PARAMS object's, or a
// graph quantize/dequantize node's that takes it as input 2.
std::optional<std::pair<int64_t, int64_t>> range_for(const TensorSite& t, const Sites& s) {
  auto from = [](const json& o) -> std::optional<std::pair<int64_t, int64_t>> {
    if (o.contains("quant_min") && o.contains("quant_max") && o["quant_min"].is_number_integer() &&
        o["quant_max"].is_number_integer()) {
      return std::pair{o["quant_min"].get<int64_t>(), o["quant_max"].get<int64_t>()};
    }
    return std::nullopt;
  };
  if (t.owner && t.role == "zero_point" && t.owner->is_object() && !t.owner->contains("kind")) return from(*t.owner);
  if (t.owner && s.nodes && t.owner->contains("id") && (*t.owner)["id"].is_number_integer()) {
    const int64_t id = (*t.owner)["id"].get<int64_t>();
    for (const auto& node : *s.nodes) {
      if (node.is_object() && node.contains("inputs") && node["inputs"].is_array() && node["inputs"].size() > 2 &&
          node["inputs"][2] == id) {
        if (auto r = from(node)) return r;
      }
    }
  }
  return std::nullopt;
}

bool mutate_integer_extreme(Sites& s, bool zero_points, props::PrngSource& rng) {
  auto cands = tensors_where(s, [&](const TensorSite& t) {
    return integer_dtype(*t.tensor) && is_zero_point_role(t.role) == zero_points && !(*t.tensor)["data"].empty();
  });
  if (cands.empty()) return false;
  const TensorSite& t = *cands[rng.index(cands.size())];
  const DType d = *integer_dtype(*t.tensor);
  std::pair<int64_t, int64_t> r{dtype_min(d), dtype_max(d)};
  if (zero_points) {
    // The reader's range, within what the tensor's dtype can hold.
    if (auto q = range_for(t, s)) {
      r = {std::clamp(q->first, dtype_min(d), dtype_max(d)), std::clamp(q->second, dtype_min(d), dtype_max(d))};
    }
  }
  json& data = (*t.tensor)["data"];
  json& v = data[rng.index(data.size())];
  const json before = v;
  v = rng.boolean() ? r.first : r.second;
  return v != before;
}

// Renumbers node ids and references: `map(old) -> new`.
template <typename Map>
void renumber(json& nodes, json* outputs, Map&& map) {
  for (size_t p = 0; p < nodes.size(); ++p) {
    json& node = nodes[p];
    if (!node.is_object()) continue;
    node["id"] = int64_t(p);
    if (node.contains("inputs") && node["inputs"].is_array()) {
      for (auto& v : node["inputs"]) {
        if (v.is_number_integer() && v.get<int64_t>() >= 0) v = map(v.get<int64_t>(), int64_t(p));
      }
    }
  }
  if (outputs) {
    for (auto& v : *outputs) {
      if (v.is_number_integer() && v.get<int64_t>() >= 0) v = map(v.get<int64_t>(), int64_t(nodes.size()));
    }
  }
}

bool f32_producer(const json& node) {
  static constexpr std::string_view kinds[] = {"input", "linear", "conv2d", "add", "mul", "relu", "dequantize"};
  if (!node.is_object() || !node.contains("kind") || !node["kind"].is_string()) return false;
  const std::string k = node["kind"].get<std::string>();
  return std::find(std::begin(kinds), std::end(kinds), k) != std::end(kinds);
}

bool insert_relu(Sites& s, props::PrngSource& rng) {
  if (!s.nodes || s.nodes->size() >= 256) return false;
  json& nodes = *s.nodes;
  std::vector<size_t> cands;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (f32_producer(nodes[i])) cands.push_back(i);
  }
  if (cands.empty()) return false;
  const int64_t at = int64_t(cands[rng.index(cands.size())]);
  nodes.insert(nodes.begin() + at + 1, json{{"id", at + 1}, {"kind", "relu"}, {"inputs", json::array({at})}});
  // Old ids after `at` move up one; users of `at` (all later) read the relu.
  renumber(nodes, s.outputs, [&](int64_t v, int64_t user) {
    if (v > at) return v + 1;
    if (v == at && user != at + 1) return at + 1;
    return v;
  });
  return true;
}

bool delete_relu(Sites& s, props::PrngSource& rng) {
  if (!s.nodes) return false;
  json& nodes = *s.nodes;
  std::vector<size_t> cands;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const json& n = nodes[i];
    if (n.is_object() && n.value("kind", "") == "relu" && n.contains("inputs") && n["inputs"].is_array() &&
        n["inputs"].size() == 1 && n["inputs"][0].is_number_integer() && n["inputs"][0].get<int64_t>() >= 0 &&
        n["inputs"][0].get<int64_t>() < int64_t(i)) {
      cands.push_back(i);
    }
  }
  if (cands.empty() || nodes.size() < 2) return false;
  const int64_t r = int64_t(cands[rng.index(cands.size())]);
  const int64_t src = nodes[size_t(r)]["inputs"][0].get<int64_t>();
  nodes.erase(nodes.begin() + r);
  renumber(nodes, s.outputs, [&](int64_t v, int64_t) {
    if (v == r) return src;
    return v > r ? v - 1 : v;
  });
  return true;
}

}  // namespace

std::optional<std::string> apply_json_mutation(JsonMutation m, std::string_view text, props::PrngSource& rng) {
  if (nesting_depth(text) > kMaxJsonDepth) return std::nullopt;
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  try {
    Sites s = collect(doc);
    bool changed = false;
    switch (m) {
      case JsonMutation::tensor_dim: changed = mutate_tensor_dim(doc, s, rng); break;
      case JsonMutation::value_tie: changed = mutate_value_tie(s, rng); break;
      case JsonMutation::scale_pow2: changed = mutate_scale(s, false, rng); break;
      case JsonMutation::scale_min_normal: changed = mutate_scale(s, true, rng); break;
      case JsonMutation::contract: changed = mutate_contract(s, rng); break;
      case JsonMutation::quant_range_extreme: changed = mutate_quant_range(s, rng); break;
      case JsonMutation::zero_point_extreme: changed = mutate_integer_extreme(s, true, rng); break;
      case JsonMutation::integer_extreme: changed = mutate_integer_extreme(s, false, rng); break;
      case JsonMutation::relu_insert: changed = insert_relu(s, rng); break;
      case JsonMutation::relu_delete: changed = delete_relu(s, rng); break;
      case JsonMutation::kCount: break;
    }
    if (!changed) return std::nullopt;
    return doc.dump(-1, ' ', false, json::error_handler_t::replace);
  } catch (const json::exception&) {
    return std::nullopt;  // a field of an unexpected type: nothing to mutate there
  }
}

std::optional<std::string> mutate_case_json(std::string_view text, props::PrngSource& rng) {
  std::vector<JsonMutation> order;
  for (int k = 0; k < int(JsonMutation::kCount); ++k) order.push_back(JsonMutation(k));
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.index(i)]);
  for (JsonMutation m : order) {
    if (auto out = apply_json_mutation(m, text, rng)) return out;
  }
  return std::nullopt;
}

std::optional<std::string> cross_over_case_json(std::string_view a, std::string_view b, props::PrngSource& rng) {
  if (nesting_depth(a) > kMaxJsonDepth || nesting_depth(b) > kMaxJsonDepth) return std::nullopt;
  json da = json::parse(a.begin(), a.end(), nullptr, false);
  const json db = json::parse(b.begin(), b.end(), nullptr, false);
  if (da.is_discarded() || db.is_discarded() || !da.is_object() || !db.is_object()) return std::nullopt;
  std::vector<std::string> shared;
  for (const auto& [k, v] : db.items()) {
    if (k != "format" && k != "version" && k != "op" && da.contains(k) && da[k] != v) shared.push_back(k);
  }
  if (shared.empty()) return std::nullopt;
  const std::string& key = shared[rng.index(shared.size())];
  da[key] = db[key];
  return da.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace qdiff::fuzz
